import Foundation
import Testing

@testable import Chat

/// The outbox keeps a text as JSON written by hand (`RichText.storedJSON`); rows written by Foundation's
/// `JSONEncoder` (older versions) read the same, and Foundation reads what is written by hand.
@Suite struct RichTextStoredTests {
    static let odd = [
        "", "Hej", "\"quoted\" \\ back", "line\nbreak\r\n\t tab", "\u{0}\u{1}\u{1F}\u{7F}", "åäö ÅÄÖ é e\u{301}",
        "🧑‍🍳 emoji", "\u{202E}rtl\u{200B}", "日本語", "/slash/ </script>", "\r\n", "\u{FEFF}bom",
    ]

    static func random(_ generator: inout SplitMix64) -> RichText {
        var spans: [RichText.Span] = []
        for _ in 0..<Int(generator.next() % 8) {
            let text = odd[Int(generator.next() % UInt64(odd.count))] + String(generator.next() % 1000)
            switch generator.next() % 6 {
            case 0: spans.append(.text(text))
            case 1: spans.append(.strong(text))
            case 2: spans.append(.emphasis(text))
            case 3: spans.append(.code(text))
            case 4: spans.append(.lineBreak)
            default: spans.append(.link(text: text, url: "https://kommun.se/" + text))
            }
        }
        return RichText(spans)
    }

    @Test func roundTripsAndAgreesWithFoundation() throws {
        var generator = SplitMix64(seed: 7)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        for _ in 0..<2_000 {
            let text = Self.random(&generator)
            let written = text.storedJSON
            #expect(RichText(storedJSON: written) == text)
            #expect(try JSONDecoder().decode(RichText.self, from: Data(written.utf8)) == text)
            let byFoundation = String(decoding: try encoder.encode(text), as: UTF8.self)
            #expect(RichText(storedJSON: byFoundation) == text)
            #expect(written == byFoundation)
        }
    }

    /// What this process writes is read straight into spans; the same document spaced out, or with its keys in
    /// another order, or with escapes where the writer leaves characters as they are, reads the same through
    /// the tree of `JSON`.
    @Test func writtenTextIsReadDirectlyAndAnyOtherFormTheSame() throws {
        var generator = SplitMix64(seed: 17)
        for _ in 0..<2_000 {
            let text = Self.random(&generator)
            let written = text.storedJSON
            #expect(RichText.readWritten(written) == text.spans)
            let spaced = written.replacingOccurrences(of: "\":", with: "\" : ").replacingOccurrences(of: ",{", with: ", {")
            let escaped = written.replacingOccurrences(of: "Hej", with: "\\u0048ej")
            for other in [spaced, escaped, written + " "] where other != written {
                if other != escaped { #expect(RichText.readWritten(other) == nil) }
                #expect(RichText(storedJSON: other) == text, "\(other)")
            }
            if case .link(let linkText, let url)? = text.spans.first {
                let reordered = written.replacingOccurrences(
                    of: "{\"link\":{\"text\":" + Self.quoted(linkText) + ",\"url\":" + Self.quoted(url) + "}}",
                    with: "{\"link\":{\"url\":" + Self.quoted(url) + ",\"text\":" + Self.quoted(linkText) + "}}")
                #expect(RichText.readWritten(reordered) == nil)
                #expect(RichText(storedJSON: reordered) == text)
            }
        }
    }

    static func quoted(_ text: String) -> String {
        var out = ""
        RichText.appendQuoted(text, to: &out)
        return out
    }

    @Test(arguments: [
        "", "{}", "[]", "{\"spans\":{}}", "{\"spans\":[1]}", "{\"spans\":[{\"bold\":{\"_0\":\"x\"}}]}",
        "{\"spans\":[{\"text\":{\"_0\":1}}]}", "{\"spans\":[{\"text\":{}}]}", "{\"spans\":[{\"lineBreak\":{\"x\":1}}]}",
        "{\"spans\":[{\"link\":{\"text\":\"a\"}}]}", "{\"spans\":[],\"extra\":1}", "{\"spans\":[{\"text\":{\"_0\":\"a\"},\"code\":{}}]}",
        "not json", "{\"spans\":[{\"text\":{\"_0\":\"a\"}}]", "\u{0}", "{\"spans\":[{\"text\":{\"_0\":\"a\"}},]}",
        "{\"spans\":[{\"text\":{\"_0\":\"a\"}}]}x", "{\"spans\":[{\"text\":{\"_0\":\"\\x\"}}]}",
        "{\"spans\":[{\"text\":{\"_0\":\"\u{1}\"}}]}",
    ])
    func anythingElseIsLeftToFoundation(json: String) {
        #expect(RichText(storedJSON: json) == nil)
    }
}

/// Request bodies are written by hand (`JSON.encoded`): byte for byte what `JSONEncoder` writes with sorted
/// keys and unescaped slashes.
@Suite struct JSONEncodedTests {
    static func random(_ generator: inout SplitMix64, depth: Int = 0) -> JSON {
        let keys = ["body", "Body", "msgtype", "a", "B", "_x", "10", "9", "ä", "z/y", "", "\u{1}", "m.relates_to"]
        switch generator.next() % (depth > 3 ? 4 : 6) {
        case 0: return .null
        case 1: return .bool(generator.next() % 2 == 0)
        case 2:
            let choices: [Double] = [0, -0.0, 1, -1, 42, 1_700_000_000_000, 9_007_199_254_740_991, -9_007_199_254_740_991, 0.5, 1e300, -2.25e-8, 3.14159]
            return .number(choices[Int(generator.next() % UInt64(choices.count))])
        case 3: return .string(RichTextStoredTests.odd[Int(generator.next() % UInt64(RichTextStoredTests.odd.count))] + "/x")
        case 4: return .array((0..<Int(generator.next() % 4)).map { _ in random(&generator, depth: depth + 1) })
        default:
            var members: [String: JSON] = [:]
            for _ in 0..<Int(generator.next() % 5) {
                members[keys[Int(generator.next() % UInt64(keys.count))]] = random(&generator, depth: depth + 1)
            }
            return .object(members)
        }
    }

    @Test func writesWhatJSONEncoderWrites() throws {
        var generator = SplitMix64(seed: 11)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for _ in 0..<3_000 {
            let value = Self.random(&generator)
            let byHand = String(decoding: value.encoded, as: UTF8.self)
            #expect(byHand == String(decoding: try encoder.encode(value), as: UTF8.self))
            #expect(try JSON.parse(value.encoded) == value)
        }
    }

    @Test func numbersJSONCannotHoldBecomeNull() {
        #expect(JSON.array([.number(.nan), .number(.infinity), .number(-.infinity)]).encodedString == "[null,null,null]")
    }
}

/// Templates are read byte by byte; this is the character-by-character reading they replaced, which the new
/// one must match on any template. (Unlike it, a combining mark after `*` or a backtick does not make the
/// markup literal: templates are the project's own prompts.)
@Suite struct TemplateReadingTests {
    static func reference(_ template: String, _ values: [String: String]) -> RichText {
        enum Style { case text, strong, emphasis, code }
        var spans: [RichText.Span] = []
        func appendPlain(_ text: String, _ style: Style) {
            var first = true
            for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
                if !first { spans.append(.lineBreak) }
                first = false
                guard !line.isEmpty else { continue }
                switch style {
                case .text: spans.append(.text(String(line)))
                case .strong: spans.append(.strong(String(line)))
                case .emphasis: spans.append(.emphasis(String(line)))
                case .code: spans.append(.code(String(line)))
                }
            }
        }
        var style = Style.text
        var current = ""
        var index = template.startIndex
        func toggle(_ target: Style) {
            appendPlain(current, style)
            current = ""
            style = style == target ? .text : target
        }
        while index < template.endIndex {
            let rest = template[index...]
            let character = template[index]
            if style != .code && rest.hasPrefix("**") {
                toggle(.strong)
                index = template.index(index, offsetBy: 2)
                continue
            }
            if character == "`" && (style == .text || style == .code) {
                toggle(.code)
            } else if character == "*" && (style == .text || style == .emphasis) {
                toggle(.emphasis)
            } else if character == "{", let close = rest.firstIndex(of: "}"),
                let value = values[String(rest[rest.index(after: rest.startIndex)..<close])]
            {
                current += value
                index = template.index(after: close)
                continue
            } else {
                current.append(character)
            }
            index = template.index(after: index)
        }
        appendPlain(current, style)
        return RichText(spans)
    }

    @Test func readsAsTheCharacterByCharacterReadingDid() {
        let pieces = ["*", "**", "`", "{", "}", "{namn}", "{nummer}", "{okänd}", "Hej", " ", "\n", "åäö", "idé", "🧑‍🍳", "x", "{", "*\n*", "`**`", "\r\n", "a\r"]
        let values = ["namn": "Anna *inte* `kod`", "nummer": "12", "tom": ""]
        var generator = SplitMix64(seed: 3)
        for _ in 0..<20_000 {
            let template = (0..<Int(generator.next() % 12)).map { _ in pieces[Int(generator.next() % UInt64(pieces.count))] }.joined()
            #expect(RichText(template: template, values: values) == Self.reference(template, values), "\(template)")
        }
    }
}

/// HTML and Markdown escaping copy runs of bytes between the characters they replace: held to the escape
/// of one scalar at a time that they replaced, over seeded random texts.
@Suite struct EscapingTests {
    static func perScalar(_ text: String, _ table: [Unicode.Scalar: String]) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if let replaced = table[scalar] { out += replaced } else { out.unicodeScalars.append(scalar) }
        }
        return out
    }

    @Test func theSameAsOneScalarAtATime() {
        let html: [Unicode.Scalar: String] = ["&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;"]
        var markdown: [Unicode.Scalar: String] = ["@": "@\u{2060}"]
        for scalar in "\\*_`[]()#<>~|!&".unicodeScalars { markdown[scalar] = "\\" + String(scalar) }
        let pieces = ["a", "å", "&", "<", ">", "\"", "'", "@", "*", "_", "\\", "`", "[", "]", "#", "~", "|", "!", "(", ")",
                      "\u{301}", "😀", "👩‍👩‍👧", "\n", " ", "\u{0}", "é", "日本", "&amp;",
                      // Runs of eight and more bytes with nothing to escape (the escapers test a word at a time).
                      "abcdefgh", "en lång rad utan tecken ", "0123456789abcdefghijklmnop"]
        var random = SplitMix64(seed: 77)
        for _ in 0..<5_000 {
            let text = (0..<Int(random.next() % 24)).map { _ in pieces[Int(random.next() % UInt64(pieces.count))] }.joined()
            #expect(RichText.escapeHTML(text) == Self.perScalar(text, html))
            #expect(RichText.escapeMarkdown(text) == Self.perScalar(text, markdown))
            #expect(Array(RichText.escapeHTML(text).utf8) == Array(Self.perScalar(text, html).utf8))
        }
    }
}
