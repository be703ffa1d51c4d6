import Foundation

/// The fast path of `JSON.parse`: one pass over the bytes straight into `JSON`, without `Codable`.
///
/// Foundation's `JSONDecoder` through `JSON.init(from:)` tried each case in turn and threw (and built an
/// error with its coding path) for every object and array; it was the largest single cost of a `/sync`.
/// This scanner takes only what it is sure Foundation reads the same way: well-formed JSON in UTF-8 whose
/// numbers are plain decimals (no exponent, at most 15 significant digits, so `Double` holds them
/// exactly), whose strings are valid UTF-8 without raw control characters, and whose objects repeat no key.
/// Anything else (an exponent, a huge number, a duplicate key, a byte-order mark, malformed input) returns
/// nil and `JSON.parse` takes Foundation's path, so the result never differs (but for the contents that
/// `JSON.parse(_:skipping:)` asks to leave out). Escaped lone surrogates become U+FFFD and containers
/// nested deeper than `JSON.maxDepth` become `null`, skipped exactly as
/// `JSON.limitingDepth` drops them. Never traps: every index is checked against the end.
struct JSONScanner {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private let maxDepth: Int
    /// The members of the objects being read, innermost last: an object's members are taken at its end, at
    /// its size (growing them member by member resized them once or twice for most objects of a `/sync`).
    private var members: [(key: String, value: JSON)] = []
    /// Whose `content` is passed over (`JSON.SkippedContent`): the `type` and `sender` as their values
    /// compare, or nil when no content is. (Kept apart, not as the struct: reading an optional struct of
    /// strings for each member copied it, retaining its strings.)
    private let skippedType: JSON?, skippedSender: JSON?
    /// The members `JSON.SkippedContent` leaves out wherever they are.
    private let skippedMembers: [String]
    /// The lengths in UTF-8 of `skippedMembers`, a bit each (63 for any longer): most keys are ruled out by
    /// one test, without comparing them.
    private let skippedMemberLengths: UInt64

    private init(_ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int, skipped: JSON.SkippedContent? = nil) {
        self.bytes = bytes
        self.maxDepth = maxDepth
        skippedType = skipped.map { .string($0.type) }
        skippedSender = skipped.map { .string($0.sender) }
        skippedMembers = skipped?.members ?? []
        skippedMemberLengths = skippedMembers.reduce(0) { $0 | 1 << UInt64(min($1.utf8.count, 63)) }
    }

    /// Whether the member `key` is one `skippedMembers` names.
    @inline(__always)
    private func isSkippedMember(_ key: String) -> Bool {
        guard skippedMemberLengths & 1 << UInt64(min(key.utf8.count, 63)) != 0 else { return false }
        return skippedMembers.contains(key)
    }

    /// The document, or nil when the fast path does not take it (then Foundation decides).
    static func parse(_ data: Data, maxDepth: Int = JSON.maxDepth, skipping skipped: JSON.SkippedContent? = nil) -> JSON? {
        data.withUnsafeBytes { raw -> JSON? in
            let bytes = raw.bindMemory(to: UInt8.self)
            var scanner = JSONScanner(bytes, maxDepth: maxDepth, skipped: skipped)
            guard let value = scanner.value(depth: 0) else { return nil }
            scanner.skipWhitespace()
            return scanner.index == bytes.count ? value : nil
        }
    }

    /// `body`'s reading of `text`, which must take it all; nil when it does not (or gives nil). For a fixed
    /// form known in advance (`RichText.readWritten`): `take` its punctuation and keys, `quoted` its strings.
    static func read<T>(_ text: String, _ body: (inout JSONScanner) -> T?) -> T? {
        var text = text
        return text.withUTF8 { read($0, body) }
    }

    /// `read` over bytes (the store's copy of a column, without making it a `String` first).
    static func read<T>(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (inout JSONScanner) -> T?) -> T? {
        var scanner = JSONScanner(bytes, maxDepth: 0)
        guard let value = body(&scanner), scanner.index == bytes.count else { return nil }
        return value
    }

    /// Passes over `literal` when the text goes on with it, byte for byte.
    mutating func take(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard bytes.count - index >= count else { return false }
        let expected = literal.utf8Start
        for offset in 0..<count where bytes[index + offset] != expected[offset] { return false }
        index += count
        return true
    }

    /// The string the text goes on with (a quoted JSON string, read as `JSON.parse` reads it), or nil.
    mutating func quoted() -> String? {
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
        return string()
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func value(depth: Int) -> JSON? {
        skipWhitespace()
        guard index < bytes.count else { return nil }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            if depth >= maxDepth { return skipContainer() ? .null : nil }
            return object(depth: depth + 1)
        case UInt8(ascii: "["):
            if depth >= maxDepth { return skipContainer() ? .null : nil }
            return array(depth: depth + 1)
        case UInt8(ascii: "\""):
            return string().map(JSON.string)
        case UInt8(ascii: "t"):
            return take("true") ? .bool(true) : nil
        case UInt8(ascii: "f"):
            return take("false") ? .bool(false) : nil
        case UInt8(ascii: "n"):
            return take("null") ? .null : nil
        default:
            return number().map(JSON.number)
        }
    }

    private mutating func object(depth: Int) -> JSON? {
        index += 1  // {
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return .object(JSONObject())
        }
        let first = members.count
        // With `skipped`: whether this object's `type` and `sender` are its (nil until read), and where a
        // `content` passed over lies (read at the end unless both are).
        var ofType: Bool?, bySender: Bool?
        var deferred: Range<Int>?
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\""), let key = string() else { return nil }
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return nil }
            index += 1
            if skippedType != nil, key == "content", ofType != false, bySender != false, opensObject() {
                // Passed over (brackets and strings counted, nothing read): left out if the object is one of
                // `skipped`'s, else read at its end. A second `content`: Foundation decides.
                guard deferred == nil else { return nil }
                let start = index
                guard skipContainer() else { return nil }
                deferred = start..<index
            } else if skippedMemberLengths != 0, isSkippedMember(key), opensContainer() {
                // Left out: nothing reads it (brackets and strings counted, as for a content).
                guard skipContainer() else { return nil }
            } else {
                guard let member = value(depth: depth) else { return nil }
                members.append((key, member))
                if let skippedType, let skippedSender {
                    if key == "type" { ofType = member == skippedType }
                    if key == "sender" { bySender = member == skippedSender }
                }
            }
            skipWhitespace()
            guard index < bytes.count else { return nil }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
            } else if bytes[index] == UInt8(ascii: "}") {
                index += 1
                break
            } else {
                return nil
            }
        }
        if let deferred, ofType != true || bySender != true {
            let end = index
            index = deferred.lowerBound
            guard let content = value(depth: depth), index == deferred.upperBound else { return nil }
            index = end
            members.append(("content", content))
        }
        // (A failed document leaves members behind: the whole scan gives nil then.)
        // A repeated key (also one that differs only in Unicode normalization): Foundation decides. A small
        // object's keys are compared pairwise (cheaper than hashing them), a larger one's in its dictionary.
        let object: JSONObject
        if members.count - first <= JSONObject.listLimit {
            // Two keys whose first bytes are both ASCII and differ are never equal, in any normalization (an
            // ASCII character decomposes to itself and keeps its place first), so most pairs compare one byte;
            // the others compare as strings (`==`: canonical equivalence). 131 string comparisons a burst
            // message, about 16,000 instructions, were mostly such pairs.
            let count = members.count - first
            let repeated = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: count) { leads -> Bool in
                for offset in 0..<count { leads[offset] = members[first + offset].key.utf8.first ?? 0xFF }
                for later in 1..<max(1, count) {
                    for earlier in 0..<later
                    where (leads[earlier] == leads[later] || leads[earlier] >= 0x80 || leads[later] >= 0x80)
                        && members[first + earlier].key == members[first + later].key
                    {
                        return true
                    }
                }
                return false
            }
            if repeated { return nil }
            object = JSONObject(distinct: Array(members[first...]))
        } else {
            var table = [String: JSON](minimumCapacity: members.count - first)
            for position in first..<members.count {
                if table.updateValue(members[position].value, forKey: members[position].key) != nil { return nil }
            }
            object = JSONObject(table)
        }
        members.removeSubrange(first...)
        return .object(object)
    }

    /// Whether the next value (after any whitespace, passed over) is an object.
    private mutating func opensObject() -> Bool {
        skipWhitespace()
        return index < bytes.count && bytes[index] == UInt8(ascii: "{")
    }

    /// Whether the next value (after any whitespace, passed over) is an object or an array.
    private mutating func opensContainer() -> Bool {
        skipWhitespace()
        return index < bytes.count && (bytes[index] == UInt8(ascii: "{") || bytes[index] == UInt8(ascii: "["))
    }

    private mutating func array(depth: Int) -> JSON? {
        index += 1  // [
        var result: [JSON] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return .array(result)
        }
        while true {
            guard let element = value(depth: depth) else { return nil }
            result.append(element)
            skipWhitespace()
            guard index < bytes.count else { return nil }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
            } else if bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(result)
            } else {
                return nil
            }
        }
    }

    /// Skips a container that opens too deep, as `JSON.limitingDepth` does: brackets of either kind are
    /// counted outside strings, and nothing inside is checked. False when the document ends first.
    private mutating func skipContainer() -> Bool {
        var nesting = 0
        var inString = false
        var escaped = false
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                } else {
                    // The rest of a plain run, eight bytes a test (it stops at the next quote or backslash).
                    var ascii = true
                    Self.skipPlainWords(bytes, &index, ascii: &ascii)
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"): nesting += 1
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                nesting -= 1
                if nesting == 0 { return true }
            default: break
            }
        }
        return false
    }

    /// A plain decimal: `-?(0|[1-9][0-9]*)(\.[0-9]+)?`, at most 15 significant digits.
    private mutating func number() -> Double? {
        let start = index
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        let integerStart = index
        while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") { index += 1 }
        let integerDigits = index - integerStart
        guard integerDigits > 0 else { return nil }
        if integerDigits > 1, bytes[integerStart] == UInt8(ascii: "0") { return nil }
        var fractionDigits = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            let fractionStart = index
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") { index += 1 }
            fractionDigits = index - fractionStart
            guard fractionDigits > 0 else { return nil }
        }
        // An exponent, or more digits than a Double holds exactly: Foundation's conversion decides.
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") { return nil }
        guard integerDigits + fractionDigits <= 15 else { return nil }
        if fractionDigits == 0 {
            // Up to 15 digits: exact in an Int64 and in a Double.
            var value: Int64 = 0
            for offset in integerStart..<index { value = value * 10 + Int64(bytes[offset] &- UInt8(ascii: "0")) }
            let negative = integerStart != start
            // `-0` is the Double -0.0, as Foundation reads it.
            return negative ? -Double(value) : Double(value)
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        return Double(text)
    }

    /// A string from its opening quote; nil on anything Foundation might read otherwise.
    private mutating func string() -> String? {
        index += 1  // "
        let start = index
        var ascii = true
        // The common case: no escape. Found the closing quote, the bytes are taken as they are.
        while index < bytes.count {
            Self.skipPlainWords(bytes, &index, ascii: &ascii)
            guard index < bytes.count else { break }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let slice = UnsafeBufferPointer(rebasing: bytes[start..<index])
                index += 1
                if ascii { return String(decoding: slice, as: UTF8.self) }
                return Self.validated(slice)
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { return nil }
            if byte >= 0x80 { ascii = false }
            index += 1
        }
        guard index < bytes.count else { return nil }
        // Escapes: the raw bytes are copied run by run, escapes decoded between them, and the whole validated
        // as UTF-8 once (an escape gives a whole sequence, so no run is valid alone and invalid in the whole,
        // or the other way round).
        var result: [UInt8] = []
        result.reserveCapacity(index - start + 32)
        var runStart = start
        func flush(_ end: Int) {
            if end > runStart { result.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<end])) }
        }
        func append(_ scalar: Unicode.Scalar) {
            let value = scalar.value
            switch value {
            case 0..<0x80:
                result.append(UInt8(truncatingIfNeeded: value))
            case 0x80..<0x800:
                result.append(UInt8(truncatingIfNeeded: 0xC0 | value >> 6))
                result.append(UInt8(truncatingIfNeeded: 0x80 | value & 0x3F))
            case 0x800..<0x10000:
                result.append(UInt8(truncatingIfNeeded: 0xE0 | value >> 12))
                result.append(UInt8(truncatingIfNeeded: 0x80 | value >> 6 & 0x3F))
                result.append(UInt8(truncatingIfNeeded: 0x80 | value & 0x3F))
            default:
                result.append(UInt8(truncatingIfNeeded: 0xF0 | value >> 18))
                result.append(UInt8(truncatingIfNeeded: 0x80 | value >> 12 & 0x3F))
                result.append(UInt8(truncatingIfNeeded: 0x80 | value >> 6 & 0x3F))
                result.append(UInt8(truncatingIfNeeded: 0x80 | value & 0x3F))
            }
        }
        var rawASCII = true
        while index < bytes.count {
            Self.skipPlainWords(bytes, &index, ascii: &rawASCII)
            guard index < bytes.count else { break }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                flush(index)
                index += 1
                // Escapes decode to whole scalars, so with only ASCII between them the bytes are UTF-8 (a
                // server that escapes everything beyond ASCII, as Synapse does, always gets here).
                if ascii && rawASCII { return result.withUnsafeBufferPointer { String(decoding: $0, as: UTF8.self) } }
                return result.withUnsafeBufferPointer { Self.validated($0) }
            }
            if byte < 0x20 { return nil }
            guard byte == UInt8(ascii: "\\") else {
                if byte >= 0x80 { rawASCII = false }
                index += 1
                continue
            }
            guard index + 1 < bytes.count else { return nil }
            flush(index)
            let escape = bytes[index + 1]
            index += 2
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): result.append(escape)
            case UInt8(ascii: "b"): result.append(0x08)
            case UInt8(ascii: "f"): result.append(0x0C)
            case UInt8(ascii: "n"): result.append(0x0A)
            case UInt8(ascii: "r"): result.append(0x0D)
            case UInt8(ascii: "t"): result.append(0x09)
            case UInt8(ascii: "u"):
                guard let unit = hex4(at: index) else { return nil }
                index += 4
                switch unit {
                case 0xD800...0xDBFF:
                    // A high surrogate: with a low one after it, one scalar; alone, U+FFFD.
                    if index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u"),
                        let low = hex4(at: index + 2), (0xDC00...0xDFFF).contains(low)
                    {
                        index += 6
                        let scalar = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                        append(Unicode.Scalar(scalar) ?? "\u{FFFD}")
                    } else {
                        append("\u{FFFD}")
                    }
                case 0xDC00...0xDFFF:
                    append("\u{FFFD}")
                default:
                    append(Unicode.Scalar(unit) ?? "\u{FFFD}")
                }
            default:
                return nil
            }
            runStart = index
        }
        return nil
    }

    /// Moves `index` up to the first quote, backslash or control byte, eight bytes a test, while at least
    /// eight are left (clearing `ascii` when it passes a byte of a longer UTF-8 sequence).
    /// A string's body is most of a `/sync` answer's bytes, and the byte loop took one test a byte. The word
    /// tests are SWAR "has a byte below n" and "has a zero byte", exact for the first byte they find, so the
    /// byte loop then sees the same byte it would have reached alone.
    @inline(__always)
    private static func skipPlainWords(_ bytes: UnsafeBufferPointer<UInt8>, _ index: inout Int, ascii: inout Bool) {
        guard let base = bytes.baseAddress else { return }
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        var position = index
        var highBits: UInt64 = 0
        while bytes.count - position >= 8 {
            let word = UInt64(littleEndian: UnsafeRawPointer(base + position).loadUnaligned(as: UInt64.self))
            let quote = word ^ (ones &* 0x22)
            let backslash = word ^ (ones &* 0x5C)
            // A byte below 0x20 (a control byte), or a zero byte of `quote` or `backslash`. Bytes of 0x80
            // and above never set these (their own high bit is masked out by `~word`).
            let special =
                ((word &- ones &* 0x20) & ~word) | ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash)
            let hits = special & highs
            if hits != 0 {
                // The lowest hit is exactly the first such byte (a borrow only runs up from a byte that hits
                // itself): the bytes before it are passed over too, and the byte loop starts at it.
                let plain = hits.trailingZeroBitCount >> 3
                if plain > 0 {
                    highBits |= word & (UInt64.max >> (64 - 8 * plain))
                    position += plain
                }
                break
            }
            highBits |= word
            position += 8
        }
        if highBits & highs != 0 { ascii = false }
        index = position
    }

    /// The text of UTF-8 bytes, or nil when they are not UTF-8. `String(decoding:)` replaces what is not
    /// UTF-8, so the bytes were valid exactly when its text has the same bytes (the generic
    /// `String(validating:as:)` took about 1,600 instructions for a short string).
    static func validated(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        var text = String(decoding: bytes, as: UTF8.self)
        guard let source = bytes.baseAddress else { return text }  // empty
        let same = text.withUTF8 { decoded in
            decoded.count == bytes.count && decoded.baseAddress.map { memcmp($0, source, bytes.count) == 0 } == true
        }
        return same ? text : nil
    }

    private func hex4(at position: Int) -> UInt32? {
        guard position >= 0, bytes.count - position >= 4 else { return nil }
        var value: UInt32 = 0
        for offset in 0..<4 {
            let byte = bytes[position + offset]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value * 16 + UInt32(digit)
        }
        return value
    }
}
