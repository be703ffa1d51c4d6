import Chat
import Foundation
import GRDB
import Testing

@testable import Intake
@testable import Store
import Prompts
import GRDB

/// The store side of `mina data`, `glöm mig`, retention and the audit log (SkavBot.docc/Privacy.md).
@Suite struct PersonalDataStoreTests {
    let now = Date(timeIntervalSince1970: 1_790_000_000)
    let anna = UserID("@anna:kommun.se")
    let bo = UserID("@bo:kommun.se")

    func idea(_ number: Int, by author: UserID, stage: IdeaStage, updated: Date? = nil) -> Idea {
        Idea(
            number: number, author: author, title: "Idé \(number)", problem: "Problem \(number)", stage: stage,
            createdAt: updated ?? now, updatedAt: updated ?? now, submittedAt: stage == .utkast ? nil : now)
    }

    /// Anna: submitted #1 (with history, a link to Bo's #3, audit entries), draft #2; Bo: submitted #3.
    func seeded() throws -> IntakeStore {
        let store = try IntakeStore()
        try store.write { (tx: IntakeTransaction) throws in
            try tx.savePerson(Person(id: anna, language: .en, unit: "Skola", greetedAt: now, createdAt: now))
            try tx.savePerson(Person(id: bo, createdAt: now))
            try tx.setDirectRoom("!dm-anna:kommun.se", for: anna, at: now)
            try tx.saveIdea(idea(1, by: anna, stage: .inkommen))
            try tx.saveIdea(idea(2, by: anna, stage: .utkast))
            try tx.saveIdea(idea(3, by: bo, stage: .bedoms))
            try tx.appendEvent(IdeaEvent(ideaNumber: 1, at: now, actor: anna, kind: .created, toStage: .utkast))
            try tx.appendEvent(IdeaEvent(ideaNumber: 1, at: now, actor: anna, kind: .submitted, toStage: .inkommen))
            try tx.appendEvent(IdeaEvent(ideaNumber: 2, at: now, actor: anna, kind: .created, toStage: .utkast))
            try tx.appendEvent(IdeaEvent(ideaNumber: 3, at: now, actor: bo, kind: .claimed))
            try tx.linkIdeas(1, 3, by: bo, at: now)
            try tx.audit(AuditEntry(at: now, actor: anna.rawValue, ideaNumber: 1, action: .read))
            try tx.audit(AuditEntry(at: now, actor: bo.rawValue, ideaNumber: 1, action: .read))
            try tx.audit(AuditEntry(at: now, actor: bo.rawValue, ideaNumber: 3, action: .read))
            try tx.setConversationState(Data("{}".utf8), of: anna, at: now)
            try tx.enqueue(OutboxEntry(txnID: "t1", roomID: nil, recipient: anna, body: "hej", createdAt: now))
        }
        return store
    }

    @Test func personalDataHoldsEverythingAboutThePerson() throws {
        let store = try seeded()
        let data = try store.read { try $0.personalData(of: anna) }
        #expect(data.person?.unit == "Skola")
        #expect(data.ideas.map(\.idea.number) == [1, 2])
        #expect(data.ideas[0].events.map(\.kind) == [.created, .submitted])
        #expect(data.ideas[0].links == [3])
        #expect(data.directRooms == ["!dm-anna:kommun.se"])
        #expect(data.pendingMessages == 1)
        // Reads of her ideas by anyone, not Bo's reads of his own.
        #expect(data.audit.map(\.actor) == [anna.rawValue, bo.rawValue])
        let nobody = try store.read { try $0.personalData(of: "@ny:kommun.se") }
        #expect(nobody.person == nil && nobody.ideas.isEmpty && nobody.audit.isEmpty)
    }

    @Test func forgettingDeletesDraftsAndSettingsAndPseudonymisesTheRest() throws {
        let store = try seeded()
        let outcome = try store.write { try $0.forgetPerson(anna, pseudonym: "anonym-0000abcd", at: now) }
        #expect(outcome == ForgetOutcome(pseudonym: "anonym-0000abcd", draftsDeleted: 1, ideasPseudonymised: 1))
        try store.read { (tx: IntakeTransaction) throws in
            #expect(try tx.person(anna) == nil)
            #expect(try tx.person(bo) != nil)
            #expect(try tx.idea(number: 2) == nil)
            #expect(try tx.idea(number: 1)?.author == "anonym-0000abcd")
            #expect(try tx.idea(number: 3)?.author == bo)
            #expect(try tx.events(ofIdea: 1).map(\.actor) == ["anonym-0000abcd", "anonym-0000abcd"])
            #expect(try tx.events(ofIdea: 2).map(\.actor) == ["anonym-0000abcd"])  // the history stays
            #expect(try tx.events(ofIdea: 3).map(\.actor) == [bo])
            #expect(try tx.links(ofIdea: 1) == [3])
            #expect(try tx.conversationState(of: anna) == nil)
            #expect(try tx.directRoom(of: anna) == nil)
            let audit = try tx.auditEntries()
            #expect(audit.map(\.actor).contains(bo.rawValue))
            #expect(!audit.map(\.actor).contains(anna.rawValue))
            #expect(audit.contains { $0.ideaNumber == 1 && $0.action == .forgotten && $0.actor == "anonym-0000abcd" })
            #expect(audit.contains { $0.ideaNumber == 2 && $0.action == .deleted })
            // A message still waiting for her is delivered first.
            #expect(try tx.unsentOutboxCount() == 1)
            #expect(try tx.isActorKnown("anonym-0000abcd"))
            #expect(try !tx.isActorKnown("anonym-ffffffff"))
        }
        // Her raw id is nowhere in the database any more (the waiting message aside).
        try store.read { (tx: IntakeTransaction) throws in
            for table in ["person", "idea", "idea_event", "idea_link", "audit_log", "conversation_state", "direct_room"] {
                let rows = try Row.fetchAll(tx.db, sql: "SELECT * FROM \(table)")
                for row in rows {
                    for (_, value) in row {
                        #expect(!"\(value)".contains(anna.rawValue), "\(table)")
                    }
                }
            }
        }
    }

    @Test func theHistoryStaysAppendOnlyButForThePseudonym() throws {
        let store = try seeded()
        func refused(_ sql: String) -> Bool {
            do {
                try store.write { try $0.db.execute(sql: sql) }
                return false
            } catch {
                return "\(error)".contains("append-only")
            }
        }
        #expect(refused("UPDATE idea_event SET actor = 'someone-else' WHERE idea_number = 1"))
        #expect(refused("UPDATE idea_event SET comment = 'changed' WHERE idea_number = 1"))
        #expect(refused("UPDATE idea_event SET actor = 'anonym-1', comment = 'x' WHERE idea_number = 1"))
        #expect(refused("UPDATE idea_event SET actor = 'anonym-1', kind = 'deleted' WHERE idea_number = 1"))
        #expect(refused("DELETE FROM idea_event"))
        #expect(refused("UPDATE audit_log SET detail = 'x'"))
        #expect(refused("UPDATE audit_log SET actor = 'someone-else'"))
        #expect(refused("DELETE FROM audit_log"))
        #expect(!refused("UPDATE idea_event SET actor = 'anonym-1' WHERE idea_number = 3"))
        #expect(!refused("UPDATE audit_log SET actor = 'anonym-1' WHERE idea_number = 3"))
    }

    @Test func retentionDeletesOldDraftsAndStatesOnly() throws {
        let store = try IntakeStore()
        let old = now.addingTimeInterval(-91 * 86_400)
        let cutoff = now.addingTimeInterval(-90 * 86_400)
        try store.write { (tx: IntakeTransaction) throws in
            try tx.saveIdea(idea(1, by: anna, stage: .utkast, updated: old))
            try tx.saveIdea(idea(2, by: anna, stage: .utkast, updated: now))
            try tx.saveIdea(idea(3, by: anna, stage: .inkommen, updated: old))
            try tx.saveIdea(idea(4, by: bo, stage: .parkerad, updated: old))
            try tx.setConversationState(Data("{}".utf8), of: anna, at: old)
            try tx.setConversationState(Data("{}".utf8), of: bo, at: now)
        }
        let outcome = try store.write { try $0.deleteExpired(before: cutoff, at: now) }
        #expect(outcome == RetentionOutcome(drafts: 1, states: 1))
        try store.read { (tx: IntakeTransaction) throws in
            #expect(try tx.idea(number: 1) == nil)
            #expect(try tx.idea(number: 2) != nil)
            #expect(try tx.idea(number: 3) != nil)
            #expect(try tx.idea(number: 4) != nil)
            #expect(try tx.conversationState(of: anna) == nil)
            #expect(try tx.conversationState(of: bo) != nil)
            #expect(try tx.auditEntries().map { [$0.actor, "\($0.ideaNumber ?? 0)", $0.action.rawValue] }
                == [["retention", "1", "deleted"]])
        }
        #expect(try store.write { try $0.deleteExpired(before: cutoff, at: now) } == RetentionOutcome(drafts: 0, states: 0))
    }

    @Test func pseudonymsLookRight() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            let pseudonym = Pseudonym.make(using: &generator)
            #expect(pseudonym.count == 15)
            #expect(Pseudonym.isPseudonym(pseudonym))
            #expect(pseudonym.dropFirst(7).allSatisfy { $0.isHexDigit })
        }
    }
}
