import Chat
import Testing

@testable import Conversation

/// `Sanitize.clean` takes a shortcut for text of printable ASCII, line feeds and Latin-1 letters; it must
/// give what the scalar-by-scalar cleaning gives, for that text and for text just outside it.
@Suite struct SanitizeTests {
    @Test func theShortcutGivesWhatTheFullCleaningGives() {
        let pieces = ["a", "Hej", " ", "  ", "\n", "\r", "\r\n", "\t", "å", "Ä", "ö", "é", "×", "÷", "ß", "Æ", "e\u{301}",
                      "a\u{308}", "\u{308}", "\u{301}", "\u{200B}", "\u{200D}", "\u{A0}", "\u{85}", "\u{2028}", "\u{7F}", "\u{0}",
                      "😀", "👩‍💻", "!", "~", "1"]
        var random = SplitMix64(seed: 55)
        func next() -> UInt64 { random.next() }
        var shortcuts = 0
        for _ in 0..<20_000 {
            let text = (0..<Int(next() % 8)).map { _ in pieces[Int(next() % UInt64(pieces.count))] }.joined()
            if Sanitize.simpleClean(text) != nil { shortcuts += 1 }
            #expect(Sanitize.clean(text) == Sanitize.cleanScalars(text), "\(text.unicodeScalars.map { String($0.value, radix: 16) })")
            #expect(Sanitize.clean(text).unicodeScalars.elementsEqual(Sanitize.cleanScalars(text).unicodeScalars))
        }
        #expect(shortcuts > 2_000)
        #expect(Sanitize.simpleClean("  Det tar för lång tid, vi väntar ×2!\n") == "Det tar för lång tid, vi väntar ×2!")
    }
}
