import Chat
import Testing

@testable import Conversation

@Suite struct CommandShortcutTests {
    /// `Command.parse` gives up on a text of more than four words before folding it: that holds only if
    /// folding never makes fewer words than the text shows. Seeded random texts of the characters where
    /// that could go wrong (spaces of other widths and scripts, combining marks after a space, characters
    /// whose folding holds a space, separators that are no whitespace).
    @Test func foldingNeverMakesFewerWordsThanTheShortcutCounts() {
        let alphabet: [String] = [
            "a", "Ö", "é", "e\u{301}", "1", "#", ".", "!", " ", "\t", "\n", "\u{00A0}", "\u{3000}", "\u{2007}",
            "\u{2028}", "\u{0085}", "\u{200B}", "\u{FEFF}", " \u{308}", "\u{308}", "\u{00A8}", "\u{FF21}", "\u{1680}",
            "\u{180E}", "\u{202F}", "\u{205F}", "ﬁ", "ß", "\u{345}", "ʰ", "²", "Ⅻ", "\u{2E}", "-", "?", "\u{1F600}",
        ]
        var random = SplitMix64(seed: 2026)
        for _ in 0..<20_000 {
            let length = Int(random.next() % 24)
            let text = (0..<length).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }.joined()
            if !Command.hasAtMost(4, wordsIn: text) {
                let folded = Command.normalize(text).split(separator: " ")
                #expect(folded.count > 4, "\(text.unicodeScalars.map { String($0.value, radix: 16) })")
            }
        }
    }

    @Test(arguments: [
        ("mina idéer", true), ("  hjälp  ", true), ("a b c d", true), ("a b c d e", false),
        ("Kaffemaskinen på plan tre läcker igen", false), ("", true),
    ])
    func countsWords(text: String, fits: Bool) {
        #expect(Command.hasAtMost(4, wordsIn: text) == fits)
    }

    /// The pipeline and challenge parsers look at four words at most: long commands keep their whole text,
    /// and a word too many still refuses a command of a fixed length.
    @Test func longCommandsParseAsBefore() {
        #expect(
            Command.parse("status 3 testas Det här är en lång kommentar med många ord")
                == .setStage(3, stage: "testas", comment: "Det här är en lång kommentar med många ord"))
        #expect(Command.parse("svara 5 Hej, vi tittar på det i morgon bitti") == .relay(5, text: "Hej, vi tittar på det i morgon bitti"))
        #expect(Command.parse("beröm 7 Tack för en riktigt bra idé om kaffet") == .praise(7, text: "Tack för en riktigt bra idé om kaffet"))
        #expect(Command.parse("koppla 1 2") == .link(1, 2))
        #expect(Command.parse("koppla 1 2 3") == nil)
        #expect(Command.parse("koppla 1 2 3 4 5") == nil)
        #expect(Command.parse("inkorg nu") == nil)
        #expect(Command.parse("lyft 4 nu tack") == nil)
        #expect(Command.parse("utmaning stäng 2") == .campaignClose(2))
        #expect(Command.parse("utmaning stäng 2 nu") == .campaignClose(nil))
        #expect(Command.parse("utmaning 3 Vi kör en vecka till med många ord här") == .campaign(3, text: "Vi kör en vecka till med många ord här"))
    }
}

/// Commands are folded by hand when they hold only ASCII and å, ä, ö, é (`Command.foldedSwedish`): the same
/// text as Foundation's folding, and anything else is left to Foundation.
@Suite struct FoldingTests {
    static func foundation(_ text: String) -> String {
        text.folding(options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: nil)
    }

    @Test func everyASCIICharacterAndSwedishLetterFoldsAsFoundationFoldsIt() {
        let characters = (0..<128).map { String(UnicodeScalar(UInt8($0))) } + ["å", "ä", "ö", "é", "Å", "Ä", "Ö", "É"]
        for character in characters {
            #expect(Command.foldedSwedish(character) == Self.foundation(character), "\(character.debugDescription)")
        }
    }

    @Test func randomTextsFoldAsFoundationFoldsThem() {
        let pieces = [
            "HJÄLP", "hjälp", "Mina Idéer", "skicka", "Å", "ö", " ", "\t", "\r\n", ".", "!", "A", "z", "1", "é", "É",
            "a\u{308}", "\u{301}", "ü", "ß", "æ", "Ø", "Ａ", "ﬁ", "İ", "😀", "e\u{301}", "\u{0}",
        ]
        var state: UInt64 = 29
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        var handFolded = 0
        for _ in 0..<20_000 {
            let text = (0..<Int(next() % 6)).map { _ in pieces[Int(next() % UInt64(pieces.count))] }.joined()
            if let folded = Command.foldedSwedish(text) {
                handFolded += 1
                #expect(folded == Self.foundation(text), "\(text.debugDescription)")
            }
            #expect(Command.normalize(text) == Self.normalizedByFoundation(text), "\(text.debugDescription)")
        }
        #expect(handFolded > 1_000)
    }

    /// `normalize` as it was, with Foundation's folding alone.
    static func normalizedByFoundation(_ text: String) -> String {
        var result = foundation(text).split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
        while let last = result.last, last == "." || last == "!", result.count > 1 { result.removeLast() }
        return result
    }
}

/// A text of ASCII and the Swedish letters alone (`Command.isPlainSwedish`) is parsed byte by byte: the same
/// commands, words and folding as the parsers give reading it character by character.
@Suite struct PlainTextParsingTests {
    @Test func plainTextsAreThoseOfASCIIAndTheSwedishLetters() {
        #expect(Command.isPlainSwedish("HJÄLP mina idéer: Å ö é É \r\n\t#12."))
        #expect(Command.isPlainSwedish(""))
        for other in ["ü", "a\u{308}", "\u{00A0}", "×", "÷", "😀", "ß", "\u{0085}", "é\u{301}"] {
            #expect(!Command.isPlainSwedish("hjälp" + other), "\(other.debugDescription)")
        }
    }

    /// Every ASCII character and every pair of them (CR LF among them) reads alike byte by byte and by
    /// character: whitespace, letters and digits, folding and word counts.
    @Test func everyASCIICharacterAndPairReadsAlike() {
        let characters = (0..<128).map { String(UnicodeScalar(UInt8($0))) } + ["å", "ä", "ö", "é", "Å", "Ä", "Ö", "É"]
        for first in characters {
            for second in characters + [""] {
                let text = first + second
                #expect(Command.isPlainSwedish(text))
                #expect(Command.normalize(text, plain: true) == Command.normalize(text, plain: false), "\(text.debugDescription)")
                #expect(
                    Command.hasAtMost(1, wordsIn: text, plain: true) == Command.hasAtMost(1, wordsIn: text, plain: false),
                    "\(text.debugDescription)")
                #expect(Command.parse(text, plain: true) == Command.parse(text, plain: false), "\(text.debugDescription)")
            }
        }
        for text in ["idé:\r\n x", "ny idé\t:x", "IDEA:", "Idé: kaffet \r\n", "hjälp\r\n", "status 3 testas\r\nbra"] {
            #expect(Command.parse(text, plain: true) == Command.parse(text, plain: false), "\(text.debugDescription)")
        }
        #expect(Command.parse("idé:\r\n x") == .newIdea("x"))
    }

    @Test func seededTextsParseAlikeByteByByteAndByCharacter() {
        let pieces = [
            "hjälp", "HJÄLP", "help", "?", "mina", "idéer", "Idé", "idea", ":", "status", "3", "#12", "testas", "svara",
            "beröm", "utmaning", "ny", "stäng", "lyft", "ta", "koppla", "språk", "en", "sv", "pausa", "påminnelser",
            "dagar", "ja", "anonymt", "ändra", "fortsätt", "glöm", "mig", "hoppa", "över", "-", ".", "!", " ", "  ", "\t",
            "\n", "\r\n", "\r", "\u{0B}", "\u{0C}", "a", "Z", "0", "9", "_", "\u{0}", "\u{1F}", "Å", "ä", "Ö", "É",
        ]
        var random = SplitMix64(seed: 1202)
        var commands = 0
        for _ in 0..<30_000 {
            let text = (0..<Int(random.next() % 9)).map { _ in pieces[Int(random.next() % UInt64(pieces.count))] }.joined()
            #expect(Command.isPlainSwedish(text), "\(text.debugDescription)")
            let parsed = Command.parse(text, plain: true)
            #expect(parsed == Command.parse(text, plain: false), "\(text.debugDescription)")
            #expect(Command.normalize(text, plain: true) == Command.normalize(text, plain: false), "\(text.debugDescription)")
            for limit in [1, 4] {
                #expect(
                    Command.hasAtMost(limit, wordsIn: text, plain: true) == Command.hasAtMost(limit, wordsIn: text, plain: false),
                    "\(text.debugDescription)")
            }
            if parsed != nil { commands += 1 }
        }
        #expect(commands > 500)
    }
}
