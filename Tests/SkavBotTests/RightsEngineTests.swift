import Chat
import Conversation
import Foundation
import Intake
import SkavTesting
import Testing
import Prompts
import Store

@testable import SkavBot
import Configuration

/// `mina data`, `glöm mig`, the audit log and retention, through the engine on a database file
/// (SkavBot.docc/Privacy.md).
@Suite struct RightsEngineTests {
    let start = EngineHarness.start

    /// The bot of these tests, on a database file, with the roles of `PipelineBotTests.rolesYAML`.
    func harness() throws -> EngineHarness {
        let config = try SkavConfig.parse(yaml: PipelineBotTests.rolesYAML)
        return try EngineHarness(SkavApp.conversationConfig(config), onDisk: true)
    }

    /// Anna submits #1 (Socialtjänst, so Karin is told and looks at it) and leaves draft #2 open.
    func annaWithIdeas(_ h: EngineHarness) async throws {
        try await h.send(
            ["Tolkbokningen tar en vecka", "hoppa", "hoppa", "skicka", "1", "Skrivaren på plan 3 är trasig"],
            from: Cast.anna, at: start)
        try await h.send(["idé 1", "ta 1"], from: Cast.karin, at: start)
    }

    @Test func myDataSendsTheStoredDataAndIsAudited() async throws {
        let h = try harness()
        try await annaWithIdeas(h)
        let sent = try await h.send(["mina data"], from: Cast.anna, at: start)
        #expect(sent.count == 2)
        #expect(testPrompts.says(sent[0], .myDataIntro))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(sent[1].utf8)) as? [String: Any])
        let stored = try #require(object["stored"] as? [String: Any])
        #expect((stored["ideas"] as? [Any])?.count == 2)
        #expect((stored["direct_rooms"] ?? stored["directRooms"]) != nil)
        let audit = try #require(stored["audit"] as? [[String: Any]])
        // Karin's read of #1 is in Anna's export.
        #expect(audit.contains { $0["actor"] as? String == Cast.karin.rawValue && $0["action"] as? String == "read" })
        let log = try await h.store.read { try $0.auditEntries() }
        #expect(log.contains { $0.actor == Cast.anna.rawValue && $0.action == .exported && $0.ideaNumber == nil })
        #expect(log.contains { $0.actor == Cast.anna.rawValue && $0.action == .created && $0.ideaNumber == 1 })
        #expect(log.contains { $0.action == .stage && $0.ideaNumber == 1 && $0.detail == "utkast→inkommen" })
        #expect(log.contains { $0.actor == Cast.karin.rawValue && $0.action == .read && $0.ideaNumber == 1 })
        #expect(log.contains { $0.actor == Cast.karin.rawValue && $0.action == .changed && $0.detail == "guide" })
    }

    @Test func forgetMeLeavesTheRawIdNowhereOnDisk() async throws {
        let h = try harness()
        try await annaWithIdeas(h)
        #expect(h.bytesOnDisk().contains(Cast.anna.rawValue))

        var sent = try await h.send(["glöm mig"], from: Cast.anna, at: start)
        #expect(sent == [testPrompts.text(.forgetConfirm, .sv, [.drafts: "1", .ideas: "1"]).plainText])
        sent = try await h.send(["ja, glöm mig"], from: Cast.anna, at: start.addingTimeInterval(60))
        #expect(sent == [testPrompts.text(.forgetDone, .sv, [.drafts: "1", .ideas: "1"]).plainText])

        let idea = try #require(try await h.store.read { try $0.idea(number: 1) })
        #expect(idea.author.rawValue.hasPrefix("anonym-"))
        #expect(idea.guide == Cast.karin)
        #expect(try await h.store.read { try $0.idea(number: 2) } == nil)
        #expect(try await h.store.read { try $0.person(Cast.anna) } == nil)
        #expect(try await h.store.read { try $0.conversationState(of: Cast.anna) } == nil)
        let pseudonym = idea.author.rawValue
        #expect(try await h.store.read { try $0.events(ofIdea: 1) }.allSatisfy { $0.actor == Cast.karin || $0.actor.rawValue == pseudonym })

        // The hourly retention run empties the write-ahead log: then no page copy holds the id either.
        try h.engine.applyRetention(.seconds(90 * 86_400), now: start.addingTimeInterval(120))
        let disk = h.bytesOnDisk()
        #expect(!disk.contains(Cast.anna.rawValue), "the raw id is still on disk")
        #expect(disk.contains(pseudonym))

        // She is a newcomer again: greeted, and her old room works.
        sent = try await h.send(["Hej"], from: Cast.anna, at: start.addingTimeInterval(180))
        #expect(sent.first?.contains(testPrompts.text(.greeting, .sv).plainText) == true)
        #expect(try await h.store.read { try $0.person(Cast.anna) }?.greetedAt != nil)
    }

    @Test func aCancelledForgetChangesNothing() async throws {
        let h = try harness()
        try await annaWithIdeas(h)
        try await h.send(["glöm mig", "nej"], from: Cast.anna, at: start)
        #expect(try await h.store.read { try $0.person(Cast.anna) } != nil)
        #expect(try await h.store.read { try $0.idea(number: 1) }?.author == Cast.anna)
        #expect(try await h.store.read { try $0.idea(number: 2) } != nil)
    }

    @Test func retentionDeletesOldDraftsThroughTheEngine() async throws {
        let h = try harness()
        try await annaWithIdeas(h)
        let later = start.addingTimeInterval(91 * 86_400)
        let outcome = try h.engine.applyRetention(.seconds(90 * 86_400), now: later)
        #expect(outcome.drafts == 1 && outcome.states == 2)
        // The pass also rewrote the outbox entries sent so far (`compactSentOutbox`), up to the last one.
        let lastID = try await h.store.read { try $0.allOutbox() }.compactMap(\.id).max()
        #expect(lastID != nil)
        #expect(try await h.store.read { try $0.value("outbox.compacted_through") } == lastID.map(String.init))
        #expect(try await h.store.read { try $0.idea(number: 2) } == nil)
        #expect(try await h.store.read { try $0.idea(number: 1) } != nil)
        // Anna's next message finds no draft and no state: it starts a new one, without a crash.
        let sent = try await h.send(["Kaffemaskinen läcker"], from: Cast.anna, at: later)
        #expect(sent.contains { $0.contains("#3") })
    }
}
