import Intake
import Foundation
public import Prompts

/// A command an employee can type in the direct chat (SkavBot.docc/Conversation.md). Swedish and English words,
/// case- and diacritic-insensitive: `HJÄLP`, `hjalp` and `help` are the same command.
public enum Command: Equatable, Sendable {
    /// `hjälp`, `help`, `?`
    case help
    /// `idé: …`, `idea: …` — a new idea with this text (may be empty).
    case newIdea(String)
    /// `skicka`, `klar`, `submit`, `send`, `done`
    case submit
    /// `avbryt`, `cancel`
    case cancel
    /// `ångra`, `undo`
    case undo
    /// `hoppa`, `hoppa över`, `skip`, `-`
    case skip
    /// `ändra N`, `edit N`
    case edit(Int)
    /// `mina idéer`, `my ideas`
    case myIdeas
    /// `idé N`, `idea N`, `#N`
    case showIdea(Int)
    /// `fortsätt N`, `continue N`, `resume N`: reopen one of one's drafts.
    case resume(Int)
    /// `utkast`, `draft`
    case draft
    /// `språk sv|en`, `language sv|en`; nil when the language was not recognised.
    case language(Language?)
    /// `påminn inte`, `remind off` / `påminn igen`, `remind on`
    case reminders(on: Bool)
    /// `pausa påminnelser N dagar`, `pause reminders N days`
    case pauseReminders(days: Int)
    /// `veckofråga på|av`, `weekly on|off`
    case weeklyQuestion(on: Bool)
    /// `mina data`, `my data`
    case myData
    /// `glöm mig`, `forget me`
    case forgetMe

    // Guides and coordinators (SkavBot.docc/Conversation.md); parsed in PipelineCommands.swift.
    /// `inkorg`, `inbox`
    case inbox
    /// `ta N`, `claim N`
    case claim(Int)
    /// `status N <stage> [comment]`; the stage word as typed (nil when missing).
    case setStage(Int, stage: String?, comment: String?)
    /// `svara N <text>`, `reply N <text>`: relayed between the idea-giver and the guide.
    case relay(Int, text: String)
    /// `koppla N M`, `link N M`
    case link(Int, Int)
    /// `beröm N [text]`, `praise N [text]`
    case praise(Int, text: String?)
    /// `statistik`, `statistics`
    case statistics

    // Challenges, good examples and digests (SkavBot.docc/Conversation.md, Intake.md, Digests.md); parsed in ChallengeCommands.swift.
    /// `utmaningar`, `challenges`: the running challenges.
    case campaigns
    /// `utmaningar på|av`, `challenges on|off`
    case campaignUpdates(on: Bool)
    /// `utmaning N`: one challenge; `utmaning N <text>`: a new idea sent to it.
    case campaign(Int, text: String?)
    /// `utmaning ny <title> | <question> | <deadline>` (coordinators); the text after `ny` as typed.
    case campaignNew(String)
    /// `utmaning stäng N` (coordinators); nil when the number is missing.
    case campaignClose(Int?)
    /// `sammanfattning`, `digest` (coordinators): the digest now.
    case digest
    /// `lyft N`, `lift N` (coordinators): ask the idea-giver's consent to show the idea as a good example.
    case lift(Int)

    /// The command `text` is, or nil when it is not a command (then it is an answer or a new idea).
    public static func parse(_ text: String) -> Command? { parse(text, plain: isPlainSwedish(text)) }

    /// `parse`; `plain`: `text` is ASCII and the Swedish letters alone (`isPlainSwedish`), read byte by byte
    /// (false reads it character by character, as any text; tests hold the two to each other).
    static func parse(_ text: String, plain: Bool) -> Command? {
        assert(!plain || isPlainSwedish(text), "read byte by byte, a text of other characters would be misread")
        if let pipeline = parsePipeline(text, plain: plain) { return pipeline }
        // `idé: …` keeps the person's own text after the colon, untouched.
        if let colon = plain ? text.utf8.firstIndex(of: UInt8(ascii: ":")) : text.firstIndex(of: ":") {
            let head = normalize(String(text[..<colon]), plain: plain)
            if head == "ide" || head == "idea" || head == "ny ide" || head == "new idea" {
                let rest = text[text.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
                return .newIdea(rest)
            }
        }
        // A command is four words at most: a longer text (most of what people write) is no command, known
        // without the cost of folding it.
        guard Self.hasAtMost(4, wordsIn: text, plain: plain) else { return nil }
        let words = normalize(text, plain: plain).split(separator: " ").map(String.init)
        guard let first = words.first, words.count <= 4 else { return nil }
        let phrase = words.joined(separator: " ")

        switch phrase {
        case "hjalp", "help", "?", "hjalp mig", "kommandon", "commands": return .help
        case "skicka", "klar", "submit", "send", "done", "skicka in": return .submit
        case "avbryt", "cancel": return .cancel
        case "angra", "undo": return .undo
        case "hoppa", "hoppa over", "skip", "-": return .skip
        case "mina ideer", "mina ider", "mina ideerna", "my ideas": return .myIdeas
        case "utkast", "mitt utkast", "draft", "my draft": return .draft
        case "paminn inte", "remind off", "no reminders": return .reminders(on: false)
        case "paminn igen", "remind on", "reminders on": return .reminders(on: true)
        case "veckofraga pa", "weekly on", "weekly question on": return .weeklyQuestion(on: true)
        case "veckofraga av", "weekly off", "weekly question off": return .weeklyQuestion(on: false)
        case "mina data", "my data": return .myData
        case "glom mig", "forget me": return .forgetMe
        default: break
        }

        if words.count == 2, let number = number(words[1]) {
            switch first {
            case "andra", "edit": return .edit(number)
            case "ide", "idea": return .showIdea(number)
            case "fortsatt", "continue", "resume": return .resume(number)
            default: break
            }
        }
        if words.count == 1, first.hasPrefix("#"), let number = number(first) { return .showIdea(number) }

        if words.count == 2, ["sprak", "language", "lang"].contains(first) {
            switch words[1] {
            case "sv", "svenska", "swedish", "se": return .language(.sv)
            case "en", "engelska", "english": return .language(.en)
            default: return .language(nil)
            }
        }
        if words.count == 1, first == "sprak" || first == "language" { return .language(nil) }

        // pausa påminnelser N dagar / pause reminders N days
        if words.count >= 3, ["pausa", "pause"].contains(first), ["paminnelser", "reminders"].contains(words[1]),
            let days = number(words[2]), words.count == 3 || ["dagar", "dag", "days", "day"].contains(words[3])
        {
            return .pauseReminders(days: days)
        }
        return nil
    }

    /// Lower-cased, without diacritics, whitespace folded, trailing `.`/`!` dropped.
    static func normalize(_ text: String) -> String { normalize(text, plain: isPlainSwedish(text)) }

    /// `normalize`, byte by byte when `plain` (`isPlainSwedish`): folded, the whitespace folded and the last
    /// dots and exclamation marks dropped in one pass (every byte left is then one character).
    static func normalize(_ text: String, plain: Bool) -> String {
        assert(!plain || isPlainSwedish(text), "read byte by byte, a text of other characters would be misread")
        if plain { return normalizedPlain(text) }
        let folded =
            foldedSwedish(text) ?? text.folding(options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: nil)
        var result = folded.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
        while let last = result.last, last == "." || last == "!", result.count > 1 { result.removeLast() }
        return result
    }

    /// What Foundation's folding gives (case, diacritics and width), for a text of ASCII and the Swedish
    /// letters å, ä, ö and é alone (most of what people write, and every command); nil for anything else,
    /// which Foundation folds. Foundation took about 7,000 instructions for a short command, three times a
    /// message. `FoldingTests` holds the two to each other.
    static func foldedSwedish(_ text: String) -> String? {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            if byte < 0x80 {
                out.append(byte >= 0x41 && byte <= 0x5A ? byte + 0x20 : byte)
                continue
            }
            // Precomposed å ä ö é and their capitals: C3 A5, C3 A4, C3 B6, C3 A9; C3 85, C3 84, C3 96, C3 89.
            guard byte == 0xC3, let second = iterator.next() else { return nil }
            switch second {
            case 0xA5, 0xA4, 0x85, 0x84: out.append(UInt8(ascii: "a"))
            case 0xB6, 0x96: out.append(UInt8(ascii: "o"))
            case 0xA9, 0x89: out.append(UInt8(ascii: "e"))
            default: return nil
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether `text` holds only ASCII and the precomposed Swedish letters that `foldedSwedish` folds (å, ä,
    /// ö, é and their capitals): most of what people write, and every command. In such a text every byte
    /// below 0x80 is a character of its own (but CR LF, which is whitespace either way), whitespace is the
    /// bytes 09-0D and 20, and letters and digits are A-Z, a-z, 0-9 and the Swedish letters, so the parsers
    /// read it byte by byte instead of by grapheme clusters (most of a short command's cost).
    static func isPlainSwedish(_ text: String) -> Bool {
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            if byte < 0x80 { continue }
            guard byte == 0xC3, let second = iterator.next(), isSwedishLetter(second: second) else { return false }
        }
        return true
    }

    /// The second byte of a precomposed å, ä, ö, é, Å, Ä, Ö or É (the first is C3).
    private static func isSwedishLetter(second byte: UInt8) -> Bool {
        switch byte {
        case 0xA5, 0xA4, 0x85, 0x84, 0xB6, 0x96, 0xA9, 0x89: true
        default: false
        }
    }

    /// A whitespace byte of a plain text (`isPlainSwedish`): tab, line feed, vertical tab, form feed, carriage
    /// return, space.
    static func isPlainWhitespace(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) }

    /// Whether a byte of a plain text (`isPlainSwedish`) starts a letter or a digit: A-Z, a-z, 0-9, or the
    /// first byte (C3) of a Swedish letter.
    private static func isPlainLetterOrDigit(_ byte: UInt8) -> Bool {
        byte == 0xC3 || (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }

    /// `normalize` of a plain text (`isPlainSwedish`).
    private static func normalizedPlain(_ text: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        var pendingSpace = false
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            if isPlainWhitespace(byte) {
                pendingSpace = !out.isEmpty
                continue
            }
            if pendingSpace {
                out.append(0x20)
                pendingSpace = false
            }
            if byte < 0x80 {
                out.append(byte >= 0x41 && byte <= 0x5A ? byte + 0x20 : byte)
            } else if let second = iterator.next() {  // C3 and a Swedish letter's second byte (a plain text)
                switch second {
                case 0xB6, 0x96: out.append(UInt8(ascii: "o"))
                case 0xA9, 0x89: out.append(UInt8(ascii: "e"))
                default: out.append(UInt8(ascii: "a"))
                }
            }
        }
        while let last = out.last, last == UInt8(ascii: ".") || last == UInt8(ascii: "!"), out.count > 1 { out.removeLast() }
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether `text` has at most `limit` words that `normalize` keeps (counting stops past the limit). Only
    /// a word with a letter or a digit counts: folding takes marks away (a word of marks alone vanishes) and
    /// `normalize` drops a last word of `.` or `!`, but a letter or digit stays one, and folding never
    /// joins two words. So a text counted over the limit is over it when normalized as well.
    static func hasAtMost(_ limit: Int, wordsIn text: String) -> Bool {
        hasAtMost(limit, wordsIn: text, plain: isPlainSwedish(text))
    }

    /// `hasAtMost`, byte by byte when `plain` (`isPlainSwedish`).
    static func hasAtMost(_ limit: Int, wordsIn text: String, plain: Bool) -> Bool {
        var words = 0
        if plain {
            var counted = false
            for byte in text.utf8 {
                if isPlainWhitespace(byte) {
                    counted = false
                } else if !counted, isPlainLetterOrDigit(byte) {
                    counted = true
                    words += 1
                    if words > limit { return false }
                }
            }
            return true
        }
        var counted = false
        for character in text {
            if character.isWhitespace {
                counted = false
            } else if !counted, let first = character.unicodeScalars.first, Self.isLetterOrDigit(first) {
                counted = true
                words += 1
                if words > limit { return false }
            }
        }
        return true
    }

    private static func isLetterOrDigit(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .decimalNumber, .letterNumber, .otherNumber:
            true
        default: false
        }
    }

    /// A small positive number, `12` or `#12`.
    static func number(_ word: String) -> Int? {
        let digits = word.hasPrefix("#") ? String(word.dropFirst()) : word
        guard !digits.isEmpty, digits.count <= 9, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(digits)
    }
}
