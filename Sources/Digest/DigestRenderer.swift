import Chat

/// Renders a digest document for a chat server and splits it into messages that fit the server's limit.
public enum DigestRenderer {
    /// The messages to send, each fitting `capabilities.maxMessageBytes` in the server's markup, cut at
    /// section boundaries (a single section larger than the limit is cut between lines, its heading repeated
    /// with the document's "(forts.)" marker). A single line larger than a whole message is shortened
    /// with an ellipsis; nothing else is ever left out. Limits below ~1 KB are not supported.
    public static func messages(_ document: DigestDocument, capabilities: ChatCapabilities) -> [RichText] {
        let measure = Measure(markup: capabilities.markup)
        var packer = Packer(measure: measure, budget: capabilities.maxMessageBytes - measure.envelope)
        packer.add(packer.shortened(document.title, within: packer.budget), separator: .paragraph)
        for section in document.sections {
            let whole = section.text
            let cost = measure.cost(whole)
            if packer.fits(cost, separator: .paragraph) {
                packer.add(whole, cost: cost, separator: .paragraph)
                continue
            }
            if cost <= packer.budget {
                packer.flush()
                packer.add(whole, cost: cost, separator: .paragraph)
                continue
            }
            packer.addCut(section, continued: document.continued)
        }
        packer.flush()
        return packer.messages
    }

    /// The whole digest in one markup (terminal = `.plain`; Matrix = `.html`, sent with the plain text as
    /// its `body`; Mattermost = `.markdown`).
    public static func render(_ document: DigestDocument, as markup: ChatCapabilities.Markup) -> String {
        document.text.rendered(as: markup)
    }

    /// What a message costs against `maxMessageBytes`.
    ///
    /// Matrix (`.html`) sends the plain `body` and the HTML `formatted_body` in one JSON event: both are
    /// counted JSON-escaped, plus `envelope` bytes for the rest of the event content (`msgtype`, `format`,
    /// `m.mentions`, the keys). Markdown and plain text count the UTF-8 bytes of the text, which is never
    /// less than its characters (Mattermost's limit is in characters). Costs add up: the cost of two texts
    /// joined is the sum of their costs, so a message is measured piece by piece.
    public struct Measure: Sendable {
        public var markup: ChatCapabilities.Markup

        public init(markup: ChatCapabilities.Markup) { self.markup = markup }

        /// Bytes of a message that are not its text.
        public var envelope: Int { markup == .html ? 512 : 0 }

        public func cost(_ text: RichText) -> Int {
            switch markup {
            case .html: Self.jsonCost(text.plainText) + Self.jsonCost(text.html)
            case .markdown: text.markdown.utf8.count
            case .plain: text.plainText.utf8.count
            }
        }

        /// The size of a message as sent: its text and, for Matrix, the envelope.
        public func size(_ text: RichText) -> Int { envelope + cost(text) }

        /// UTF-8 bytes of a string inside a JSON string literal, counting every escape a JSON encoder may use.
        static func jsonCost(_ string: String) -> Int {
            var total = 0
            for scalar in string.unicodeScalars {
                switch scalar.value {
                case 0x22, 0x5C, 0x2F, 0x08, 0x09, 0x0A, 0x0C, 0x0D: total += 2
                case 0x00..<0x20, 0x7F, 0x2028, 0x2029: total += 6
                default: total += String(scalar).utf8.count
                }
            }
            return total
        }
    }

    enum Separator {
        case paragraph, line
        var spans: [RichText.Span] {
            switch self {
            case .paragraph: [.lineBreak, .lineBreak]
            case .line: [.lineBreak]
            }
        }
    }

    /// Fills messages greedily, piece by piece, tracking each one's cost.
    struct Packer {
        let measure: Measure
        let budget: Int
        var messages: [RichText] = []
        var current = RichText()
        var cost = 0

        init(measure: Measure, budget: Int) {
            self.measure = measure
            self.budget = max(budget, 1)
        }

        func separatorCost(_ separator: Separator) -> Int { measure.cost(RichText(separator.spans)) }

        func fits(_ extra: Int, separator: Separator) -> Bool {
            (current.isEmpty ? extra : cost + separatorCost(separator) + extra) <= budget
        }

        mutating func add(_ text: RichText, separator: Separator) {
            add(text, cost: measure.cost(text), separator: separator)
        }

        mutating func add(_ text: RichText, cost extra: Int, separator: Separator) {
            if !current.isEmpty {
                current.spans += separator.spans
                cost += separatorCost(separator)
            }
            current.append(text)
            cost += extra
        }

        mutating func flush() {
            if !current.isEmpty { messages.append(current) }
            current = RichText()
            cost = 0
        }

        /// A section larger than a message: its heading and as many lines as fit, then the rest in the
        /// next messages, each starting with the heading and the "(forts.)" marker.
        mutating func addCut(_ section: DigestSection, continued: RichText) {
            let hasHeading = !section.heading.isEmpty
            let again = hasHeading ? section.heading + RichText([.text(" ")]) + continued : RichText()
            var heading = section.heading
            // The first line needs room next to the heading; else the section starts a new message.
            var started = false
            if section.lines.isEmpty { add(shortened(section.heading, within: budget), separator: .paragraph) }
            for line in section.lines {
                if started {
                    let lineCost = measure.cost(line)
                    if fits(lineCost, separator: .line) {
                        add(line, cost: lineCost, separator: .line)
                        continue
                    }
                    flush()
                    heading = again
                }
                let headCost = hasHeading ? measure.cost(heading) + separatorCost(.line) : 0
                let lineCost = measure.cost(line)
                if !started, !fits(headCost + lineCost, separator: .paragraph) { flush() }
                let fitted = shortened(line, within: budget - headCost)
                if hasHeading {
                    add(heading, separator: .paragraph)
                    add(fitted, separator: .line)
                } else {
                    add(fitted, separator: .paragraph)
                }
                started = true
            }
        }

        /// The text itself when it costs at most `limit`, else its longest beginning that does, with "…".
        func shortened(_ text: RichText, within limit: Int) -> RichText {
            if measure.cost(text) <= limit { return text }
            let total = text.spans.reduce(0) { $0 + Self.length($1) }
            var low = 0
            var high = total
            while low < high {
                let middle = (low + high + 1) / 2
                if measure.cost(Self.prefix(text, middle)) <= limit { low = middle } else { high = middle - 1 }
            }
            return Self.prefix(text, low)
        }

        private static func length(_ span: RichText.Span) -> Int {
            switch span {
            case .text(let text), .strong(let text), .emphasis(let text), .code(let text): text.count
            case .lineBreak: 1
            case .link(let text, _): text.count
            }
        }

        /// The first `count` characters of the text, and an ellipsis.
        private static func prefix(_ text: RichText, _ count: Int) -> RichText {
            var left = count
            var spans: [RichText.Span] = []
            for span in text.spans {
                guard left > 0 else { break }
                let size = length(span)
                if size <= left {
                    spans.append(span)
                    left -= size
                    continue
                }
                switch span {
                case .text(let text): spans.append(.text(String(text.prefix(left))))
                case .strong(let text): spans.append(.strong(String(text.prefix(left))))
                case .emphasis(let text): spans.append(.emphasis(String(text.prefix(left))))
                case .code(let text): spans.append(.code(String(text.prefix(left))))
                case .lineBreak, .link: break
                }
                left = 0
            }
            spans.append(.text("…"))
            return RichText(spans)
        }
    }
}
