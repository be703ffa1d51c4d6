import Foundation

/// The JSON the store keeps for a text (the outbox's body), written and read by hand: the form `Codable`
/// gives `RichText` (`{"spans":[{"text":{"_0":"Hej"}},{"lineBreak":{}},{"link":{"text":…,"url":…}}]}`), byte
/// for byte what `JSONEncoder` with sorted keys writes, so rows written either way read either way
/// (`RichTextStoredTests` holds the two to each other). Foundation's
/// `JSONEncoder` and `JSONDecoder` were a tenth of the instructions of every message answered: each reply is
/// written once and read at least once by the sender.
extension RichText {
    package var storedJSON: String {
        var out = ByteWriter(capacity: writtenSizeEstimate(perSpan: 24))
        out.append(literal: "{\"spans\":[")
        for (index, span) in spans.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            switch span {
            case .text(let text): Self.appendSingle("text", text, to: &out)
            case .strong(let text): Self.appendSingle("strong", text, to: &out)
            case .emphasis(let text): Self.appendSingle("emphasis", text, to: &out)
            case .code(let text): Self.appendSingle("code", text, to: &out)
            case .lineBreak: out.append(literal: "{\"lineBreak\":{}}")
            case .link(let text, let url):
                out.append(literal: "{\"link\":{\"text\":")
                Self.appendQuoted(text, to: &out)
                out.append(literal: ",\"url\":")
                Self.appendQuoted(url, to: &out)
                out.append(literal: "}}")
            }
        }
        out.append(literal: "]}")
        return out.string()
    }

    /// The text of stored JSON in that form; nil for anything else (the caller then asks `JSONDecoder`).
    /// What this process wrote is read straight into spans (`readWritten`); anything else with the same
    /// meaning (spaces, keys in another order) goes through a tree of `JSON` first.
    package init?(storedJSON: String) {
        if let spans = Self.readWritten(storedJSON) {
            self.init(spans)
            return
        }
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

    /// The text of stored JSON's bytes when they are exactly the form `storedJSON` writes, or nil (then the
    /// caller reads them as `storedJSON` text). The sender reads every body it sends: as a `String` first, the
    /// bytes were validated once for the column and once more, string by string, by the reading.
    package init?(writtenStoredJSON bytes: Data) {
        guard let spans = bytes.withUnsafeBytes({ raw in
            JSONScanner.read(raw.bindMemory(to: UInt8.self)) { scanner in Self.readSpans(&scanner) }
        }) else { return nil }
        self.init(spans)
    }

    /// The spans of text exactly as `storedJSON` writes it (no space, keys in its order), or nil.
    static func readWritten(_ text: String) -> [Span]? {
        JSONScanner.read(text) { scanner in readSpans(&scanner) }
    }

    private static func readSpans(_ scanner: inout JSONScanner) -> [Span]? {
        guard scanner.take("{\"spans\":[") else { return nil }
        var spans: [Span] = []
        if scanner.take("]}") { return spans }
        repeat {
            if scanner.take("{\"text\":{\"_0\":") {
                guard let text = scanner.quoted(), scanner.take("}}") else { return nil }
                spans.append(.text(text))
            } else if scanner.take("{\"lineBreak\":{}}") {
                spans.append(.lineBreak)
            } else if scanner.take("{\"strong\":{\"_0\":") {
                guard let text = scanner.quoted(), scanner.take("}}") else { return nil }
                spans.append(.strong(text))
            } else if scanner.take("{\"emphasis\":{\"_0\":") {
                guard let text = scanner.quoted(), scanner.take("}}") else { return nil }
                spans.append(.emphasis(text))
            } else if scanner.take("{\"code\":{\"_0\":") {
                guard let text = scanner.quoted(), scanner.take("}}") else { return nil }
                spans.append(.code(text))
            } else if scanner.take("{\"link\":{\"text\":") {
                guard let text = scanner.quoted(), scanner.take(",\"url\":"), let url = scanner.quoted(),
                    scanner.take("}}")
                else { return nil }
                spans.append(.link(text: text, url: url))
            } else {
                return nil
            }
        } while scanner.take(",")
        return scanner.take("]}") ? spans : nil
    }

    private static func appendSingle(_ kind: StaticString, _ text: String, to out: inout ByteWriter) {
        out.append(literal: "{\"")
        out.append(literal: kind)
        out.append(literal: "\":{\"_0\":")
        appendQuoted(text, to: &out)
        out.append(literal: "}}")
    }

    /// A JSON string as `JSONEncoder` writes it: `"`, `\` and `/` escaped, control characters as `\n`, `\t`…
    /// or `\u00XX`; the rest as it is (the erasure of a person's data looks for their id in both forms).
    /// Bytes, not characters: only ASCII is escaped, so the text between escapes is copied in whole runs.
    static func appendQuoted(_ text: String, to out: inout ByteWriter, escapingSlashes: Bool = true) {
        out.append(UInt8(ascii: "\""))
        (escapingSlashes ? ByteEscapes.jsonEscapingSlashes : ByteEscapes.jsonKeepingSlashes).append(text, to: &out)
        out.append(UInt8(ascii: "\""))
    }

    /// `appendQuoted` onto a string.
    package static func appendQuoted(_ text: String, to out: inout String, escapingSlashes: Bool = true) {
        var bytes = ByteWriter(capacity: text.utf8.count + 8)
        appendQuoted(text, to: &bytes, escapingSlashes: escapingSlashes)
        out += bytes.string()
    }
}
