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

    @Test(arguments: [
        "", "{}", "[]", "{\"spans\":{}}", "{\"spans\":[1]}", "{\"spans\":[{\"bold\":{\"_0\":\"x\"}}]}",
        "{\"spans\":[{\"text\":{\"_0\":1}}]}", "{\"spans\":[{\"text\":{}}]}", "{\"spans\":[{\"lineBreak\":{\"x\":1}}]}",
        "{\"spans\":[{\"link\":{\"text\":\"a\"}}]}", "{\"spans\":[],\"extra\":1}", "{\"spans\":[{\"text\":{\"_0\":\"a\"},\"code\":{}}]}",
        "not json", "{\"spans\":[{\"text\":{\"_0\":\"a\"}}]", "\u{0}",
    ])
    func anythingElseIsLeftToFoundation(json: String) {
        #expect(RichText(storedJSON: json) == nil)
    }
}
