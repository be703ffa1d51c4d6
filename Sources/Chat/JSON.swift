import Foundation

/// A JSON value. Decoding is total: any well-formed JSON document decodes, and every accessor returns an
/// optional, so server data can never crash the adapter.
package enum JSON: Sendable, Equatable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSON])
    case object(JSONObject)

    /// An object of the members of `dictionary`.
    package static func object(_ dictionary: [String: JSON]) -> JSON { .object(JSONObject(dictionary)) }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSON].self) {
            self = .array(value)
        } else {
            self = .object(JSONObject(try container.decode([String: JSON].self)))
        }
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value):
            if value.rounded() == value, abs(value) < 9_007_199_254_740_992 {
                try container.encode(Int64(value))
            } else {
                try container.encode(value)
            }
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// Parses a document; throws on anything that is not well-formed JSON.
    ///
    /// Escaped lone surrogates (`"\ud800"`) are grammatical JSON that Foundation refuses; one such string in
    /// a `/sync` answer would fail every poll from that cursor on. They are replaced with U+FFFD and the
    /// document is parsed again. Values nested deeper than `maxDepth` (anyone who invites the bot controls
    /// the content of the invite's state) become `null`, so they neither fail the whole answer (Foundation
    /// refuses deep documents) nor recurse without bound.
    ///
    /// Most documents are read by `JSONScanner` in one pass; what it does not take is decoded by Foundation
    /// here, with the same result.
    package static func parse(_ data: Data) throws -> JSON {
        if let value = JSONScanner.parse(data) { return value }
        return try parseWithFoundation(data)
    }

    /// The objects whose `content` `parse(_:skipping:)` leaves out: those whose `type` and `sender` are these,
    /// wherever they are in the document (also nested, as an event bundled in another's `unsigned` would be).
    /// For the bot's own messages coming back in a `/sync`: nothing reads their content, and it was most of
    /// the answer (the bot's replies are its longest texts).
    ///
    /// `members`: keys whose values, when objects or arrays, are left out of every object of the document
    /// (passed over as a `content` is, so not checked either): for the parts of a `/sync` room nobody reads
    /// (its `ephemeral`, `account_data`, `unread_notifications`), each a few objects and arrays a room of
    /// every answer. Nothing may read a key named here, anywhere in the document.
    package struct SkippedContent: Sendable, Equatable {
        package var type: String
        package var sender: String
        package var members: [String]

        package init(type: String, sender: String, members: [String] = []) {
            self.type = type
            self.sender = sender
            self.members = members
        }
    }

    /// `parse`, leaving out the `content` (an object) of the objects `skipped` names. A content is passed over
    /// until the object's `type` and `sender` are known (Synapse writes an event's keys sorted: `content`
    /// first), then read only if the object is not one of those. A content left out is counted through
    /// (brackets and strings), not checked: a malformed one does not fail the document. When the scanner
    /// does not take the document, Foundation reads it whole.
    package static func parse(_ data: Data, skipping skipped: SkippedContent?) throws -> JSON {
        if let value = JSONScanner.parse(data, skipping: skipped) { return value }
        return try parseWithFoundation(data)
    }

    /// `parse` through Foundation's `JSONDecoder` alone (the scanner's reference).
    package static func parseWithFoundation(_ data: Data) throws -> JSON {
        let data = limitingDepth(data) ?? data
        do {
            return try JSONDecoder().decode(JSON.self, from: data)
        } catch {
            guard let repaired = replacingLoneSurrogates(data) else { throw error }
            return try JSONDecoder().decode(JSON.self, from: repaired)
        }
    }

    /// Matrix events nest a few levels; this leaves ample room and keeps the recursion shallow.
    package static let maxDepth = 64

    /// The document with every array or object that opens deeper than `maxDepth` replaced by `null`, or nil
    /// when nothing is that deep. One pass over the bytes, no recursion; strings are copied as they are.
    package static func limitingDepth(_ data: Data, maxDepth: Int = JSON.maxDepth) -> Data? {
        let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
        let opening: Set<UInt8> = [UInt8(ascii: "["), UInt8(ascii: "{")]
        let closing: Set<UInt8> = [UInt8(ascii: "]"), UInt8(ascii: "}")]
        return data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) -> Data? in
            // First pass: is anything too deep? (The common case: no, and nothing is copied.)
            var depth = 0
            var inString = false
            var escaped = false
            var tooDeep = false
            for byte in bytes {
                if inString {
                    if escaped { escaped = false } else if byte == backslash { escaped = true } else if byte == quote { inString = false }
                } else if byte == quote {
                    inString = true
                } else if opening.contains(byte) {
                    depth += 1
                    if depth > maxDepth {
                        tooDeep = true
                        break
                    }
                } else if closing.contains(byte) {
                    depth -= 1
                }
            }
            guard tooDeep else { return nil }
            var out = Data()
            out.reserveCapacity(bytes.count)
            depth = 0
            inString = false
            escaped = false
            var skipping = 0  // nesting inside a value being dropped
            for byte in bytes {
                if inString {
                    if escaped { escaped = false } else if byte == backslash { escaped = true } else if byte == quote { inString = false }
                    if skipping == 0 { out.append(byte) }
                    continue
                }
                if byte == quote {
                    inString = true
                    if skipping == 0 { out.append(byte) }
                } else if opening.contains(byte) {
                    if skipping > 0 {
                        skipping += 1
                    } else if depth == maxDepth {
                        skipping = 1
                        out.append(contentsOf: Array("null".utf8))
                    } else {
                        depth += 1
                        out.append(byte)
                    }
                } else if closing.contains(byte) {
                    if skipping > 0 {
                        skipping -= 1
                    } else {
                        depth -= 1
                        out.append(byte)
                    }
                } else if skipping == 0 {
                    out.append(byte)
                }
            }
            return out
        }
    }

    /// The document with every escaped lone surrogate replaced by `\ufffd`, or nil when it has none.
    package static func replacingLoneSurrogates(_ data: Data) -> Data? {
        let bytes = [UInt8](data)
        func hexValue(at index: Int) -> Int? {
            guard index + 6 <= bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
            else { return nil }
            var value = 0
            for byte in bytes[(index + 2)..<(index + 6)] {
                guard let digit = Int(String(Unicode.Scalar(byte)), radix: 16) else { return nil }
                value = value * 16 + digit
            }
            return value
        }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var changed = false
        var index = 0
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "\\"), index + 1 < bytes.count else {
                out.append(bytes[index])
                index += 1
                continue
            }
            guard let value = hexValue(at: index) else {
                // Any other escape: copy it whole, so an escaped backslash is never read as the start of one.
                out += bytes[index...(index + 1)]
                index += 2
                continue
            }
            if (0xD800...0xDBFF).contains(value), let low = hexValue(at: index + 6), (0xDC00...0xDFFF).contains(low) {
                out += bytes[index..<(index + 12)]
                index += 12
            } else if (0xD800...0xDFFF).contains(value) {
                out += Array("\\ufffd".utf8)
                changed = true
                index += 6
            } else {
                out += bytes[index..<(index + 6)]
                index += 6
            }
        }
        return changed ? Data(out) : nil
    }

    /// Compact JSON with sorted keys (deterministic, so tests can compare bodies): what `JSONEncoder` with
    /// `.sortedKeys` and `.withoutEscapingSlashes` writes, written by hand (the encoder was about a tenth of
    /// the instructions of a message answered: every request body goes through here). A number that is not
    /// a whole number within ±2⁵³ is left to the encoder (`JSONEncodedTests` compares the two); a number that
    /// is not finite, which JSON cannot hold, becomes `null`.
    package var encoded: Data {
        var out = ByteWriter(capacity: 256)
        write(to: &out)
        return out.data()
    }

    private func write(to out: inout ByteWriter) {
        switch self {
        case .null: out.append(literal: "null")
        case .bool(let value): out.append(literal: value ? "true" : "false")
        case .number(let value):
            if value.rounded() == value, abs(value) < 9_007_199_254_740_992 {
                out.append(utf8: String(Int64(value)))
            } else if value.isFinite {
                let encoder = JSONEncoder()
                out.append(contentsOf: (try? encoder.encode(value)).map { [UInt8]($0) } ?? Array("null".utf8))
            } else {
                out.append(literal: "null")
            }
        case .string(let value): Self.appendQuoted(value, to: &out)
        case .array(let values):
            out.append(UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                value.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (index, (key, value)) in members.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                Self.appendQuoted(key, to: &out)
                out.append(UInt8(ascii: ":"))
                value.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// A JSON string as `JSONEncoder` writes it with `.withoutEscapingSlashes`.
    static func appendQuoted(_ text: String, to out: inout ByteWriter) {
        RichText.appendQuoted(text, to: &out, escapingSlashes: false)
    }

    package var encodedString: String { String(decoding: encoded, as: UTF8.self) }

    package subscript(key: String) -> JSON? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    package var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    package var bool: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    package var number: Double? {
        if case .number(let value) = self { return value }
        return nil
    }

    package var array: [JSON]? {
        if case .array(let value) = self { return value }
        return nil
    }

    package var object: JSONObject? {
        if case .object(let value) = self { return value }
        return nil
    }
}

extension JSON: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    package init(stringLiteral value: String) { self = .string(value) }
    package init(booleanLiteral value: Bool) { self = .bool(value) }
    package init(integerLiteral value: Int) { self = .number(Double(value)) }
    package init(arrayLiteral elements: JSON...) { self = .array(elements) }
    package init(dictionaryLiteral elements: (String, JSON)...) {
        var object = JSONObject()
        for (key, value) in elements { object[key] = value }  // a key given twice keeps its last value
        self = .object(object)
    }
}
