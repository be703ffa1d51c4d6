/// Replacements for some ASCII bytes, applied while copying a string's UTF-8 into a byte buffer: the runs
/// between replaced bytes are copied whole (an ASCII byte is never inside a longer UTF-8 sequence, so every
/// run is whole UTF-8). Every text the bot sends is escaped this way, once for each format, byte by byte
/// in a tight loop instead of character by character.
struct ByteEscapes: Sendable {
    /// The replacement of each ASCII byte, or nil to keep it.
    private let replacements: [[UInt8]?]
    /// For each of the 256 byte values, whether it is replaced: the loop's one test a byte (no byte of a
    /// longer UTF-8 sequence ever is).
    private let replaced: [UInt8]

    init(_ replacement: (UInt8) -> String?) {
        let replacements = (0..<128).map { replacement(UInt8($0)).map { Array($0.utf8) } }
        self.replacements = replacements
        replaced = (0..<256).map { $0 < 128 && replacements[$0] != nil ? 1 : 0 }
    }

    /// Appends `text` to `out`, escaped.
    func append(_ text: String, to out: inout ByteWriter) {
        var text = text
        text.withUTF8 { bytes in
            guard let base = bytes.baseAddress else { return }
            let count = bytes.count
            replaced.withUnsafeBufferPointer { replaced in
                var runStart = 0
                var index = 0
                while index < count {
                    // Eight bytes a test where none is replaced (most of every text): one branch instead of eight.
                    while count - index >= 8 {
                        let word = base + index
                        let any =
                            replaced[Int(word[0])] | replaced[Int(word[1])] | replaced[Int(word[2])] | replaced[Int(word[3])]
                            | replaced[Int(word[4])] | replaced[Int(word[5])] | replaced[Int(word[6])] | replaced[Int(word[7])]
                        if any != 0 { break }
                        index += 8
                    }
                    // Then the word that holds a replaced byte (or the last few bytes), byte by byte.
                    let end = min(count, index + 8)
                    while index < end {
                        let byte = base[index]
                        if replaced[Int(byte)] != 0, let replacement = replacements[Int(byte)] {
                            out.append(base + runStart, count: index - runStart)
                            out.append(contentsOf: replacement)
                            runStart = index + 1
                        }
                        index += 1
                    }
                }
                out.append(base + runStart, count: count - runStart)
            }
        }
    }

    /// `text` escaped (the text itself when nothing in it is replaced).
    func escaping(_ text: String) -> String {
        var out = ByteWriter(capacity: text.utf8.count + 16)
        append(text, to: &out)
        return out.count == text.utf8.count ? text : out.string()
    }

    /// A JSON string's content as `JSONEncoder` writes it: `"` and `\` escaped, `/` too when asked, control
    /// characters as `\n`, `\t`… or `\u00XX`.
    static func json(escapingSlashes: Bool) -> ByteEscapes {
        let hex = Array("0123456789abcdef")
        return ByteEscapes { byte -> String? in
            switch byte {
            case 0x22: return "\\\""
            case 0x5C: return "\\\\"
            case 0x2F: return escapingSlashes ? "\\/" : nil
            case 0x0A: return "\\n"
            case 0x0D: return "\\r"
            case 0x09: return "\\t"
            case 0x08: return "\\b"
            case 0x0C: return "\\f"
            case 0..<0x20: return "\\u00" + String(hex[Int(byte >> 4)]) + String(hex[Int(byte & 0x0F)])
            default: return nil
            }
        }
    }

    static let jsonEscapingSlashes = json(escapingSlashes: true)
    static let jsonKeepingSlashes = json(escapingSlashes: false)

    static let html = ByteEscapes { byte in
        switch byte {
        case UInt8(ascii: "&"): "&amp;"
        case UInt8(ascii: "<"): "&lt;"
        case UInt8(ascii: ">"): "&gt;"
        case UInt8(ascii: "\""): "&quot;"
        case UInt8(ascii: "'"): "&#39;"
        default: nil
        }
    }

    static let markdown = ByteEscapes { byte in
        switch byte {
        // `&` too: an entity someone typed (`&lt;`) is shown as typed, not decoded.
        case UInt8(ascii: "\\"): "\\\\"
        case UInt8(ascii: "*"): "\\*"
        case UInt8(ascii: "_"): "\\_"
        case UInt8(ascii: "`"): "\\`"
        case UInt8(ascii: "["): "\\["
        case UInt8(ascii: "]"): "\\]"
        case UInt8(ascii: "("): "\\("
        case UInt8(ascii: ")"): "\\)"
        case UInt8(ascii: "#"): "\\#"
        case UInt8(ascii: "<"): "\\<"
        case UInt8(ascii: ">"): "\\>"
        case UInt8(ascii: "~"): "\\~"
        case UInt8(ascii: "|"): "\\|"
        case UInt8(ascii: "!"): "\\!"
        case UInt8(ascii: "&"): "\\&"
        // A zero-width joiner after @ keeps @channel, @all and @here from pinging anyone.
        case UInt8(ascii: "@"): "@\u{2060}"
        default: nil
        }
    }
}

extension Array where Element == UInt8 {
    /// Appends a literal's bytes in one copy (`+= "…".utf8` goes through the generic sequence path, about
    /// 180 instructions for a few bytes).
    mutating func append(literal: StaticString) {
        append(contentsOf: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }
}
