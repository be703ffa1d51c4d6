extension RichText {
    /// A template read once, for texts rendered again and again (every prompt): the markup is found when the
    /// catalog is loaded, and a rendering only joins the text between it with the placeholders' values.
    ///
    /// `render(_:)` gives what `RichText(template:values:)` gives for the same template and values
    /// (`RichTextTemplateTests` holds the two to each other over random templates). A template whose braces
    /// hold markup (`{**}`), which the parser may read either as a placeholder or as text, is left to the
    /// parser at every rendering.
    public struct Template: Sendable {
        enum Piece: Sendable {
            case literal(String)
            case slot(String)
        }

        /// The text between two markup toggles, in the style it has there.
        struct Segment: Sendable {
            let style: Style
            let pieces: [Piece]
        }

        private let source: String
        /// Nil when the template is left to the parser.
        private let segments: [Segment]?
        /// The rendering, when the template has no placeholder: the same every time.
        private let constant: RichText?

        public init(_ template: String) {
            source = template
            let segments = Self.compile(template)
            self.segments = segments
            let hasSlot = segments?.contains { $0.pieces.contains { if case .slot = $0 { true } else { false } } }
            constant = hasSlot == false ? Self.render(segments ?? [], [:]) : nil
        }

        /// Whether the markup was found once (else the parser reads the template at every rendering).
        public var isCompiled: Bool { segments != nil }

        public func render(_ values: [String: String] = [:]) -> RichText {
            if let constant { return constant }
            guard let segments else { return RichText(template: source, values: values) }
            return Self.render(segments, values)
        }

        private static func render(_ segments: [Segment], _ values: [String: String]) -> RichText {
            var text = RichText()
            for segment in segments {
                var current = ""
                for piece in segment.pieces {
                    switch piece {
                    case .literal(let literal): current += literal
                    // A placeholder without a value stays as written, as the parser leaves it.
                    case .slot(let name): current += values[name] ?? "{" + name + "}"
                    }
                }
                text.appendPlain(current, as: segment.style.span)
            }
            return text
        }

        /// The parser's walk of `RichText(template:values:)`, with every `{name}` kept as a slot; nil when a
        /// pair of braces holds markup or another brace.
        private static func compile(_ template: String) -> [Segment]? {
            var segments: [Segment] = []
            var pieces: [Piece] = []
            var literal = ""
            var style = Style.text
            let utf8 = template.utf8
            var runStart = utf8.startIndex
            var index = runStart
            func takeRun(skipping skip: Int) {
                literal += String(decoding: utf8[runStart..<index], as: UTF8.self)
                index = utf8.index(index, offsetBy: skip)
                runStart = index
            }
            func endLiteral() {
                if !literal.isEmpty { pieces.append(.literal(literal)) }
                literal = ""
            }
            func toggle(_ target: Style, skipping skip: Int) {
                takeRun(skipping: skip)
                endLiteral()
                segments.append(Segment(style: style, pieces: pieces))
                pieces = []
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
                } else if byte == UInt8(ascii: "{"), let close = utf8[next...].firstIndex(of: UInt8(ascii: "}")) {
                    let name = utf8[next..<close]
                    // Without a value the parser reads on inside the braces: markup there would count.
                    guard !name.contains(where: { $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "`") || $0 == UInt8(ascii: "{") })
                    else { return nil }
                    takeRun(skipping: 0)
                    endLiteral()
                    pieces.append(.slot(String(decoding: name, as: UTF8.self)))
                    index = utf8.index(after: close)
                    runStart = index
                } else {
                    index = next
                }
            }
            takeRun(skipping: 0)
            endLiteral()
            segments.append(Segment(style: style, pieces: pieces))
            return segments
        }
    }
}
