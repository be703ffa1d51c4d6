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
        var style = Style.text
        var current = ""
        let utf8 = template.utf8
        var runStart = utf8.startIndex
        var index = runStart
        /// The text since the last markup, then `skip` bytes of markup passed over.
        func takeRun(skipping skip: Int) {
            current += String(decoding: utf8[runStart..<index], as: UTF8.self)
            index = utf8.index(index, offsetBy: skip)
            runStart = index
        }
        func toggle(_ target: Style, skipping skip: Int) {
            takeRun(skipping: skip)
            appendPlain(current, as: style.span)
            current = ""
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
                let value = values[String(decoding: utf8[next..<close], as: UTF8.self)]
            {
                takeRun(skipping: 0)
                current += value
                index = utf8.index(after: close)
                runStart = index
            } else {
                index = next
            }
        }
        takeRun(skipping: 0)
        appendPlain(current, as: style.span)
    }

    mutating func appendPlain(_ text: String, as make: (String) -> Span) {
        var first = true
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if !first { spans.append(.lineBreak) }
            first = false
            if !line.isEmpty { spans.append(make(String(line))) }
        }
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
        spans.map { span -> String in
            switch span {
            case .text(let text), .strong(let text), .emphasis(let text), .code(let text): text
            case .lineBreak: "\n"
            case .link(let text, let url): text == url ? url : "\(text) (\(url))"
            }
        }.joined()
    }

    /// HTML for Matrix `formatted_body` (the allowed subset only).
    public var html: String {
        spans.map { span -> String in
            switch span {
            case .text(let text): Self.escapeHTML(text)
            case .strong(let text): "<strong>\(Self.escapeHTML(text))</strong>"
            case .emphasis(let text): "<em>\(Self.escapeHTML(text))</em>"
            case .code(let text): "<code>\(Self.escapeHTML(text))</code>"
            case .lineBreak: "<br>"
            case .link(let text, let url): "<a href=\"\(Self.escapeHTML(url))\">\(Self.escapeHTML(text))</a>"
            }
        }.joined()
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

    public static func escapeHTML(_ text: String) -> String {
        escapingASCII(text) { byte in
            switch byte {
            case UInt8(ascii: "&"): "&amp;"
            case UInt8(ascii: "<"): "&lt;"
            case UInt8(ascii: ">"): "&gt;"
            case UInt8(ascii: "\""): "&quot;"
            case UInt8(ascii: "'"): "&#39;"
            default: nil
            }
        }
    }

    public static func escapeMarkdown(_ text: String) -> String {
        escapingASCII(text) { byte in
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

    /// `text` with each ASCII byte that `replacement` names replaced, the runs between copied whole (an
    /// ASCII byte is never inside a longer UTF-8 sequence, so every run is whole UTF-8): a copy per run, not
    /// per character (per character, escaping was a tenth of a message's sending).
    static func escapingASCII(_ text: String, _ replacement: (UInt8) -> String?) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count + 16)
        let utf8 = text.utf8
        var runStart = utf8.startIndex
        var index = runStart
        while index != utf8.endIndex {
            let byte = utf8[index]
            if byte < 0x80, let escaped = replacement(byte) {
                out += String(decoding: utf8[runStart..<index], as: UTF8.self)
                out += escaped
                index = utf8.index(after: index)
                runStart = index
            } else {
                index = utf8.index(after: index)
            }
        }
        if runStart == utf8.startIndex { return text }
        out += String(decoding: utf8[runStart..<index], as: UTF8.self)
        return out
    }
}

extension String {
    fileprivate func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for character in self { if character == target { out += replacement } else { out.append(character) } }
        return out
    }
}
