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
