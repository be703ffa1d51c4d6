import Chat
import Foundation
import Testing

@testable import Masking

@Suite struct ScannerTests {
    let scanner = PersonalDataScanner()

    @Test func luhnAndDates() {
        #expect(Matcher.luhn([8, 1, 1, 2, 1, 8, 9, 8, 7, 6]))
        #expect(!Matcher.luhn([8, 1, 1, 2, 1, 8, 9, 8, 7, 5]))
        #expect(Matcher.daysIn(month: 2, year: 2000) == 29)
        #expect(Matcher.daysIn(month: 2, year: 1900) == 28)
        #expect(Matcher.daysIn(month: 2, year: 2024) == 29)
        #expect(Matcher.daysIn(month: 2, year: 2023) == 28)
        #expect(Matcher.daysIn(month: 4, year: 2023) == 30)
    }

    @Test func kindsAndRanges() {
        let result = scanner.scan("A 811218-9876 B 701063-1237 C 070-123 45 67 D x@y.se")
        #expect(result.findings.map(\.kind) == [.personnummer, .samordningsnummer, .phone, .email])
        #expect(result.findings[0].range == 2..<13)
        #expect(result.masked == "A [personnummer] B [personnummer] C [telefonnummer] D [e-post]")
        #expect(result.kinds == [.personnummer, .samordningsnummer, .phone, .email])
        #expect(result.count(.phone) == 1)
        #expect(!result.clientCaseWarning)
    }

    @Test func samordningsnummerDaysAre61To91() {
        // Day 61 is the 1st, day 91 the 31st; day 92 and day 00 do not exist. All pass Luhn.
        #expect(scanner.scan("850161-1233").kinds == [.samordningsnummer])
        #expect(scanner.scan("850191-1237").kinds == [.samordningsnummer])
        #expect(scanner.scan("850192-1236").findings.isEmpty)
        #expect(scanner.scan("850100-1237").findings.isEmpty)
        #expect(scanner.scan("850230-1230").findings.isEmpty)
        #expect(scanner.scan("850131-0000").kinds == [.personnummer])
    }

    @Test func leapDaysNeedALeapYear() {
        #expect(scanner.scan("000229-1235").kinds == [.personnummer])  // 2000
        #expect(scanner.scan("19000229-1235").findings.isEmpty)  // 1900 was no leap year
        #expect(scanner.scan("20000229-1235").kinds == [.personnummer])
        #expect(scanner.scan("900229-1236").findings.isEmpty)
    }

    @Test func organisationNumbersAreNotPersonnummer() {
        // Municipalities and companies pass Luhn but have a "month" of 20 or more.
        for text in ["212000-1355", "2120001355", "556036-0793", "802002-4280"] {
            #expect(scanner.scan(text).findings.isEmpty, "\(text)")
        }
    }

    @Test func phoneForms() {
        for text in [
            "070-123 45 67", "0701234567", "+46 70 123 45 67", "+46701234567", "0046 70 123 45 67", "08-123 456 78",
            "031-12 34 56", "0123-456 78", "(08) 123 45 67", "+46 (0)8 123 45 67", "+46 8 123 456 78", "08-12 34 56",
        ] {
            let result = scanner.scan("ring \(text) nu")
            #expect(result.masked == "ring [telefonnummer] nu", "\(text) → \(result.masked)")
        }
        for text in ["112", "1177", "113 13", "114 14", "08.30", "0815", "2024-03-15", "252 25", "0 5 10 15 20"] {
            #expect(scanner.scan("ring \(text) nu").findings.isEmpty, "\(text)")
        }
    }

    /// Found by FuzzTests: a one-digit number after a phone number used to unmask the whole number.
    @Test func aShortNumberAfterAPhoneNumberDoesNotHideIt() {
        for (text, masked) in [
            ("ring 070-123 45 67 2 gånger", "ring [telefonnummer] 2 gånger"),
            ("08-719 319 38 1,5 timmar", "[telefonnummer] 1,5 timmar"),
            ("(0046 78 345 56 13 2 st)", "([telefonnummer] 2 st)"),
            ("018-38 00 67 1e9", "[telefonnummer] 1e9"),
        ] {
            #expect(scanner.scan(text).masked == masked, "\(text)")
        }
        // Groups before the short one must still make a number on their own.
        #expect(scanner.scan("070 12 34 56 7 8").findings.isEmpty)
    }

    @Test func longAndOddTextIsQuick() {
        let pieces = ["Hej 👩‍💻 ", "שלום עולם ", "e\u{301}\u{301}\u{301} ", "070-123 45 67 ", "😤🇸🇪 ", "1234 ", "a@b.se "]
        var text = ""
        var index = 0
        while text.count < 10_000 {
            text += pieces[index % pieces.count]
            index += 1
        }
        let clock = ContinuousClock()
        var result: ScanResult?
        let elapsed = clock.measure { result = scanner.scan(text) }
        #expect(elapsed < .seconds(2), "\(elapsed)")
        let masked = try! #require(result).masked
        #expect(!masked.contains("070-123"))
        #expect(!masked.contains("a@b.se"))
        #expect(masked.contains("שלום עולם"))
        #expect(scanner.scan(masked).findings.isEmpty)
        // Plain text of 10,000 characters without findings comes back unchanged.
        let plain = String(repeating: "Skrivaren är trasig 😤 ", count: 450)
        #expect(scanner.scan(plain).masked == plain)
        #expect(scanner.scan("").masked == "")
        #expect(scanner.scan("@").masked == "@")
        #expect(scanner.scan("+").masked == "+")
        #expect(scanner.scan("(").masked == "(")
    }

    /// Up to `limit` - 1 characters drawn from `alphabet` at random.
    func randomText(_ alphabet: String, shorterThan limit: Int) -> String {
        let characters = Array(alphabet)
        return String((0..<Int.random(in: 0..<limit)).map { _ in characters.randomElement()! })
    }

    @Test func randomTextWithoutDigitsOrAtIsUnchanged() {
        for _ in 0..<200 {
            let text = randomText("abcåäö ABCÅÄÖ.,-+()/:;!?\n😀é\u{301}\u{200B}", shorterThan: 200)
            let result = scanner.scan(text)
            #expect(result.findings.isEmpty)
            #expect(result.masked == text)
        }
    }

    @Test func randomDigitsAreMaskedIdempotently() {
        for _ in 0..<500 {
            let text = randomText("0123456789 -+()@.ab", shorterThan: 60)
            let once = scanner.scan(text)
            if once.findings.isEmpty { #expect(once.masked == text) }
            let twice = scanner.scan(once.masked)
            #expect(twice.findings.isEmpty, "«\(text)» → «\(once.masked)» → «\(twice.masked)»")
        }
    }

    @Test func clientCaseWarningNamesTheWords() {
        let result = scanner.scan("Kalle, 14 år, har LVU och bor på HVB.")
        #expect(result.clientCaseWords == ["LVU", "HVB"])
        #expect(!scanner.scan("Handläggningen av LVU-ärenden tar för lång tid.").clientCaseWarning)
        // Far apart: more than eight words between.
        #expect(
            !scanner.scan("Kalle sa att det var ett och två och tre och fyra och fem gånger om LVU.").clientCaseWarning)
    }
}

@Suite struct CaseWordShortcutTests {
    /// What `isCaseWord` answered before the byte search passed words over: every stem searched as `String`.
    static func reference(_ token: ClientCase.Token) -> Bool {
        for part in token.text.split(whereSeparator: { "-:/.\u{2011}".contains($0) }) {
            let lower = part.lowercased()
            if ClientCase.acronyms.contains(lower) {
                if lower == "sol" { if part == "SoL" || part == "SOL" { return true } else { continue } }
                if part.contains(where: \.isUppercase) { return true }
                continue
            }
            if ClientCase.exactWords.contains(lower) { return true }
            for stem in ClientCase.stems {
                if lower.hasPrefix(stem) { return true }
                if stem.count >= 8, lower.count > stem.count, lower.contains(stem) { return true }
            }
        }
        return false
    }

    /// A word's parts are the split at every separator, also where a mark joins a separator to a letter.
    @Test func partsAreTheSplitAtSeparators() {
        let pieces = ["a", "LVU", "-", ":", "/", ".", "\u{2011}", "\u{2010}", "—", "\u{301}", "ä", "e\u{301}", "1", "€"]
        var state: UInt64 = 5
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        for _ in 0..<20_000 {
            let word = (0..<Int(next() % 7)).map { _ in pieces[Int(next() % UInt64(pieces.count))] }.joined()
            #expect(ClientCase.parts(of: word) == word.split(whereSeparator: { "-:/.\u{2011}".contains($0) }), "\(word)")
        }
    }

    /// Seeded random words of stem pieces, letters, marks and joiners, in composed and decomposed form:
    /// the shortcut never changes the answer.
    @Test func theByteSearchNeverChangesTheAnswer() {
        let pieces: [String] = ClientCase.stems + ClientCase.stems.map { $0.decomposedStringWithCanonicalMapping }
            + ClientCase.stems.map { String($0.prefix(4)) } + ClientCase.stems.map { String($0.dropFirst(3)) }
            + ["a", "ä", "a\u{308}", "\u{308}", "\u{301}", "Ö", "akut", "LVU", "lvu", "SoL", "sol", "-", ":", "placerad", "X", "1",
               "/", ".", "\u{2011}", "\u{2010}", "—", "-\u{301}", ".\u{308}"]
        // A linear congruential generator is enough to vary the words, the same run after run.
        var state: UInt64 = 13
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        for _ in 0..<4_000 {
            let count = 1 + Int(next() % 4)
            let text = (0..<count).map { _ in pieces[Int(next() % UInt64(pieces.count))] }.joined()
            let token = ClientCase.Token(
                text: text, lower: text.lowercased(), sentenceStart: false, bracketed: false, dotAfter: false)
            #expect(ClientCase.isCaseWord(token) == Self.reference(token), "\(text.unicodeScalars.map { String($0.value, radix: 16) })")
        }
    }

    /// `words(in:)` without its byte shortcut (`cannotHoldCaseWord`).
    static func referenceWords(_ text: String) -> [String] {
        let tokens = ClientCase.tokenize(text)
        var found: [String] = []
        for (index, token) in tokens.enumerated() where ClientCase.isCaseWord(token) {
            let low = max(0, index - ClientCase.window)
            let high = min(tokens.count - 1, index + ClientCase.window)
            let near = (low...high).contains { $0 != index && ClientCase.isMarker(at: $0, in: tokens) }
            if near, !found.contains(token.text) { found.append(token.text) }
        }
        return found
    }

    /// Seeded random sentences of case words in every case, markers (names, ages, dates), Swedish letters and
    /// letters that lowercase to ASCII from elsewhere (the Kelvin sign): the shortcut never changes the answer.
    @Test func theTextShortcutNeverChangesTheWords() {
        let words: [String] = ClientCase.stems + ClientCase.stems.map { $0.uppercased() } + ["LVU", "lvu", "Lvu", "SoL", "sol",
            "SOL", "BBIC", "HVB-hem", "placerad", "PLACERADES", "Placerat", "LVU-ärenden", "\u{212A}ONTAKTFAMILJ", "\u{212A}",
            "Anna", "Kalle", "Öberg", "14-årig", "15/3", "2024-03-15", "[personnummer]", "han", "är", "och", "i", "på", "en",
            "åtta", "år", "ÅR", "Ärende", "e\u{301}", "👩‍👧", ".", ",", "—", "café", "Æ", "ß"]
        var random = SplitMix64(seed: 34)
        func next() -> UInt64 { random.next() }
        var withWords = 0
        for _ in 0..<6_000 {
            let text = (0..<(1 + Int(next() % 12))).map { _ in words[Int(next() % UInt64(words.count))] }.joined(separator: " ")
            let expected = Self.referenceWords(text)
            if !expected.isEmpty { withWords += 1 }
            #expect(ClientCase.words(in: text) == expected, "\(text)")
        }
        // The texts exercise both sides of the shortcut, and ordinary text takes it.
        #expect(withWords > 500)
        #expect(ClientCase.cannotHoldCaseWord("Det tar för lång tid att boka tolk till hembesök, vi väntar ofta en vecka."))
        #expect(!ClientCase.cannotHoldCaseWord("Ett LVU-ärende"))
        #expect(!ClientCase.cannotHoldCaseWord("\u{212A}ONTAKTFAMILJ"))
    }
}
