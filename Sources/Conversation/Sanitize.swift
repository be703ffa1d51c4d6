import Foundation

enum Sanitize {
    /// Text as it is stored: line endings made `\n`, control and invisible format characters removed
    /// (zero-width spaces and joiners, bidi overrides, BOM, soft hyphen) except the joiners and tags
    /// inside emoji sequences, NFC-normalised, trimmed.
    static func clean(_ text: String) -> String {
        simpleClean(text) ?? cleanScalars(text)
    }

    /// `clean` of a text of printable ASCII, line feeds and two-byte Latin-1 characters (lead byte 0xC3:
    /// letters, × and ÷), which is most of what people write: nothing in it is rewritten or dropped, and
    /// every such character is already in composed form with nothing after it that could combine, so only
    /// the spaces and line feeds at either end go. Nil for any other text. `SanitizeTests` holds the two
    /// to each other.
    static func simpleClean(_ text: String) -> String? {
        var afterLead = false
        for byte in text.utf8 {
            if afterLead {
                afterLead = false
            } else if byte == 0xC3 {
                afterLead = true
            } else if !((byte >= 0x20 && byte < 0x7F) || byte == 0x0A) {
                return nil
            }
        }
        let utf8 = text.utf8
        func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x0A }
        guard let first = utf8.firstIndex(where: { !isBlank($0) }), let last = utf8.lastIndex(where: { !isBlank($0) }) else {
            return ""
        }
        if first == utf8.startIndex && utf8.index(after: last) == utf8.endIndex { return text }
        return String(text[first..<utf8.index(after: last)])
    }

    /// `clean` scalar by scalar, for any text.
    static func cleanScalars(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            defer { index += 1 }
            switch scalar.value {
            case 0x0D:  // CR, CRLF → LF
                if index + 1 < scalars.count, scalars[index + 1].value == 0x0A { continue }
                out.append("\n")
                continue
            case 0x0A, 0x2028, 0x2029, 0x85:
                out.append("\n")
                continue
            case 0x09:
                out.append(" ")
                continue
            default: break
            }
            switch scalar.properties.generalCategory {
            case .control:
                continue
            case .format:
                if keepInEmoji(scalar, previous: out.last, next: index + 1 < scalars.count ? scalars[index + 1] : nil) {
                    out.append(scalar)
                }
                continue
            default:
                out.append(scalar)
            }
        }
        let normalized = String(out).precomposedStringWithCanonicalMapping
        return normalized.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A zero-width joiner between two emoji (👩‍💻) and tag characters after a flag (🏴󠁧󠁢󠁳󠁣󠁴󠁿) are part of the picture.
    private static func keepInEmoji(_ scalar: Unicode.Scalar, previous: Unicode.Scalar?, next: Unicode.Scalar?) -> Bool {
        guard let previous else { return false }
        switch scalar.value {
        case 0x200D:
            guard let next else { return false }
            let before = previous.properties.isEmoji || previous.value == 0xFE0F || previous.properties.isEmojiModifier
            return before && next.properties.isEmoji && next.value > 0xFF
        case 0xE0020...0xE007F:
            return previous.value == 0x1F3F4 || (0xE0020...0xE007F).contains(previous.value)
        default:
            return false
        }
    }

    /// True when nothing visible is left.
    static func isBlank(_ text: String) -> Bool {
        text.allSatisfy { $0.isWhitespace }
    }
}
