import Conversation
import Foundation
import Intake
import Testing
import Prompts
import Store

/// One way to write a command: its words and what it parses to.
private struct Spelling {
    var words: [String]
    var command: Command
}

private func spellings(_ rng: inout Rng) -> [Spelling] {
    let n = rng.int(0...999_999_999)
    func s(_ text: String, _ command: Command) -> Spelling {
        Spelling(words: text.split(separator: " ").map(String.init), command: command)
    }
    return [
        s("hjälp", .help), s("help", .help), s("hjälp mig", .help), s("kommandon", .help), s("?", .help),
        s("skicka", .submit), s("klar", .submit), s("submit", .submit), s("send", .submit), s("done", .submit),
        s("skicka in", .submit), s("avbryt", .cancel), s("cancel", .cancel), s("ångra", .undo), s("undo", .undo),
        s("hoppa", .skip), s("hoppa över", .skip), s("skip", .skip), s("-", .skip), s("mina idéer", .myIdeas),
        s("my ideas", .myIdeas), s("utkast", .draft), s("mitt utkast", .draft), s("draft", .draft), s("my draft", .draft),
        s("påminn inte", .reminders(on: false)), s("remind off", .reminders(on: false)),
        s("påminn igen", .reminders(on: true)), s("remind on", .reminders(on: true)),
        s("veckofråga på", .weeklyQuestion(on: true)), s("veckofråga av", .weeklyQuestion(on: false)),
        s("weekly on", .weeklyQuestion(on: true)), s("mina data", .myData), s("my data", .myData),
        s("glöm mig", .forgetMe), s("forget me", .forgetMe),
        s("ändra \(n)", .edit(n)), s("edit \(n)", .edit(n)), s("idé \(n)", .showIdea(n)), s("idea \(n)", .showIdea(n)),
        s("#\(n)", .showIdea(n)), s("idé #\(n)", .showIdea(n)), s("fortsätt \(n)", .resume(n)),
        s("continue \(n)", .resume(n)), s("resume \(n)", .resume(n)), s("språk sv", .language(.sv)),
        s("språk engelska", .language(.en)), s("language en", .language(.en)), s("språk klingon", .language(nil)),
        s("språk", .language(nil)), s("pausa påminnelser \(n) dagar", .pauseReminders(days: n)),
        s("pause reminders \(n) days", .pauseReminders(days: n)), s("pausa påminnelser \(n)", .pauseReminders(days: n)),
    ]
}

/// The same word in another case and with other diacritics: `Ändra`, `ANDRA`, `a\u{308}ndra`, `ändrá`.
private func respell(_ word: String, _ rng: inout Rng) -> String {
    var out = ""
    for character in word {
        var c = String(character)
        if character.isLetter {
            if rng.chance(0.3) { c = c.uppercased() }
            let plain = c.folding(options: .diacriticInsensitive, locale: nil)
            switch rng.int(0..<10) {
            case 0: c = plain  // å → a
            case 1: c = plain.decomposedStringWithCanonicalMapping + "\u{301}"  // an accent of its own
            case 2: c = c.decomposedStringWithCanonicalMapping  // a + combining ring
            default: break
            }
        }
        out += c
    }
    return out
}

private let spaces = [" ", "  ", "\t", "\n", "\u{00A0}", "\u{3000}", " \n\t "]

@Suite("fuzz: command parser")
struct CommandFuzzTests {
    @Test("known commands parse the same in any case, with any diacritics and whitespace")
    func respelledCommands() async {
        await fuzz("command-respelled") { rng, _ in
            let spelling = rng.pick(spellings(&rng))
            var text = rng.chance(0.2) ? rng.pick(spaces) : ""
            for (index, word) in spelling.words.enumerated() {
                if index > 0 { text += rng.chance(0.6) ? " " : rng.pick(spaces) }
                text += word.first?.isNumber == true || word.hasPrefix("#") ? word : respell(word, &rng)
            }
            if rng.chance(0.2) { text += rng.pick([".", "!", "!!", ".", "!."]) }
            if rng.chance(0.2) { text += rng.pick(spaces) }
            let parsed = Command.parse(text)
            try require(parsed == spelling.command, "\(show(text)) parsed as \(String(describing: parsed)), not \(spelling.command)")
            // The canonical text round-trips.
            let canonical = spelling.words.joined(separator: " ")
            try require(Command.parse(canonical) == spelling.command, "canonical \(canonical) did not round-trip")
        }
    }

    @Test("idé: … keeps the person's text after the colon, trimmed")
    func newIdea() async {
        await fuzz("command-new-idea") { rng, _ in
            let head = respell(rng.pick(["idé", "idea", "ny idé", "new idea"]), &rng)
            var body = rng.text()
            // A combining mark right after the colon would merge with it into one character, and then there
            // is no colon to find; nobody types that, and the conversation asks again.
            if (":" + body).count != 1 + body.count { body = " " + body }
            let text = head + (rng.chance(0.5) ? "" : rng.pick(spaces)) + ":" + body
            let expected = Command.newIdea(body.trimmingCharacters(in: .whitespacesAndNewlines))
            let parsed = Command.parse(text)
            try require(parsed == expected, "\(show(text)) parsed as \(String(describing: parsed))")
        }
    }

    @Test("text that does not begin with a command word is not a command; nothing crashes")
    func arbitraryText() async {
        let firstWords = Rng.swedishWords.filter { !["ja", "nej"].contains($0) } + ["the", "library", "hello", "parking", "vi"]
        await fuzz("command-arbitrary") { rng, _ in
            // Anything at all: must not crash.
            let anything = rng.text(maxWords: 6)
            _ = Command.parse(anything)
            _ = Command.parse(rng.randomScalars(rng.int(0...40)))

            let first = rng.pick(firstWords)
            let text = first + " " + rng.text(maxWords: 5)
            let parsed = Command.parse(text)
            try require(parsed == nil, "\(show(text)) parsed as \(String(describing: parsed))")
            try require(Command.parse(first) == nil, "\(first) parsed as a command")
        }
    }
}
