import Chat

/// A digest as a document: a title and sections of lines, independent of the server's markup.
/// `DigestRenderer` renders it and splits it into messages.
public struct DigestDocument: Sendable, Equatable {
    public var title: RichText
    public var sections: [DigestSection]
    /// Put after a section's heading when the section goes on in the next message: "(forts.)".
    public var continued: RichText

    /// The whole document: the title and the sections, a blank line between them.
    public var text: RichText { .paragraphs([title] + sections.map(\.text)) }
}

/// A heading (empty for a section of loose lines, such as the thanks) and its lines. A line may hold
/// line breaks of its own (a cluster of similar ideas is one line): it is never cut when split.
public struct DigestSection: Sendable, Equatable {
    public var heading: RichText
    public var lines: [RichText]

    /// The heading (if any) and the lines, one per row.
    public var text: RichText { Self.rows((heading.isEmpty ? [] : [heading]) + lines) }

    /// Texts joined with line breaks.
    static func rows(_ parts: [RichText]) -> RichText {
        var result = RichText()
        for (offset, part) in parts.enumerated() {
            if offset > 0 { result.spans.append(.lineBreak) }
            result.append(part)
        }
        return result
    }
}
