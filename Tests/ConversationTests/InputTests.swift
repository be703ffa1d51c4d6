import Chat
import Conversation
import Foundation
import Intake
import Testing
import Prompts

@Suite struct InputTests {
    @Test(arguments: ["", "   ", "\n\t \n", "\u{200B}\u{200B}", "\u{FEFF}", "\u{0007}"])
    func emptyMessageGetsANudge(_ text: String) throws {
        var h = try Harness()
        #expect(try h.send(text) == [h.text(.emptyMessage)])
        #expect(h.savedIdeas.isEmpty)
        #expect(h.session == ConversationSession())
    }

    @Test func emptyAnswerDoesNotAnswer() throws {
        var h = try Harness()
        try h.send("Ett skav")
        #expect(try h.send("  ") == [h.text(.emptyMessage)])
        #expect(h.session.phase == .asking(.benefits))
    }

    @Test func emojiOnlyIsAnIdea() throws {
        var h = try Harness()
        let replies = try h.send("🙈🔥☕️")
        #expect(replies.count == 1)
        #expect(h.idea(1)?.problem == "🙈🔥☕️")
        #expect(h.idea(1)?.title == "🙈🔥☕️")
    }

    @Test func emojiJoinersAreKept() throws {
        var h = try Harness()
        let family = "👩‍👩‍👧 och 👩🏽‍💻 och 🏴󠁧󠁢󠁳󠁣󠁴󠁿"
        try h.send(family)
        #expect(h.idea(1)?.problem == family)
    }

    @Test func lengthLimit() throws {
        var h = try Harness(config: ConversationConfig(maxMessageLength: 10_000))
        let atLimit = String(repeating: "å", count: 10_000)
        #expect(try h.send(atLimit).count == 1)
        #expect(h.idea(1)?.problem.count == 10_000)

        let over = String(repeating: "ö", count: 10_001)
        let replies = try h.send(over)
        #expect(replies == [h.text(.tooLong, [.limit: "10000"])])
        #expect(h.savedIdeas.isEmpty && h.events.isEmpty)
        #expect(h.session.phase == .asking(.benefits))  // still waiting for the answer to #1
        #expect(h.idea(1)?.benefits == nil)
    }

    @Test func defaultLimitRejectsTenThousand() throws {
        var h = try Harness(greeted: false)
        let replies = try h.send(String(repeating: "x", count: 10_000))
        #expect(replies.count == 2)  // greeting, then the limit
        #expect(replies[1] == h.text(.tooLong, [.limit: "4000"]))
        #expect(h.intake.ideas.isEmpty)
        #expect(h.person.greetedAt != nil)
        #expect(try h.send(String(repeating: "x", count: 4000)).count == 1)
        #expect(h.idea(1) != nil)
    }

    @Test func combiningMarkFloodIsTooLong() throws {
        var h = try Harness()
        let zalgo = "a" + String(repeating: "\u{0301}", count: 20_000)
        #expect(zalgo.count == 1)
        #expect(try h.send(zalgo) == [h.text(.tooLong, [.limit: "4000"])])
        #expect(h.intake.ideas.isEmpty)
    }

    @Test func rightToLeftText() throws {
        var h = try Harness()
        let arabic = "الطابعة في الطابق الثاني لا تعمل. كل صباح."
        try h.send(arabic)
        #expect(h.idea(1)?.problem == arabic)
        #expect(h.idea(1)?.title == "الطابعة في الطابق الثاني لا تعمل")
        let hebrew = "המדפסת לא עובדת"
        try h.send("hoppa")
        try h.send(hebrew)
        #expect(h.idea(1)?.solution == hebrew)
        let card = try h.send("utkast")[0]
        #expect(card.contains(arabic) && card.contains(hebrew))
    }

    @Test func bidiOverridesAreRemoved() throws {
        var h = try Harness()
        try h.send("abc\u{202E}def\u{202C} \u{200F}ghi")
        #expect(h.idea(1)?.problem == "abcdef ghi")
    }

    @Test func combiningMarksAreNormalised() throws {
        var h = try Harness()
        try h.send("Cafe\u{0301} och sko\u{0308}ld")  // decomposed é and ö
        #expect(h.idea(1)?.problem == "Café och sköld")
        #expect(h.idea(1)?.problem.unicodeScalars.count == "Café och sköld".unicodeScalars.count)
        // Decomposed diacritics in commands still work.
        try h.send("A\u{030A}ngra")
        #expect(h.replies == [h.text(.undoNothing)])
    }

    @Test func zeroWidthAndControlCharactersAreStripped() throws {
        var h = try Harness()
        try h.send("Skri\u{200B}varen\u{200D} kr\u{00AD}ånglar\u{0000}\u{001B}\r\nigen\u{2060}")
        #expect(h.idea(1)?.problem == "Skrivaren krånglar\nigen")
        // Zero-width characters inside a command do not hide it.
        try h.send("hj\u{200B}älp")
        #expect(h.replies[0].contains(h.text(.help)))
    }

    @Test func multilineIdeaKeepsNewlines() throws {
        var h = try Harness()
        try h.send("Rad ett\nRad två")
        #expect(h.idea(1)?.problem == "Rad ett\nRad två")
        #expect(h.idea(1)?.title == "Rad ett Rad två")
    }
}

@Suite struct CommandTests {
    @Test(arguments: [
        ("hjälp", Command.help), ("HJÄLP", .help), ("hjalp", .help), ("Help", .help), ("?", .help),
        ("skicka", .submit), ("klar", .submit), ("Klar.", .submit), ("KLAR!", .submit), ("submit", .submit),
        ("send", .submit), ("done", .submit),
        ("avbryt", .cancel), ("Cancel", .cancel),
        ("ångra", .undo), ("angra", .undo), ("ÅNGRA", .undo), ("undo", .undo),
        ("hoppa", .skip), ("Hoppa över", .skip), ("skip", .skip), ("-", .skip),
        ("ändra 2", .edit(2)), ("Ändra 2", .edit(2)), ("andra 2", .edit(2)), ("edit 3", .edit(3)), ("ändra #1", .edit(1)),
        ("mina idéer", .myIdeas), ("mina ideer", .myIdeas), ("MINA IDÉER", .myIdeas), ("my ideas", .myIdeas),
        ("idé 12", .showIdea(12)), ("ide 12", .showIdea(12)), ("idea 12", .showIdea(12)), ("#12", .showIdea(12)),
        ("utkast", .draft), ("draft", .draft),
        ("språk en", .language(.en)), ("sprak sv", .language(.sv)), ("language en", .language(.en)),
        ("Language SV", .language(.sv)), ("språk engelska", .language(.en)), ("språk klingon", .language(nil)),
        ("fortsätt 4", .resume(4)), ("continue 4", .resume(4)),
        ("idé: Skrivaren", .newIdea("Skrivaren")), ("IDÉ:Skrivaren krånglar", .newIdea("Skrivaren krånglar")),
        ("idea: The door", .newIdea("The door")), ("ide:   ", .newIdea("")),
        ("påminn inte", .reminders(on: false)), ("paminn igen", .reminders(on: true)),
        ("pausa påminnelser 5 dagar", .pauseReminders(days: 5)), ("veckofråga av", .weeklyQuestion(on: false)),
        ("mina data", .myData), ("glöm mig", .forgetMe),
    ] as [(String, Command)])
    func parses(_ text: String, _ command: Command) {
        #expect(Command.parse(text) == command)
    }

    @Test(arguments: [
        "Skrivaren krånglar", "andra", "ändra", "idé", "andra kollegor", "klar som korvspad", "2", "vet ej",
        "Problem: skrivaren", "ändra 2 och 3", "idé tolv", "hjälp mig med skrivaren som krånglar varje dag",
    ])
    func notCommands(_ text: String) {
        #expect(Command.parse(text) == nil)
    }
}
