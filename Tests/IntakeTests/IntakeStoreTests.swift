import Chat
import Foundation
import GRDB
import Testing

@testable import Intake
@testable import Store
import Prompts
import GRDB

@Suite struct IntakeStoreTests {
    let now = Date(timeIntervalSince1970: 1_790_000_000)

    func sampleIdea(_ number: Int, author: UserID = "@anna:kommun.se", stage: IdeaStage = .utkast) -> Idea {
        Idea(
            number: number, author: author, title: "Tolkbokning tar för lång tid",
            problem: "Tolkbokning tar för lång tid. Vi väntar en vecka.", benefits: "residents", stage: stage,
            createdAt: now, updatedAt: now)
    }

    /// The writer keeps its temporary storage (statement journals) in memory, readers keep the default, and
    /// `vacuum` (which builds its copy on disk) leaves the writer as it was.
    @Test func theWriterKeepsItsTemporaryStorageInMemoryAcrossAVacuum() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("skav-temp-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try IntakeStore(path: dir.appendingPathComponent("skav.sqlite").path)
        try store.write { try $0.saveIdea(sampleIdea(1)) }
        let memory = 2
        #expect(try store.readOnWriter { try Int.fetchOne($0.db, sql: "PRAGMA temp_store") } == memory)
        #expect(try store.read { try Int.fetchOne($0.db, sql: "PRAGMA temp_store") } != memory)
        try store.vacuum()
        #expect(try store.readOnWriter { try Int.fetchOne($0.db, sql: "PRAGMA temp_store") } == memory)
        #expect(try store.integrityCheck() == "ok")
        #expect(try store.read { try $0.idea(number: 1) }?.title == sampleIdea(1).title)
    }

    /// v15 keeps the processed events (now kept by id alone) and the outbox's remote ids (whose index now
    /// leaves out the entries not sent yet), and the queries find them through the indexes.
    @Test func aDatabaseFromV14KeepsItsProcessedEventsAndRemoteIDs() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("skav-v14-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("skav.sqlite").path
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let queue = try DatabaseQueue(path: path)
        try Schema.migrator.migrate(queue, upTo: "v14")
        try queue.write { db in
            for index in 0..<50 {
                try db.execute(
                    sql: "INSERT INTO processed_event (event_id, processed_at) VALUES (?, ?)",
                    arguments: ["$e\(index)", StoredDate.text(now.addingTimeInterval(Double(index)))])
                try db.execute(
                    sql: """
                        INSERT INTO outbox (txn_id, room_id, body, style, created_at, remote_id, sent_at)
                        VALUES (?, '!r:kommun.se', '{}', 'plain', ?, ?, ?)
                        """,
                    arguments: [
                        "t\(index)", StoredDate.text(now), index % 2 == 0 ? "$sent\(index)" : nil,
                        index % 2 == 0 ? StoredDate.text(now) : nil,
                    ])
                try db.execute(sql: "INSERT INTO campaign_post (txn_id, campaign_number) VALUES (?, ?)", arguments: ["t\(index)", index])
            }
        }
        try queue.close()
        let store = try IntakeStore(path: path)
        #expect(try store.integrityCheck() == "ok")
        try store.read { tx in
            // The new forms: a partial index, a table without rowid.
            let schema = { (name: String) in try String.fetchOne(tx.db, sql: "SELECT sql FROM sqlite_schema WHERE name = ?", arguments: [name]) ?? "" }
            #expect(try schema("outbox_remote_id").hasSuffix("WHERE remote_id IS NOT NULL AND priority <> 0"))
            #expect(try schema("processed_event").hasSuffix("WITHOUT ROWID"))
            #expect(throws: DatabaseError.self) { try Row.fetchAll(tx.db, sql: "SELECT rowid FROM processed_event") }
            #expect(try (0..<50).allSatisfy { try tx.isProcessed("$e\($0)") })
            #expect(try !tx.isProcessed("$e50"))
            #expect(try tx.campaign(announcedBy: "$sent4") == 4)
            #expect(try tx.campaign(announcedBy: "$sent5") == nil)
            let plan = try Row.fetchAll(
                tx.db, sql: "EXPLAIN QUERY PLAN SELECT id FROM outbox WHERE remote_id = ? AND priority <> 0", arguments: ["$sent4"])
                .map { $0["detail"] as String? ?? "" }
            #expect(plan.contains { $0.contains("outbox_remote_id") }, "\(plan)")
            #expect(try Int.fetchOne(tx.db, sql: "SELECT COUNT(*) FROM outbox INDEXED BY outbox_remote_id WHERE remote_id IS NOT NULL AND priority <> 0") == 25)
        }
        try store.write { tx in
            try tx.markProcessed("$e50", at: now.addingTimeInterval(100))
            #expect(try tx.pruneProcessed(before: now.addingTimeInterval(25)) == 25)
        }
        #expect(try store.read { tx in try (0..<51).filter { try tx.isProcessed("$e\($0)") } } == Array(25...50))
    }

    /// `together` on the writer outside a write: its statements run in one read transaction (one snapshot,
    /// one read lock), its result comes back, an error ends it and is thrown; inside a write it runs as it is.
    @Test func togetherReadsInOneTransactionOnlyWhenOutsideOne() throws {
        let store = try IntakeStore()
        let inside = try store.readOnWriter { tx in
            #expect(!tx.db.isInsideTransaction)
            return try tx.together { tx.db.isInsideTransaction }
        }
        #expect(inside)
        #expect(throws: IntakeError.self) {
            try store.readOnWriter { tx in try tx.together { throw IntakeError(.corrupt, "a failing read") } }
        }
        #expect(try store.readOnWriter { tx in tx.db.isInsideTransaction } == false)
        // Again and again on the same connection (its `BEGIN` and `COMMIT` prepared once), after a failure too.
        for round in 0..<3 {
            #expect(try store.readOnWriter { tx in try tx.together { try Int.fetchOne(tx.db, sql: "SELECT \(round)") } } == round)
            #expect(try store.readOnWriter { tx in tx.db.isInsideTransaction } == false)
        }
        try store.write { tx in
            try tx.saveIdea(sampleIdea(1))
            #expect(try tx.together { try Int.fetchOne(tx.db, sql: "SELECT count(*) FROM idea") } == 1)
        }
    }

    /// A message's savepoint: what a failing body wrote is undone while the batch's transaction goes on (also
    /// for the same savepoint again and again, with its statements prepared once), what a good body wrote
    /// stays; outside a transaction it is a transaction of its own.
    @Test func aSavepointUndoesOnlyWhatItsFailingBodyWrote() throws {
        let store = try IntakeStore()
        try store.write { tx in
            for index in 1...6 {
                try? tx.savepoint {
                    try tx.saveIdea(sampleIdea(index))
                    if index.isMultiple(of: 2) { throw IntakeError(.corrupt, "idea \(index) fails") }
                }
            }
            let count = try Int.fetchOne(tx.db, sql: "SELECT count(*) FROM idea")
            #expect(count == 3)
            #expect(tx.db.isInsideTransaction)
        }
        #expect(try store.read { try Int.fetchAll($0.db, sql: "SELECT number FROM idea ORDER BY number") } == [1, 3, 5])
        try store.readOnWriter { tx in
            #expect(!tx.db.isInsideTransaction)
            try? tx.savepoint {
                try tx.saveIdea(sampleIdea(7))
                throw IntakeError(.corrupt, "outside a transaction too")
            }
            try tx.savepoint { try tx.saveIdea(sampleIdea(8)) }
            #expect(!tx.db.isInsideTransaction)
        }
        #expect(try store.read { try Int.fetchAll($0.db, sql: "SELECT number FROM idea ORDER BY number") } == [1, 3, 5, 8])
    }

    /// A person's export lists a damaged row of theirs as unreadable, with its stored text, and the rest as
    /// they are: one bad row neither hides the others nor fails the export.
    @Test func aDamagedOutboxRowStillShowsInThePersonsExport() throws {
        let store = try IntakeStore()
        let anna: UserID = "@anna:kommun.se"
        try store.write { tx in
            try tx.enqueue(OutboxEntry(txnID: "good", roomID: nil, recipient: anna, body: RichText(plain: "Hej Anna"), createdAt: now))
            try tx.enqueue(OutboxEntry(txnID: "bad", roomID: nil, recipient: anna, body: RichText(plain: "Trasig"), createdAt: now))
            try tx.db.execute(sql: "UPDATE outbox SET style = 'shouting', body = 'Trasig text' WHERE txn_id = 'bad'")
        }
        let messages = try store.read { try $0.storedMessages(for: anna) }
        #expect(messages.map(\.status) == ["waiting", "unreadable"])
        #expect(messages.map(\.text) == ["Hej Anna", "Trasig text"])
        #expect(messages.last?.createdAt == now)
    }

    /// Marking an event processed says whether it was new: the engine's duplicate check and mark in one.
    @Test func markingAnEventProcessedSaysWhetherItWasNew() throws {
        let store = try IntakeStore()
        try store.write { tx in
            let first = try tx.markProcessed("$a", at: now)
            let again = try tx.markProcessed("$a", at: now.addingTimeInterval(5))
            let other = try tx.markProcessed("$b", at: now)
            #expect(first && !again && other)
        }
        #expect(try store.read { try $0.isProcessed("$a") && $0.isProcessed("$b") })
    }

    @Test func fileDatabaseUsesWALAndMigrates() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("skav-intake-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("nested/skav.sqlite").path
        let store = try IntakeStore(path: path)
        #expect(try store.journalMode() == "wal")
        #expect(try store.appliedMigrations() == ["v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v12", "v13", "v14", "v15", "v16", "v17", "v18", "v19"])
        #expect(try store.integrityCheck() == "ok")
        try store.write { try $0.savePerson(Person(id: "@anna:kommun.se", language: .sv, createdAt: now)) }
        // Reopening finds the data and does not migrate again.
        let reopened = try IntakeStore(path: path)
        #expect(try reopened.read { try $0.person("@anna:kommun.se")?.language } == .sv)
    }

    @Test func retentionGivesFreedPagesBackToTheFileSystem() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("skav-intake-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("skav.sqlite").path
        let store = try IntakeStore(path: path)
        func size() throws -> Int { (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0 }
        try store.write { tx in
            for index in 0..<3_000 {
                try tx.setConversationState(Data(repeating: UInt8(index % 251), count: 2_000), of: UserID("@p\(index):kommun.se"), at: now)
            }
        }
        try store.checkpoint()
        let full = try size()
        try store.write { tx in try tx.db.execute(sql: "DELETE FROM conversation_state") }
        try store.releaseFreePages()
        let shrunk = try size()
        #expect(shrunk < full / 4, "the file shrank from \(full) bytes to \(shrunk)")
    }

    @Test func aDatabaseFromANewerVersionIsRefusedClearly() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("skav-intake-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("skav.sqlite").path
        let store = try IntakeStore(path: path)
        try store.writer.write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v999')")
        }
        #expect {
            _ = try IntakeStore(path: path)
        } throws: { error in
            (error as? IntakeError)?.code == .newerSchema
        }
    }

    @Test func notADatabaseIsAClearError() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("skav-intake-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("skav.sqlite").path
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: path))
        #expect(throws: IntakeError.self) { _ = try IntakeStore(path: path) }
    }

    @Test func ideasRoundTripAndNumbersAreNeverReused() throws {
        let store = try IntakeStore()
        try store.write { tx in
            #expect(try tx.nextIdeaNumber() == 1)
            try tx.saveIdea(sampleIdea(1))
            try tx.saveIdea(sampleIdea(2))
            #expect(try tx.nextIdeaNumber() == 3)
            try tx.deleteIdea(number: 2)
            #expect(try tx.nextIdeaNumber() == 3, "a cancelled newest draft must not free its number")
            #expect(try tx.idea(number: 1) == sampleIdea(1))
            #expect(try tx.ideas(author: "@anna:kommun.se").map(\.number) == [1])
        }
    }

    @Test func ideaQueriesFilterByStageAndUnit() throws {
        let store = try IntakeStore()
        try store.write { tx in
            var submitted = sampleIdea(1, stage: .inkommen)
            submitted.unit = "Skola"
            try tx.saveIdea(submitted)
            try tx.saveIdea(sampleIdea(2))
            #expect(try tx.ideas().map(\.number) == [1], "drafts are not listed by default")
            #expect(try tx.ideas(stages: [.utkast]).map(\.number) == [2])
            #expect(try tx.ideas(unit: "Skola").map(\.number) == [1])
            #expect(try tx.ideas(unit: "Äldreomsorg").isEmpty)
        }
    }

    @Test func theEventLogIsAppendOnly() throws {
        let store = try IntakeStore()
        let event = try store.write { tx in
            try tx.appendEvent(
                IdeaEvent(ideaNumber: 1, at: now, actor: "@anna:kommun.se", kind: .submitted, fromStage: .utkast, toStage: .inkommen))
        }
        #expect(event.id != nil)
        #expect(throws: (any Error).self) {
            try store.writer.write { try $0.execute(sql: "UPDATE idea_event SET comment = 'x'") }
        }
        #expect(throws: (any Error).self) {
            try store.writer.write { try $0.execute(sql: "DELETE FROM idea_event") }
        }
        #expect(try store.read { try $0.events(ofIdea: 1) } == [event])
    }

    @Test func outboxIsIdempotentByTransactionIDAndOrdered() throws {
        let store = try IntakeStore()
        #expect(try store.read { try $0.hasUnsentOutbox() } == false)
        let added = try store.write { tx in
            [
                try tx.enqueue(OutboxEntry(txnID: "$e1.0", roomID: "!r:hs", body: "ett", createdAt: now)),
                try tx.enqueue(OutboxEntry(txnID: "$e1.1", roomID: "!r:hs", body: "två", createdAt: now)),
                try tx.enqueue(OutboxEntry(txnID: "$e1.0", roomID: "!r:hs", body: "annat", createdAt: now)),
            ]
        }
        #expect(added == [true, true, false], "a replayed transaction id adds nothing")
        let due = try store.read { try $0.unsentOutbox() }
        #expect(due.map(\.body.plainText) == ["ett", "två"])
        #expect(due.first?.body == RichText(plain: "ett"))

        let first = try #require(due.first?.id)
        try store.write { try $0.markSent(first, remoteID: "$sent", room: "!r:hs", at: now) }
        let second = try #require(due.last?.id)
        try store.write {
            try $0.markAttemptFailed(second, error: "transient: 502", retryAt: now.addingTimeInterval(5), at: now)
        }
        let waiting = try store.read { try $0.unsentOutbox() }
        #expect(waiting.map(\.txnID) == ["$e1.1"], "a failed entry stays, with its retry time")
        #expect(waiting.first?.notBefore == now.addingTimeInterval(5))
        #expect(try store.read { try $0.hasUnsentOutbox() }, "one waits for its retry")
        #expect(try store.read { try $0.nextOutboxRetry() } == now.addingTimeInterval(5))
        let retried = try store.read { try $0.unsentOutbox() }
        #expect(retried.map(\.txnID) == ["$e1.1"])
        #expect(retried.first?.attempts == 1)
        try store.write { try $0.markAttemptFailed(second, error: "forbidden", retryAt: nil, at: now) }
        #expect(try store.read { try $0.unsentOutboxCount() } == 0, "a permanent failure is not retried")
        #expect(try store.read { try $0.hasUnsentOutbox() } == false)
    }

    @Test func anOutboxEntryKeepsItsAttachment() throws {
        let store = try IntakeStore()
        let file = FileAttachment(filename: "data.json", mimeType: "application/json", data: Data("{\"å\":1}".utf8))
        _ = try store.write { tx in
            try tx.enqueue(OutboxEntry(txnID: "$e.0", roomID: "!r:hs", body: "Dina data", attachment: file, createdAt: now))
        }
        let entry = try #require(try store.read { try $0.unsentOutbox() }.first)
        #expect(entry.attachment == file)
        try store.write { try $0.markSent(try #require(entry.id), remoteID: "$x", room: "!r:hs", at: now) }
        #expect(try store.read { try $0.allOutbox() }.first?.attachment == nil, "a sent file is not kept")
    }

    @Test func processedEventsAndCursorLiveInTheSameTransaction() throws {
        let store = try IntakeStore()
        struct Crash: Error {}
        // A failing batch leaves neither the cursor nor the processed marks behind.
        #expect(throws: Crash.self) {
            try store.write { tx in
                try tx.markProcessed("$a", at: now)
                try tx.setValue("s1", for: "matrix.cursor")
                throw Crash()
            }
        }
        #expect(try store.read { try $0.value("matrix.cursor") } == nil)
        #expect(try store.read { try $0.isProcessed("$a") } == false)
        try store.write { tx in
            try tx.markProcessed("$a", at: now)
            try tx.setValue("s1", for: "matrix.cursor")
        }
        #expect(try store.read { try $0.isProcessed("$a") })
        #expect(try store.write { try $0.pruneProcessed(before: now.addingTimeInterval(1)) } == 1)
    }

    @Test func directRoomsMapBothWays() throws {
        let store = try IntakeStore()
        try store.write { tx in
            try tx.setDirectRoom("!dm:hs", for: "@anna:kommun.se", at: now)
            #expect(try tx.directRoom(of: "@anna:kommun.se") == "!dm:hs")
            #expect(try tx.directRoomOwner("!dm:hs") == "@anna:kommun.se")
            try tx.forgetDirectRoom("!dm:hs")
            #expect(try tx.directRoom(of: "@anna:kommun.se") == nil)
        }
    }

    @Test func conversationStateIsStoredPerPerson() throws {
        let store = try IntakeStore()
        try store.write { tx in
            try tx.setConversationState(Data("{\"phase\":1}".utf8), of: "@anna:kommun.se", at: now)
            #expect(try tx.conversationState(of: "@anna:kommun.se") == Data("{\"phase\":1}".utf8))
            try tx.setConversationState(nil, of: "@anna:kommun.se", at: now)
            #expect(try tx.conversationState(of: "@anna:kommun.se") == nil)
        }
    }
}
