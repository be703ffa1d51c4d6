import Chat
import Conversation
import Foundation
import Intake
import Testing
import Prompts
import SkavTesting

@Suite struct FlowTests {
    let full = ConversationConfig(units: sampleUnits, themes: sampleChallenges)

    @Test func happyPathFromFirstContact() throws {
        var h = try Harness(config: full, greeted: false)

        // First contact: greeting with the public-records notice, then the draft and question 1.
        let first = try h.send("Skrivaren på plan 2 krånglar varje morgon. Vi tappar tid.")
        #expect(first.count == 2)
        #expect(first[0].contains(h.text(.greeting)))
        #expect(first[0].contains(h.text(.publicRecords)))
        #expect(first[1].contains("#1"))
        #expect(first[1].contains(h.text(.questionBenefits)))
        #expect(h.savedPersons.first?.greetedAt == start)
        if case .savePerson = h.actions.first {} else { Issue.record("savePerson should come first") }
        let draft = try #require(h.idea(1))
        #expect(draft.stage == .utkast)
        #expect(draft.title == "Skrivaren på plan 2 krånglar varje morgon")
        #expect(draft.author == "@anna:kommun.se")
        #expect(h.events.map(\.kind) == [.created])
        #expect(h.session.draftNumber == 1)

        // Question 1: who benefits.
        var replies = try h.send("2")
        #expect(replies == [h.text(.questionSolution)])
        #expect(h.idea(1)?.benefits == "colleagues")
        #expect(h.savedPersons.isEmpty)

        // Question 2: solution.
        replies = try h.send("Ett delat felanmälningsformulär")
        #expect(replies.count == 1)
        #expect(replies[0].contains(h.text(.questionChallenge)))
        #expect(replies[0].contains(h.text(.listLine, [.index: "1", .text: "Integration och inkludering"])))
        #expect(replies[0].contains(h.text(.listLine, [.index: "2", .text: "Klimatomställning"])))
        #expect(h.idea(1)?.solution == "Ett delat felanmälningsformulär")

        // Question 3: challenge, then the summary card.
        replies = try h.send("2")
        #expect(replies.count == 1)
        let card = replies[0]
        #expect(card.contains("#1"))
        #expect(card.contains("Skrivaren på plan 2"))
        #expect(card.contains(h.text(.benefitsColleagues)))
        #expect(card.contains("Ett delat felanmälningsformulär"))
        #expect(card.contains("Klimatomställning"))
        #expect(card.contains(h.text(.summaryActions)))
        #expect(h.idea(1)?.theme == "klimat")
        #expect(h.session.phase == .reviewing)

        // Submit: the unit is asked first.
        let beforeSubmit = try #require(h.idea(1))
        replies = try h.send("skicka")
        #expect(replies.count == 1)
        #expect(replies[0].contains(h.text(.unitQuestion)))
        #expect(replies[0].contains(h.text(.listLine, [.index: "1", .text: "Socialförvaltningen"])))
        #expect(h.idea(1)?.stage == .utkast)

        let submitTime = h.now
        replies = try h.send("3")
        #expect(replies.count == 1)
        let thanks = h.prompts.variant(.submitThanks, .sv, seed: 1, [.number: "1"]).plainText
        #expect(replies[0].contains(thanks))
        #expect(replies[0].contains("#1"))
        #expect(replies[0].contains(h.text(.submitNextUnit, [.unit: "Vård och omsorg"])))
        #expect(h.person.unit == "Vård och omsorg")
        #expect(h.savedPersons.count == 1)

        var expected = beforeSubmit
        expected.stage = .inkommen
        expected.unit = "Vård och omsorg"
        expected.submittedAt = submitTime
        #expect(h.idea(1) == expected)
        let submitted = try #require(h.events.first)
        #expect(submitted.kind == .submitted && submitted.fromStage == .utkast && submitted.toStage == .inkommen)
        #expect(h.session == ConversationSession())
    }

    @Test func unitIsAskedOnceOnly() throws {
        var h = try Harness(config: full)
        try h.send("Första skavet")
        try h.send("klar")
        #expect(h.session.phase == .askingUnit)
        try h.send("socialforvaltningen")  // no diacritics, lower case
        #expect(h.person.unit == "Socialförvaltningen")
        #expect(h.idea(1)?.stage == .inkommen)

        try h.send("Andra skavet")
        let replies = try h.send("klar")
        #expect(replies.count == 1)
        #expect(!replies[0].contains(h.text(.unitQuestion)))
        #expect(h.idea(2)?.stage == .inkommen)
        #expect(h.idea(2)?.unit == "Socialförvaltningen")
        #expect(h.savedPersons.isEmpty)
    }

    @Test func invalidUnitReasksKindly() throws {
        var h = try Harness(config: full)
        try h.send("Ett skav")
        try h.send("klar")
        var replies = try h.send("Tekniska kontoret")
        #expect(replies.count == 1)
        #expect(replies[0].contains(h.text(.unitInvalid)))
        #expect(h.session.phase == .askingUnit)
        replies = try h.send("9")
        #expect(replies[0].contains(h.text(.unitInvalid)))
        replies = try h.send("vård")  // a unique prefix
        #expect(h.person.unit == "Vård och omsorg")
        #expect(h.idea(1)?.stage == .inkommen)
    }

    @Test func unitsRemovedWhileAskingSubmits() throws {
        var h = try Harness(config: full)
        try h.send("Ett skav")
        try h.send("klar")
        h.config.units = []
        try h.send("Socialförvaltningen")
        #expect(h.idea(1)?.stage == .inkommen)
        #expect(h.idea(1)?.unit == nil)
    }

    @Test func skipUnitSubmitsWithoutOne() throws {
        var h = try Harness(config: full)
        try h.send("Ett skav")
        try h.send("klar")
        try h.send("hoppa")
        #expect(h.idea(1)?.stage == .inkommen)
        #expect(h.idea(1)?.unit == nil)
        #expect(h.person.unit == nil)
        #expect(h.replies[0].contains(h.text(.submitNextNoUnit)))
    }

    @Test func skipEveryQuestion() throws {
        var h = try Harness(config: full)
        try h.send("Parkeringen är alltid full")
        var replies = try h.send("hoppa")
        #expect(replies == [h.text(.questionSolution)])
        replies = try h.send("skip")
        #expect(replies[0].contains(h.text(.questionChallenge)))
        replies = try h.send("-")
        #expect(replies[0].contains(h.text(.summaryActions)))
        #expect(replies[0].contains(h.text(.summaryBenefits, [.text: "–"])))
        #expect(replies[0].contains(h.text(.summarySolution, [.text: "–"])))
        #expect(replies[0].contains(h.text(.summaryChallenge, [.text: "–"])))
        let idea = try #require(h.idea(1))
        #expect(idea.benefits == nil && idea.solution == nil && idea.theme == nil)
        #expect(h.session.phase == .reviewing)
    }

    @Test func dontKnowSolution() throws {
        var h = try Harness()
        try h.send("Ett skav")
        try h.send("1")
        try h.send("Vet ej")
        #expect(h.idea(1)?.solution == nil)
        #expect(h.idea(1)?.benefits == "residents")
        #expect(h.session.phase == .reviewing)
    }

    @Test func benefitsAnswers() throws {
        var h = try Harness()
        try h.send("Ett skav")
        var replies = try h.send("7")
        #expect(replies[0].contains(h.text(.questionBenefitsInvalid)))
        #expect(h.session.phase == .asking(.benefits))
        try h.send("Föräldrar till barn i förskolan")
        #expect(h.idea(1)?.benefits == "Föräldrar till barn i förskolan")
        try h.send("ångra")
        try h.send("Kollegor")
        #expect(h.idea(1)?.benefits == "colleagues")
        try h.send("ångra")
        replies = try h.send("3)")
        #expect(h.idea(1)?.benefits == "businesses")
    }

    @Test func noChallengeQuestionWithoutChallenges() throws {
        var h = try Harness(config: ConversationConfig())
        try h.send("Ett skav")
        try h.send("1")
        let replies = try h.send("Ett förslag")
        #expect(replies.count == 1)
        #expect(replies[0].contains(h.text(.summaryActions)))
        #expect(!h.prompts.says(replies[0], .summaryChallenge))
        #expect(h.session.phase == .reviewing)
        let edit = try h.send("ändra 4")
        #expect(edit == [h.text(.editInvalid, [.max: "3"])])
    }

    @Test func doneEarlySubmitsAtOnce() throws {
        var h = try Harness()  // no units configured: nothing to ask
        try h.send("Wifi i personalrummet funkar inte")
        let replies = try h.send("klar")
        #expect(replies.count == 1)
        #expect(replies[0].contains("#1"))
        let idea = try #require(h.idea(1))
        #expect(idea.stage == .inkommen && idea.benefits == nil && idea.unit == nil)
        #expect(idea.submittedAt == start.addingTimeInterval(60))
        #expect(h.session.draftNumber == nil)
        // Nothing left to submit.
        #expect(try h.send("klar") == [h.text(.submitNothing)])
    }

    @Test func undoLastAnswer() throws {
        var h = try Harness(config: full)
        #expect(try h.send("Ett skav").count == 1)
        #expect(try h.send("ångra") == [h.text(.undoNothing)])
        try h.send("2")
        try h.send("Ett förslag")
        #expect(h.session.phase == .asking(.challenge))
        var replies = try h.send("ångra")
        #expect(replies == [h.text(.undoDone) + "\n\n" + h.text(.questionSolution)])
        #expect(h.idea(1)?.solution == nil)
        #expect(h.session.phase == .asking(.solution))
        replies = try h.send("Angra")  // again, without diacritics
        #expect(h.idea(1)?.benefits == nil)
        #expect(h.session.phase == .asking(.benefits))
        try h.send("1")
        #expect(h.idea(1)?.benefits == "residents")
        #expect(h.session.phase == .asking(.solution))
    }

    @Test func undoAfterSkipReasks() throws {
        var h = try Harness()
        try h.send("Ett skav")
        try h.send("hoppa")
        let replies = try h.send("undo")
        #expect(replies[0].contains(h.text(.questionBenefits)))
        #expect(h.session.phase == .asking(.benefits))
    }

    @Test func editPartsReturnToSummary() throws {
        var h = try Harness(config: full)
        try h.send("Ett skav")
        try h.send("1")
        try h.send("Förslag A")
        try h.send("2")
        #expect(h.idea(1)?.theme == "klimat")
        #expect(h.session.phase == .reviewing)

        var replies = try h.send("ändra 3")
        #expect(replies == [h.text(.questionSolution)])
        #expect(h.session.phase == .editing(.solution))
        replies = try h.send("Förslag B")
        #expect(replies[0].contains(h.text(.summaryActions)))
        #expect(replies[0].contains("Förslag B"))
        #expect(h.idea(1)?.solution == "Förslag B")
        #expect(h.events.map(\.kind) == [.edited])
        #expect(h.session.phase == .reviewing)

        try h.send("Ändra 1")
        try h.send("Kaffemaskinen läcker. Varje dag.")
        #expect(h.idea(1)?.problem == "Kaffemaskinen läcker. Varje dag.")
        #expect(h.idea(1)?.title == "Kaffemaskinen läcker")

        try h.send("edit 2")
        try h.send("4")
        #expect(h.idea(1)?.benefits == "other")

        try h.send("andra 4")
        try h.send("integration och inkludering")
        #expect(h.idea(1)?.theme == "integration")

        // An edit can be undone, and `hoppa` during an edit keeps the value.
        try h.send("ångra")
        #expect(h.idea(1)?.theme == "klimat")
        #expect(h.session.phase == .editing(.challenge))
        try h.send("hoppa")
        #expect(h.session.phase == .reviewing)

        #expect(try h.send("ändra 9") == [h.text(.editInvalid, [.max: "4"])])
        #expect(h.session.phase == .reviewing)
    }

    @Test func cancelDeletesTheDraft() throws {
        var h = try Harness()
        try h.send("Ett skav")
        try h.send("1")
        let replies = try h.send("avbryt")
        #expect(replies == [h.text(.cancelDone, [.number: "1"])])
        #expect(h.actions.contains(.deleteIdea(number: 1)))
        #expect(h.events.map(\.kind) == [.deleted])
        #expect(h.idea(1) == nil)
        #expect(h.session == ConversationSession())
        #expect(try h.send("cancel") == [h.text(.cancelNothing)])
        // The next text is a new draft with a new number.
        try h.send("Ett nytt skav")
        #expect(h.session.draftNumber == 2)
    }

    @Test func commandMidQuestionWins() throws {
        var h = try Harness(config: full)
        try h.send("Ett skav")
        var replies = try h.send("HJÄLP")
        #expect(replies.count == 1)
        #expect(replies[0].contains(h.text(.help)))
        #expect(h.session.phase == .asking(.benefits))
        #expect(h.idea(1)?.benefits == nil)

        replies = try h.send("mina ideer")
        #expect(replies[0].contains("#1"))
        #expect(h.session.phase == .asking(.benefits))

        replies = try h.send("utkast")
        #expect(replies[0].contains(h.text(.summaryTitle, [.number: "1"])))
        #expect(replies[0].contains(h.text(.questionBenefits)))

        try h.send("2")
        #expect(h.idea(1)?.benefits == "colleagues")
    }

    @Test func reviewWaitsForACommand() throws {
        var h = try Harness()
        try h.send("Ett skav")
        try h.send("hoppa")
        try h.send("hoppa")
        let replies = try h.send("ja tack")
        #expect(replies == [h.text(.reviewHint, [.number: "1"])])
        #expect(h.savedIdeas.isEmpty)
        try h.send("send")
        #expect(h.idea(1)?.stage == .inkommen)
    }

    @Test func newIdeaParksTheOpenDraft() throws {
        var h = try Harness()
        try h.send("Första skavet")
        try h.send("1")
        let replies = try h.send("idé: Andra skavet")
        #expect(replies.count == 1)
        #expect(replies[0].contains(h.text(.draftParked, [.number: "1"])))
        #expect(replies[0].contains(h.text(.draftSaved, [.number: "2"])))
        #expect(replies[0].contains(h.text(.questionBenefits)))
        #expect(h.events.map(\.kind) == [.parked, .created])
        #expect(h.events.first?.ideaNumber == 1)
        #expect(!h.actions.contains(.deleteIdea(number: 1)))
        #expect(h.idea(1)?.stage == .utkast)
        #expect(h.idea(1)?.benefits == "residents")
        #expect(h.idea(2)?.problem == "Andra skavet")
        #expect(h.session.draftNumber == 2)
        #expect(h.session.phase == .asking(.benefits))

        // The parked draft can be picked up again.
        var shown = try h.send("idé 1")
        #expect(shown[0].contains(h.text(.ideaResumeHint, [.number: "1"])))
        shown = try h.send("fortsätt 1")
        #expect(shown[0].contains(h.text(.draftParked, [.number: "2"])))
        #expect(shown[0].contains(h.text(.draftResumed, [.number: "1"])))
        #expect(h.session.draftNumber == 1 && h.session.phase == .reviewing)
        try h.send("klar")
        #expect(h.idea(1)?.stage == .inkommen)
        #expect(h.idea(2)?.stage == .utkast)
        #expect(try h.send("fortsätt 1") == [h.text(.draftNotResumable, [.number: "1"])])
    }

    @Test func emptyIdeaCommand() throws {
        var h = try Harness()
        #expect(try h.send("idé:") == [h.text(.newIdeaEmpty)])
        #expect(h.savedIdeas.isEmpty)
        try h.send("Idea:   The door sticks")
        #expect(h.idea(1)?.problem == "The door sticks")
    }

    @Test func myIdeasAndShowingOneIdea() throws {
        let intake = FakeIntake()
        var anna = try Harness("@anna:kommun.se", intake: intake)
        var bertil = try Harness("@bertil:kommun.se", intake: intake, prompts: anna.prompts)

        #expect(try anna.send("mina idéer") == [anna.text(.myIdeasNone)])
        try anna.send("Annas första skav")
        try anna.send("klar")
        try bertil.send("Bertils hemliga skav om en brukare")
        try anna.send("Annas andra skav")

        var replies = try anna.send("mina idéer")
        #expect(replies.count == 1)
        let list = replies[0]
        #expect(list.contains(anna.text(.myIdeasLine, [.number: "3", .title: "Annas andra skav", .stage: "Utkast"])))
        #expect(list.contains(anna.text(.myIdeasLine, [.number: "1", .title: "Annas första skav", .stage: "Inkommen"])))
        #expect(!list.contains("Bertil"))
        #expect(list.range(of: "#3")!.lowerBound < list.range(of: "#1")!.lowerBound)  // newest first

        replies = try anna.send("idé 1")
        #expect(replies[0].contains(anna.text(.ideaTitle, [.number: "1", .title: "Annas första skav"])))
        #expect(replies[0].contains(anna.text(.ideaStage, [.text: "Inkommen"])))

        // Someone else's idea and a missing one get the same answer.
        let others = try anna.send("idé 2")
        #expect(others == [anna.text(.ideaNotFound, [.number: "2"])])
        #expect(!others[0].contains("Bertil"))
        let missing = try anna.send("idea 99")
        #expect(missing == [anna.text(.ideaNotFound, [.number: "99"])])
        // Asking did not disturb Anna's open draft.
        #expect(anna.session.draftNumber == 3 && anna.session.phase == .asking(.benefits))
    }

    @Test func myIdeasIsShort() throws {
        var h = try Harness()
        for index in 1...13 {
            try h.send("idé: Skav nummer \(index)")
        }
        let list = try h.send("my ideas")[0]
        #expect(list.contains(h.text(.myIdeasMore, [.count: "3"])))
        #expect(list.contains("#13") && !list.contains("#3 "))
    }

    @Test func languageSwitch() throws {
        var h = try Harness(config: full)
        try h.send("Ett skav")
        let replies = try h.send("språk en")
        #expect(h.person.language == .en)
        #expect(h.savedPersons.first?.language == .en)
        #expect(replies.count == 1)
        #expect(replies[0].contains(h.prompts.text(.languageSet, .en).plainText))
        #expect(replies[0].contains(h.prompts.text(.questionBenefits, .en).plainText))  // the pending question, in English

        try h.send("skip")
        try h.send("don't know")
        #expect(h.idea(1)?.solution == nil)
        let card = try h.send("skip")[0]
        #expect(card.contains(h.text(.summaryTitle, [.number: "1"], in: .en)))
        let newIdea = try h.send("idea: Another thing")
        #expect(h.prompts.says(newIdea[0], .draftSaved, .en))

        try h.send("LANGUAGE SV")
        #expect(h.person.language == .sv)
        #expect(h.replies[0].hasPrefix(h.prompts.text(.languageSet, .sv).plainText))
        #expect(try h.send("språk fi") == [h.text(.languageUnknown)])
    }

    @Test func englishDefaultLanguage() throws {
        var h = try Harness(config: ConversationConfig(defaultLanguage: .en), greeted: false)
        let replies = try h.send("help")
        #expect(replies.count == 2)
        #expect(replies[0].contains(h.text(.publicRecords, in: .en)))
        #expect(replies[1].contains(h.prompts.text(.help, .en).plainText))
        #expect(h.savedIdeas.isEmpty)
    }

    @Test func firstMessageHelp() throws {
        var h = try Harness(greeted: false)
        let replies = try h.send("hjälp")
        #expect(replies.count == 2)
        #expect(replies[0].contains(h.text(.greeting)))
        #expect(replies[1].contains(h.text(.help)))
        #expect(replies[1].contains(h.text(.publicRecords)))
        #expect(h.person.greetedAt == start)
        // Greeted once only.
        #expect(try h.send("Ett skav").count == 1)
    }

    @Test func thanksVariantsAreDeterministic() throws {
        let prompts = try loadPrompts()
        for language in Language.allCases {
            let first = prompts.variant(.submitThanks, language, seed: 7, [.number: "7"])
            let again = prompts.variant(.submitThanks, language, seed: 7, [.number: "7"])
            #expect(first == again)
            let texts = Set((1...12).map { prompts.variant(.submitThanks, language, seed: $0).plainText })
            #expect(texts.count >= 5)
            for seed in 1...12 {
                #expect(prompts.variant(.submitThanks, language, seed: seed, [.number: "\(seed)"]).plainText.contains("#\(seed)"))
            }
        }
        // In the conversation, the same number gets the same words, different numbers vary.
        var seen: Set<String> = []
        var h = try Harness(prompts: prompts)
        for number in 1...6 {
            try h.send("Skav \(number)")
            let reply = try h.send("klar")[0]
            let thanks = prompts.variant(.submitThanks, .sv, seed: number, [.number: "\(number)"]).plainText
            #expect(reply.hasPrefix(thanks))
            seen.insert(String(reply.prefix(20)))
        }
        #expect(seen.count >= 5)
    }

    @Test func draftGoneFromStoreResetsSession() throws {
        var h = try Harness()
        try h.send("Ett skav")
        h.intake.ideas[1]?.stage = .parkerad  // parked by the nudge service meanwhile
        try h.send("Ett nytt skav")
        #expect(h.session.draftNumber == 2)
        #expect(h.idea(2)?.problem == "Ett nytt skav")
    }

    @Test func userTextIsNeverMarkup() throws {
        var h = try Harness()
        try h.send("Det här är **inte fet** och <b>inte html</b> @room")
        try h.send("hoppa")
        try h.send("hoppa")
        guard case .reply(let card) = h.actions.last else { Issue.record("no reply"); return }
        #expect(card.plainText.contains("**inte fet**"))
        #expect(card.html.contains("&lt;b&gt;inte html&lt;/b&gt;"))
        #expect(!card.html.contains("<strong>inte fet</strong>"))
    }

    @Test func sessionRoundTripsThroughJSON() throws {
        var h = try Harness(config: full)
        try h.send("Ett skav")
        try h.send("1")
        try h.send("ändra 1")
        let data = try JSONEncoder().encode(h.session)
        let decoded = try JSONDecoder().decode(ConversationSession.self, from: data)
        #expect(decoded == h.session)
        #expect(decoded.phase == .editing(.problem))
        #expect(decoded.undo.count == 1)
    }
}

@Suite struct ReminderCommandTests {
    @Test func personalControlsAreSavedOnThePerson() throws {
        var h = try Harness()
        #expect(try h.send("påminn inte") == [h.text(.remindersOff)])
        #expect(h.person.remindersOff)
        #expect(try h.send("pausa påminnelser 3 dagar") == [h.text(.remindersPaused, [.days: "3"])])
        #expect(h.person.pausedUntil == start.addingTimeInterval(60 + 3 * 86_400))
        #expect(try h.send("påminn igen") == [h.text(.remindersOn)])
        #expect(!h.person.remindersOff && h.person.pausedUntil == nil)
        #expect(try h.send("pausa påminnelser 0 dagar") == [h.text(.remindersPauseInvalid)])
        #expect(try h.send("VECKOFRÅGA PÅ") == [h.text(.weeklyOn)])
        #expect(h.person.weeklyCheckin)
        #expect(try h.send("weekly off") == [h.text(.weeklyOff)])
        #expect(!h.person.weeklyCheckin)
        #expect(h.intake.ideas.isEmpty)
    }

    @Test func milestonesOnTheFirstFifthAndTenthIdea() throws {
        var h = try Harness()
        var milestones: [Int: String] = [:]
        for n in 1...10 {
            try h.send("idé: Skav nummer \(n) med skrivaren")
            try h.send("skicka")
            let text = h.replies.joined(separator: "\n")
            if text.contains(h.text(.praiseFirstIdea)) { milestones[n] = "first" }
            if text.contains(h.text(.praiseIdeaCount, [.count: "\(n)"])) { milestones[n] = "count" }
        }
        #expect(milestones == [1: "first", 5: "count", 10: "count"])
    }
}
