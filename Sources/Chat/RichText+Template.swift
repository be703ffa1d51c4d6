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

        /// The parser's walk (`RichText.walk`), with every `{name}` kept as a slot; nil when a pair of braces
        /// holds markup or another brace (without a value the parser reads on inside the braces, where markup
        /// would count, so the template depends on which values are given).
        private static func compile(_ template: String) -> [Segment]? {
            var segments: [Segment] = []
            var pieces: [Piece] = []
            var literal = ""
            var markupInBraces = false
            func endLiteral() {
                if !literal.isEmpty { pieces.append(.literal(literal)) }
                literal = ""
            }
            RichText.walk(
                template,
                takes: { name in
                    if name.utf8.contains(where: { $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "`") || $0 == UInt8(ascii: "{") }) {
                        markupInBraces = true
                    }
                    return true
                },
                text: { literal += $0 },
                placeholder: { name in
                    endLiteral()
                    pieces.append(.slot(name))
                },
                end: { style in
                    endLiteral()
                    segments.append(Segment(style: style, pieces: pieces))
                    pieces = []
                })
            return markupInBraces ? nil : segments
        }
    }
}
