/// A small formatted text: what the bot says, independent of the server's markup.
/// Renderers escape the text for each format, so text that came from a user can never inject markup,
/// links or mentions.
public struct RichText: Sendable, Codable, Equatable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible {
    public enum Span: Sendable, Codable, Equatable, Hashable {
        case text(String)
        case strong(String)
        case emphasis(String)
        case code(String)
        case lineBreak
        case link(text: String, url: String)
    }

    public var spans: [Span]

    public init(_ spans: [Span] = []) { self.spans = spans }

    /// Plain text; newlines become line breaks.
    public init(plain: String) {
        spans = []
        appendPlain(plain, as: Span.text)
    }

    public init(stringLiteral value: String) { self.init(plain: value) }

    enum Style: Sendable {
        case text, strong, emphasis, code
        func span(_ text: String) -> Span {
            switch self {
            case .text: .text(text)
            case .strong: .strong(text)
            case .emphasis: .emphasis(text)
            case .code: .code(text)
            }
        }
    }

    /// Builds rich text from a template with light markup: `**strong**`, `*emphasis*` and `` `code` ``,
    /// and `{name}` placeholders. Placeholder values are inserted as literal text (never parsed as markup);
    /// an unknown placeholder stays as written.
    /// (Read byte by byte: the markup is ASCII, and the text between it is copied in runs. Every answer is
    /// rendered from a template; going character by character, with a substring at each, was a twentieth
    /// of the instructions of a message answered.)
    public init(template: String, values: [String: String] = [:]) {
        spans = []
        var current = ""
        Self.walk(
            template, takes: { values[$0] != nil }, text: { current += $0 }, placeholder: { current += values[$0] ?? "" },
            end: { style in
                appendPlain(current, as: style.span)
                current = ""
            })
    }

    /// The reading of a template, for `init(template:values:)` and `Template`: `text` for each run between
    /// markup, `placeholder` for a `{name}` that `takes` accepts (other braces are text, and what they hold is
    /// read on), and `end` with the style of each stretch that a markup toggle (or the template's end) closes.
    static func walk(
        _ template: String, takes: (String) -> Bool, text: (String) -> Void, placeholder: (String) -> Void,
        end: (Style) -> Void
    ) {
        var style = Style.text
        let utf8 = template.utf8
        var runStart = utf8.startIndex
        var index = runStart
        /// The text since the last markup, then `skip` bytes of markup passed over.
        func takeRun(skipping skip: Int) {
            if runStart != index { text(String(decoding: utf8[runStart..<index], as: UTF8.self)) }
            index = utf8.index(index, offsetBy: skip)
            runStart = index
        }
        func toggle(_ target: Style, skipping skip: Int) {
            takeRun(skipping: skip)
            end(style)
            style = style == target ? .text : target
        }
        while index != utf8.endIndex {
            let byte = utf8[index]
            let next = utf8.index(after: index)
            if byte == UInt8(ascii: "*"), style != .code, next != utf8.endIndex, utf8[next] == UInt8(ascii: "*") {
                toggle(.strong, skipping: 2)
            } else if byte == UInt8(ascii: "`"), style == .text || style == .code {
                toggle(.code, skipping: 1)
            } else if byte == UInt8(ascii: "*"), style == .text || style == .emphasis {
                toggle(.emphasis, skipping: 1)
            } else if byte == UInt8(ascii: "{"), let close = utf8[next...].firstIndex(of: UInt8(ascii: "}")),
                case let name = String(decoding: utf8[next..<close], as: UTF8.self), takes(name)
            {
                takeRun(skipping: 0)
                placeholder(name)
                index = utf8.index(after: close)
                runStart = index
            } else {
                index = next
            }
        }
        takeRun(skipping: 0)
        end(style)
    }

    mutating func appendPlain(_ text: String, as make: (String) -> Span) {
        // The lines are those of a split at the Character "\n", found by bytes: a line feed is a Character
        // of its own except right after a carriage return ("\r\n" is one Character, and no line break), so
        // every other 0x0A byte ends a line at a Character boundary. The split by Characters broke the whole
        // text into graphemes, most of the cost of an answer's text.
        let utf8 = text.utf8
        var lineStart = utf8.startIndex
        var index = utf8.startIndex
        var previous: UInt8 = 0
        while index != utf8.endIndex {
            let byte = utf8[index]
            if byte == 0x0A && previous != 0x0D {
                if index != lineStart { spans.append(make(String(text[lineStart..<index]))) }
                spans.append(.lineBreak)
                lineStart = utf8.index(after: index)
            }
            previous = byte
            index = utf8.index(after: index)
        }
        if lineStart != utf8.endIndex { spans.append(make(String(text[lineStart...]))) }
    }

    public mutating func append(_ other: RichText) { spans += other.spans }

    public static func + (lhs: RichText, rhs: RichText) -> RichText { RichText(lhs.spans + rhs.spans) }

    /// Joins texts with a blank line between them.
    public static func paragraphs(_ parts: [RichText]) -> RichText {
        var result = RichText()
        for (offset, part) in parts.enumerated() {
            if offset > 0 { result.spans += [.lineBreak, .lineBreak] }
            result.append(part)
        }
        return result
    }

    public var isEmpty: Bool { spans.isEmpty }
    public var description: String { plainText }

    // MARK: Renderers

    public var plainText: String {
        // Bytes, as `html`: a `String` append cost a few hundred instructions, a long text makes sixty.
        var out = ByteWriter(capacity: writtenSizeEstimate(perSpan: 1))
        for span in spans {
            switch span {
            case .text(let text), .strong(let text), .emphasis(let text), .code(let text): out.append(utf8: text)
            case .lineBreak: out.append(UInt8(ascii: "\n"))
            case .link(let text, let url):
                out.append(utf8: text)
                if text != url {
                    out.append(literal: " (")
                    out.append(utf8: url)
                    out.append(UInt8(ascii: ")"))
                }
            }
        }
        return out.string()
    }

    /// HTML for Matrix `formatted_body` (the allowed subset only).
    public var html: String {
        var out = ByteWriter(capacity: writtenSizeEstimate(perSpan: 12))
        for span in spans {
            switch span {
            case .text(let text): ByteEscapes.html.append(text, to: &out)
            case .strong(let text): Self.appendHTML("<strong>", text, "</strong>", to: &out)
            case .emphasis(let text): Self.appendHTML("<em>", text, "</em>", to: &out)
            case .code(let text): Self.appendHTML("<code>", text, "</code>", to: &out)
            case .lineBreak: out.append(literal: "<br>")
            case .link(let text, let url):
                Self.appendHTML("<a href=\"", url, "\">", to: &out)
                Self.appendHTML("", text, "</a>", to: &out)
            }
        }
        return out.string()
    }

    /// Bytes enough for most renderings of the spans: their text and `perSpan` for each span's markup.
    func writtenSizeEstimate(perSpan: Int) -> Int {
        spans.reduce(16) { total, span in
            switch span {
            case .text(let text), .strong(let text), .emphasis(let text), .code(let text): total + text.utf8.count + perSpan
            case .lineBreak: total + perSpan
            case .link(let text, let url): total + text.utf8.count + url.utf8.count + 2 * perSpan
            }
        }
    }

    private static func appendHTML(_ open: StaticString, _ text: String, _ close: StaticString, to out: inout ByteWriter) {
        out.append(literal: open)
        ByteEscapes.html.append(text, to: &out)
        out.append(literal: close)
    }

    /// Markdown for Mattermost; user text is escaped and `@` mentions are defused.
    public var markdown: String {
        var atLineStart = true
        return spans.map { span -> String in
            defer {
                if case .lineBreak = span { atLineStart = true } else { atLineStart = false }
            }
            switch span {
            case .text(let text): return atLineStart ? Self.escapeMarkdownLineStart(text) : Self.escapeMarkdown(text)
            case .strong(let text): return "**\(Self.escapeMarkdown(text))**"
            case .emphasis(let text): return "_\(Self.escapeMarkdown(text))_"
            case .code(let text): return "`\(text.replacingAll("`", with: "'"))`"
            case .lineBreak: return "\n"
            case .link(let text, let url): return "[\(Self.escapeMarkdown(text))](\(url.replacingAll(")", with: "%29")))"
            }
        }.joined()
    }

    /// `escapeMarkdown` for text that begins a line, where more is markup: a list item (`- `, `+ `, `1. `),
    /// or a line of `=` or `-` that makes the line above a heading. The marker after any indentation is escaped.
    static func escapeMarkdownLineStart(_ text: String) -> String {
        let indentation = text.prefix { $0 == " " || $0 == "\t" }
        let rest = text.dropFirst(indentation.count)
        guard let first = rest.first else { return escapeMarkdown(text) }
        if first == "-" || first == "+" || first == "=" {
            return String(indentation) + "\\" + escapeMarkdown(String(rest))
        }
        let digits = rest.prefix { $0.isASCII && $0.isNumber }
        if !digits.isEmpty, rest.dropFirst(digits.count).first == "." {
            return String(indentation) + digits + "\\" + escapeMarkdown(String(rest.dropFirst(digits.count)))
        }
        return escapeMarkdown(text)
    }

    public func rendered(as markup: ChatCapabilities.Markup) -> String {
        switch markup {
        case .html: html
        case .markdown: markdown
        case .plain: plainText
        }
    }

    public static func escapeHTML(_ text: String) -> String { ByteEscapes.html.escaping(text) }

    public static func escapeMarkdown(_ text: String) -> String { ByteEscapes.markdown.escaping(text) }
}

extension String {
    fileprivate func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for character in self { if character == target { out += replacement } else { out.append(character) } }
        return out
    }
}
