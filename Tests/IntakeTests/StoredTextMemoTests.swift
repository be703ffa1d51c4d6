import Chat
import Testing

@testable import Store

/// The store's memo of the last text's stored JSON gives back a stored form only for the same bytes.
@Suite struct StoredTextMemoTests {
    @Test func theSameTextGivesTheSameStoredJSONAndAnotherTextItsOwn() {
        let memo = StoredTextMemo()
        let help = RichText([.strong("Hjälp"), .lineBreak, .text("Skriv vad som skaver – så gör jag ett utkast."), .link(text: "mer", url: "https://kommun.se/idéer")])
        let first = memo.storedJSON(of: help)
        #expect(first == help.storedJSON)
        // An equal text built anew (other storage) is the memo's.
        let again = RichText([.strong("Hjälp"), .lineBreak, .text("Skriv vad som skaver – så gör jag ett utkast."), .link(text: "mer", url: "https://kommun.se/idéer")])
        #expect(memo.storedJSON(of: again) == first)
        let other = RichText([.strong("Hjälp"), .lineBreak, .text("Skriv vad som skaver – så gör jag ett utkast!"), .link(text: "mer", url: "https://kommun.se/idéer")])
        #expect(memo.storedJSON(of: other) == other.storedJSON)
        #expect(memo.storedJSON(of: other) != first)
    }

    @Test func textsEqualOnlyInAnotherNormalizationAreNotTheSameBytes() {
        let composed = RichText([.text("id\u{E9}")])  // é as one scalar
        let decomposed = RichText([.text("ide\u{301}")])  // e and a combining accent
        #expect(composed == decomposed)  // Swift's `==`: canonically equivalent
        #expect(!StoredTextMemo.sameBytes(composed, decomposed))
        let memo = StoredTextMemo()
        _ = memo.storedJSON(of: composed)
        // The stored form is the text's own bytes, never the earlier text's (compared as bytes: `==` on
        // strings would take the two for equal).
        #expect(Array(memo.storedJSON(of: decomposed).utf8) == Array(decomposed.storedJSON.utf8))
        #expect(Array(decomposed.storedJSON.utf8) != Array(composed.storedJSON.utf8))
    }

    @Test func spansOfAnotherKindOrCountDiffer() {
        #expect(!StoredTextMemo.sameBytes(RichText([.text("a")]), RichText([.strong("a")])))
        #expect(!StoredTextMemo.sameBytes(RichText([.text("a")]), RichText([.text("a"), .lineBreak])))
        #expect(!StoredTextMemo.sameBytes(RichText([.link(text: "a", url: "b")]), RichText([.link(text: "a", url: "c")])))
        #expect(StoredTextMemo.sameBytes(RichText([]), RichText([])))
        #expect(StoredTextMemo.sameBytes(RichText([.code(""), .emphasis("x")]), RichText([.code(""), .emphasis("x")])))
        #expect(!StoredTextMemo.sameBytes(RichText([.code("")]), RichText([.code("x")])))
    }
}
