import Foundation

/// The JSON the store keeps for a text (the outbox's body), written and read by hand: the form `Codable`
/// gives `RichText` (`{"spans":[{"text":{"_0":"Hej"}},{"lineBreak":{}},{"link":{"text":…,"url":…}}]}`), byte
/// for byte what `JSONEncoder` with sorted keys writes, so rows written either way read either way
/// (`RichTextStoredTests` holds the two to each other). Foundation's
/// `JSONEncoder` and `JSONDecoder` were a tenth of the instructions of every message answered: each reply is
/// written once and read at least once by the sender.
extension RichText {
    package var storedJSON: String {
        var out = "{\"spans\":["
        for (index, span) in spans.enumerated() {
            if index > 0 { out += "," }
            switch span {
            case .text(let text): Self.appendSingle("text", text, to: &out)
            case .strong(let text): Self.appendSingle("strong", text, to: &out)
            case .emphasis(let text): Self.appendSingle("emphasis", text, to: &out)
            case .code(let text): Self.appendSingle("code", text, to: &out)
            case .lineBreak: out += "{\"lineBreak\":{}}"
            case .link(let text, let url):
                out += "{\"link\":{\"text\":"
                Self.appendQuoted(text, to: &out)
                out += ",\"url\":"
                Self.appendQuoted(url, to: &out)
                out += "}}"
            }
        }
        out += "]}"
        return out
    }

    /// The text of stored JSON in that form; nil for anything else (the caller then asks `JSONDecoder`).
    package init?(storedJSON: String) {
        guard let json = JSONScanner.parse(Data(storedJSON.utf8)), case .object(let root) = json, root.count == 1,
            case .array(let items)? = root["spans"]
        else { return nil }
        var spans: [Span] = []
        spans.reserveCapacity(items.count)
        for item in items {
            guard case .object(let wrapper) = item, wrapper.count == 1, let (kind, value) = wrapper.first,
                case .object(let fields) = value
            else { return nil }
            switch kind {
            case "text", "strong", "emphasis", "code":
                guard fields.count == 1, case .string(let text)? = fields["_0"] else { return nil }
                spans.append(kind == "text" ? .text(text) : kind == "strong" ? .strong(text) : kind == "emphasis" ? .emphasis(text) : .code(text))
            case "lineBreak":
                guard fields.isEmpty else { return nil }
                spans.append(.lineBreak)
            case "link":
                guard fields.count == 2, case .string(let text)? = fields["text"], case .string(let url)? = fields["url"]
                else { return nil }
                spans.append(.link(text: text, url: url))
            default:
                return nil
            }
        }
        self.init(spans)
    }

    private static func appendSingle(_ kind: String, _ text: String, to out: inout String) {
        out += "{\"" + kind + "\":{\"_0\":"
        appendQuoted(text, to: &out)
        out += "}}"
    }

    /// A JSON string as `JSONEncoder` writes it: `"`, `\` and `/` escaped, control characters as `\n`, `\t`…
    /// or `\u00XX`; the rest as it is (the erasure of a person's data looks for their id in both forms).
    package static func appendQuoted(_ text: String, to out: inout String, escapingSlashes: Bool = true) {
        out += "\""
        // Cut only at the ASCII bytes that are escaped: every piece is whole UTF-8.
        let utf8 = text.utf8
        var plainStart = utf8.startIndex
        var index = plainStart
        while index != utf8.endIndex {
            let byte = utf8[index]
            if byte == 0x22 || byte == 0x5C || (byte == 0x2F && escapingSlashes) || byte < 0x20 {
                out += String(decoding: utf8[plainStart..<index], as: UTF8.self)
                switch byte {
                case 0x22: out += "\\\""
                case 0x5C: out += "\\\\"
                case 0x2F: out += "\\/"
                case 0x0A: out += "\\n"
                case 0x0D: out += "\\r"
                case 0x09: out += "\\t"
                case 0x08: out += "\\b"
                case 0x0C: out += "\\f"
                default:
                    let hex = Array("0123456789abcdef".utf8)
                    out += "\\u00" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]], as: UTF8.self)
                }
                index = utf8.index(after: index)
                plainStart = index
            } else {
                index = utf8.index(after: index)
            }
        }
        out += String(decoding: utf8[plainStart..<index], as: UTF8.self)
        out += "\""
    }
}
