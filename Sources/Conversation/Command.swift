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
    public static func parse(_ text: String) -> Command? {
        if let pipeline = parsePipeline(text) { return pipeline }
        // `idé: …` keeps the person's own text after the colon, untouched.
        if let colon = text.firstIndex(of: ":") {
            let head = normalize(String(text[..<colon]))
            if head == "ide" || head == "idea" || head == "ny ide" || head == "new idea" {
                let rest = text[text.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
                return .newIdea(rest)
            }
        }
        // A command is four words at most: a longer text (most of what people write) is no command, known
        // without the cost of folding it.
        guard Self.hasAtMost(4, wordsIn: text) else { return nil }
        let words = normalize(text).split(separator: " ").map(String.init)
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
    static func normalize(_ text: String) -> String {
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

    /// Whether `text` has at most `limit` words that `normalize` keeps (counting stops past the limit). Only
    /// a word with a letter or a digit counts: folding takes marks away (a word of marks alone vanishes) and
    /// `normalize` drops a last word of `.` or `!`, but a letter or digit stays one, and folding never
    /// joins two words. So a text counted over the limit is over it when normalized as well.
    static func hasAtMost(_ limit: Int, wordsIn text: String) -> Bool {
        var words = 0
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
