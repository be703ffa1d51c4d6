import Foundation

/// Generators of hostile chat text.
extension Rng {
    static let swedishWords = [
        "kommunen", "förskola", "parkering", "cykelbana", "snöröjning", "öppettider", "bibliotek", "Ärende", "äldreboende",
        "skolgården", "vi", "borde", "kunna", "få", "bättre", "belysning", "på", "vägen", "till", "jobbet", "Åsa", "Örjan",
        "mötesrum", "digitalt", "lärplattform", "köket", "sjöräddning", "ja", "nej", "kanske", "tack", "hej", "Hej!",
    ]
    static let englishWords = [
        "the", "library", "should", "open", "earlier", "street", "lights", "please", "thanks", "hello", "maybe", "idea",
        "parking", "snow", "better", "meeting", "rooms", "yes", "no", "Hello?",
    ]
    /// Words a command can begin with, in their written forms.
    static let commandWords = [
        "hjälp", "help", "?", "skicka", "klar", "submit", "send", "done", "avbryt", "cancel", "ångra", "undo", "hoppa",
        "hoppa över", "skip", "-", "mina idéer", "my ideas", "utkast", "draft", "ändra", "edit", "idé", "idea", "fortsätt",
        "continue", "resume", "språk", "language", "påminn inte", "pausa påminnelser", "veckofråga", "mina data", "glöm mig",
        "idé:", "idea:", "ny idé:", "#",
    ]
    static let numbers = [
        "0", "1", "2", "3", "4", "5", "7", "12", "-1", "-3", "+4", "999999999", "1000000000", "9223372036854775807",
        "99999999999999999999999999", "#2", "#0", "2)", "3.", "1,5", "٣", "１２", "0x10", "1e9", "NaN", "½",
    ]
    static let exotic = [
        "👩‍💻", "🏳️‍🌈", "🇸🇪", "👍🏽", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "👨‍👩‍👧‍👦", "e\u{301}", "a\u{30A}", "o\u{308}\u{308}\u{308}", "Z\u{35C}\u{35D}\u{35E}\u{360}",
        "\u{202E}", "\u{202D}", "\u{200F}", "\u{200E}", "\u{2066}", "\u{2069}", "\u{061C}", "\u{200B}", "\u{200C}", "\u{200D}",
        "\u{2060}", "\u{FEFF}", "\u{00AD}", "\u{0}", "\u{7}", "\u{1B}[31m", "\u{7F}", "\r\n", "\r", "\t", "\u{85}", "\u{2028}",
        "\u{2029}", "\u{3000}", "\u{00A0}", "\u{2002}", "\u{1680}", "\u{205F}", "\u{180E}", "\u{FFFD}", "\u{FFFF}", "\u{10FFFF}",
        "\u{E0041}", "\u{0600}", "\u{0301}", "<b>bold</b>", "<script>alert(1)</script>", "<a href=\"x\">l</a>", "&amp;", "&",
        "**fet**", "*kursiv*", "_x_", "`kod`", "```", "[länk](http://example.org)", "@channel", "@all", "@here", "{number}",
        "{title}", "{", "}", "\\", "\"", "'", "مرحبا", "שלום", "日本語", "Ｆｕｌｌ", "ﬁ", "ß", "İ", "ǅ", "…", ".", "!", ":", "::",
    ]
    static let whitespace = [" ", " ", " ", "  ", "\t", "\n", " \n ", "\u{00A0}", "\u{3000}", "\u{2003}", "\r\n"]

    mutating func word() -> String {
        switch int(0..<100) {
        case 0..<35: pick(Self.swedishWords)
        case 35..<55: pick(Self.englishWords)
        case 55..<65: pick(Self.commandWords)
        case 65..<77: pick(Self.numbers)
        case 77..<93: pick(Self.exotic)
        default: randomScalars(int(1...6))
        }
    }

    /// Random Unicode scalars from all planes, biased to the odd ones.
    mutating func randomScalars(_ count: Int) -> String {
        var out = String.UnicodeScalarView()
        for _ in 0..<count {
            let value: UInt32
            switch int(0..<6) {
            case 0: value = UInt32(int(0..<0x80))
            case 1: value = UInt32(int(0x80..<0x800))
            case 2: value = UInt32(int(0x2000..<0x2070))
            case 3: value = UInt32(int(0x300..<0x370))
            case 4: value = UInt32(int(0x1F300..<0x1FAFF))
            default: value = UInt32(int(0..<0x110000))
            }
            if let scalar = Unicode.Scalar(value) { out.append(scalar) }
        }
        return String(out)
    }

    /// A chat message: a few words with random whitespace; now and then very long.
    mutating func text(maxWords: Int = 12) -> String {
        if chance(0.005) { return longText() }
        var out = ""
        for index in 0..<int(1...maxWords) {
            if index > 0 { out += chance(0.8) ? " " : pick(Self.whitespace) }
            out += word()
        }
        if chance(0.1) { out = pick(Self.whitespace) + out }
        if chance(0.1) { out += pick([".", "!", "?", "...", " ", "\n", "!!"]) }
        return out
    }

    /// 1,000–20,000 characters.
    mutating func longText() -> String {
        let target = int(1_000...20_000)
        var out = ""
        switch int(0..<4) {
        case 0: out = String(repeating: pick(["a", "ö", "👩‍💻", "1", " "]), count: target)
        case 1: out = String(repeating: "e\u{301}\u{301}\u{301}", count: target / 4)
        default:
            var length = 0  // counted as it grows: `out.count` each time would be quadratic
            while length < target {
                let next = word()
                out += next + " "
                length += next.count + 1
            }
        }
        return out
    }
}
