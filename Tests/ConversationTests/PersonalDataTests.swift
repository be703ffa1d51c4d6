import Chat
import Conversation
import Foundation
import Intake
import Testing
import Prompts

/// `mina data` and `glöm mig` (SkavBot.docc/Privacy.md).
@Suite struct PersonalDataTests {
    let config = ConversationConfig(units: sampleUnits)

    /// Anna with one submitted idea (#1) and an open draft (#2).
    func annaWithIdeas() throws -> Harness {
        var h = try Harness(config: config)
        try h.send("Skrivaren på plan 2 krånglar varje morgon.")
        try h.send("2")
        try h.send("Ett delat formulär")
        try h.send("klar")
        try h.send("1")
        try h.send("Tolkbokningen tar en vecka.")
        return h
    }

    @Test func myDataSendsEverythingAsJSON() throws {
        var h = try annaWithIdeas()
        #expect(h.idea(1)?.stage == .inkommen)
        #expect(h.idea(2)?.stage == .utkast)
        let replies = try h.send("mina data")
        #expect(replies.count == 2)
        #expect(replies[0] == h.text(.myDataIntro, [.count: "1"]))
        let json = replies[1]
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let stored = try #require(object["stored"] as? [String: Any])
        #expect(stored["user"] as? String == "@anna:kommun.se")
        let person = try #require(stored["person"] as? [String: Any])
        #expect(person["unit"] as? String == sampleUnits[0])
        let ideas = try #require(stored["ideas"] as? [[String: Any]])
        #expect(ideas.count == 2)
        let first = try #require(ideas.first?["idea"] as? [String: Any])
        #expect(first["number"] as? Int == 1)
        #expect(first["solution"] as? String == "Ett delat formulär")
        #expect((ideas.first?["events"] as? [Any])?.isEmpty == false)
        let state = try #require(object["conversation_state"] as? [String: Any])
        #expect(state["draftNumber"] as? Int == 2)
        #expect(object["exported_at"] as? String != nil)
        #expect(h.actions.contains(.audit(ideaNumber: nil, action: .exported, detail: "mina data")))
        // Nothing is changed by an export.
        #expect(h.savedIdeas.isEmpty && h.savedPersons.isEmpty)

        h.person.language = .en
        #expect(try h.send("my data").first == h.text(.myDataIntro, [.count: "1"], in: .en))
    }

    @Test func whereTheServerTakesFilesMyDataIsOneJSONFile() throws {
        var h = try annaWithIdeas()
        h.config.filesSupported = true
        let replies = try h.send("mina data")
        #expect(replies.isEmpty, "no text chunks: the file carries it all")
        let files = h.actions.compactMap { action -> (RichText, FileAttachment)? in
            if case .replyFile(let caption, let file) = action { return (caption, file) }
            return nil
        }
        #expect(files.count == 1)
        let (caption, file) = try #require(files.first)
        #expect(caption == h.prompts.text(.myDataFile, .sv))
        #expect(file.mimeType == "application/json")
        #expect(file.filename.hasPrefix("skav-mina-data-") && file.filename.hasSuffix(".json"))
        let object = try #require(try JSONSerialization.jsonObject(with: file.data) as? [String: Any])
        let stored = try #require(object["stored"] as? [String: Any])
        #expect((stored["ideas"] as? [Any])?.count == 2)
        #expect(h.actions.contains(.audit(ideaNumber: nil, action: .exported, detail: "mina data")))
    }

    @Test func aLargeExportIsSplitIntoMessagesThatJoinToTheWholeDocument() throws {
        var h = try Harness(config: config)
        // 12 drafts of 3,000 characters each: far more than one message holds.
        for index in 1...12 {
            try h.send("idé: " + String(repeating: "Långa köer vid receptionen \(index). ", count: 90))
        }
        let replies = try h.send("mina data")
        let parts = Array(replies.dropFirst())
        #expect(parts.count > 2)
        #expect(replies[0] == h.text(.myDataIntro, [.count: "\(parts.count)"]))
        for part in parts {
            #expect(part.count <= MessageSplitter.characterLimit)
            #expect(part.utf8.count <= MessageSplitter.byteLimit)
        }
        let joined = parts.joined()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(joined.utf8)) as? [String: Any])
        #expect(((object["stored"] as? [String: Any])?["ideas"] as? [Any])?.count == 12)
    }

    @Test func theSplitterCutsAtLineEndsAndInsideOverlongLines() {
        #expect(MessageSplitter.split("", characters: 5, bytes: 100) == [])
        #expect(MessageSplitter.split("ab\ncd\nef\n", characters: 6, bytes: 100) == ["ab\ncd\n", "ef\n"])
        #expect(MessageSplitter.split("abcdefgh", characters: 3, bytes: 100) == ["abc", "def", "gh"])
        // Bytes count too: å is two bytes in UTF-8.
        #expect(MessageSplitter.split("åååå", characters: 100, bytes: 4) == ["åå", "åå"])
        let text = (1...500).map { "line \($0) ✓ åäö" }.joined(separator: "\n")
        let parts = MessageSplitter.split(text, characters: 100, bytes: 120)
        #expect(parts.joined() == text)
        #expect(parts.allSatisfy { $0.count <= 100 && $0.utf8.count <= 120 })
        #expect(parts.dropLast().allSatisfy { $0.hasSuffix("\n") })
    }

    @Test func forgetMeAsksFirstAndAYesForgets() throws {
        var h = try annaWithIdeas()
        var replies = try h.send("glöm mig")
        #expect(replies == [h.text(.forgetConfirm, [.drafts: "1", .ideas: "1"])])
        #expect(h.session.forgetAskedAt != nil)
        #expect(h.intake.forgotten.isEmpty)

        replies = try h.send("Ja, glöm mig!")
        #expect(replies == [h.text(.forgetDone, [.drafts: "1", .ideas: "1"])])
        #expect(h.actions.contains(.forgetPerson("@anna:kommun.se")))
        #expect(h.savedPersons.isEmpty)
        #expect(h.session == ConversationSession())
        #expect(h.intake.forgotten == ["@anna:kommun.se"])
        #expect(h.idea(2) == nil)
        #expect(h.idea(1)?.author.rawValue.hasPrefix("anonym-") == true)
    }

    @Test func anythingButYesCancels() throws {
        var h = try annaWithIdeas()
        try h.send("glöm mig")
        var replies = try h.send("nej")
        #expect(replies == [h.text(.forgetCancelled)])
        #expect(h.session.forgetAskedAt == nil)
        #expect(h.session.draftNumber == 2)  // the draft is untouched, `nej` went nowhere else

        // `avbryt` cancels the forgetting, not the draft.
        try h.send("glöm mig")
        replies = try h.send("avbryt")
        #expect(replies == [h.text(.forgetCancelled)])
        #expect(h.idea(2) != nil)

        // Another message cancels and is then handled as usual.
        try h.send("glöm mig")
        replies = try h.send("mina idéer")
        #expect(replies.first == h.text(.forgetCancelled))
        #expect(replies.count == 2)
        #expect(replies[1].contains("#1"))

        // A later `ja` forgets nothing: the question is gone.
        replies = try h.send("ja")
        #expect(!h.actions.contains(.forgetPerson("@anna:kommun.se")))
        #expect(h.intake.forgotten.isEmpty)
    }

    @Test func aLateYesDoesNotForget() throws {
        var h = try annaWithIdeas()
        try h.send("glöm mig")
        h.now = h.now.addingTimeInterval(3600)
        let replies = try h.send("ja, glöm mig")
        #expect(replies == [h.text(.forgetCancelled)])
        #expect(h.intake.forgotten.isEmpty)
    }

    @Test func afterForgettingTheNextMessageIsAFirstContact() throws {
        var h = try annaWithIdeas()
        try h.send("forget me")
        try h.send("yes")
        #expect(h.intake.forgotten == ["@anna:kommun.se"])
        // The bot stores nothing of her; the next message starts as a newcomer's.
        h.person = try h.intake.person("@anna:kommun.se") ?? Person(id: "@anna:kommun.se", createdAt: h.now)
        let replies = try h.send("Hej igen")
        #expect(replies.first?.contains(h.text(.greeting)) == true)
        #expect(h.savedPersons.first?.greetedAt != nil)
    }

    @Test func showingAnIdeaIsAudited() throws {
        var h = try annaWithIdeas()
        try h.send("idé 1")
        #expect(h.actions.contains(.audit(ideaNumber: 1, action: .read, detail: "idé 1")))
        // Not found: nothing read, nothing recorded.
        try h.send("idé 9")
        #expect(!h.actions.contains { if case .audit = $0 { true } else { false } })
        // Lists are not recorded.
        try h.send("mina idéer")
        #expect(!h.actions.contains { if case .audit = $0 { true } else { false } })
    }
}
