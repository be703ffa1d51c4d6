import Chat
import Foundation
import GRDB
import Testing

@testable import Intake
@testable import Store
import Prompts
import GRDB

/// What the outbox keeps (issue 11.4): a sent entry only what exactly-once needs; retention removes old
/// entries; `mina data` lists what is still stored for the person.
@Suite struct OutboxKeepingTests {
    let now = Date(timeIntervalSince1970: 1_790_000_000)
    let anna = UserID("@anna:kommun.se")
    let day: TimeInterval = 86_400

    @Test func aSentEntryKeepsItsTransactionIDRoomRemoteIDAndTimeButNotItsText() throws {
        let store = try IntakeStore()
        let file = FileAttachment(filename: "data.json", mimeType: "application/json", data: Data("{}".utf8))
        try store.write { tx in
            try tx.enqueue(OutboxEntry(txnID: "$e.0", roomID: nil, recipient: anna, body: "Sammanfattning: hissen", createdAt: now))
            try tx.enqueue(OutboxEntry(txnID: "$e.1", roomID: "!r:hs", body: "Dina data", attachment: file, createdAt: now))
        }
        let entries = try store.read { try $0.unsentOutbox() }
        try store.write { tx in
            for entry in entries { try tx.markSent(entry.id!, remoteID: "$remote-\(entry.txnID)", room: "!r:hs", at: now) }
        }
        let sent = try store.read { try $0.allOutbox() }
        #expect(sent.map(\.txnID) == ["$e.0", "$e.1"])
        for entry in sent {
            #expect(entry.body == RichText())
            #expect(entry.attachment == nil && entry.recipient == nil)
            #expect(entry.roomID == "!r:hs" && entry.sentAt == now && entry.remoteID == "$remote-\(entry.txnID)")
        }
        let text = try store.read { tx in
            try String.fetchAll(tx.db, sql: "SELECT CAST(body AS TEXT) FROM outbox").joined()
        }
        #expect(!text.contains("hissen") && !text.contains("Dina data"))
        // Exactly-once still holds: a replayed event adds nothing.
        #expect(try store.write { try $0.enqueue(OutboxEntry(txnID: "$e.0", roomID: "!r:hs", body: "igen", createdAt: now)) } == false)
    }

    @Test func migrationV9EmptiesEntriesSentBefore() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("skav-v9-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("skav.sqlite").path
        let queue = try DatabaseQueue(path: path)
        try Schema.migrator.migrate(queue, upTo: "v6")
        // Rows as version 6 wrote them (its columns only).
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        func body(_ text: String) throws -> String { String(decoding: try encoder.encode(RichText(plain: text)), as: UTF8.self) }
        let sentBody = try body("Kortet: hissen är trasig"), waitingBody = try body("väntar fortfarande")
        try queue.write { db in
            try db.execute(
                sql: """
                    INSERT INTO outbox (txn_id, kind, room_id, recipient, body, style, created_at, attempts, sent_at, remote_id)
                    VALUES ('$old.0', 'message', '!r:hs', ?, ?, 'text', ?, 0, ?, '$remote')
                    """,
                arguments: [anna.rawValue, sentBody, now, now])
            try db.execute(
                sql: """
                    INSERT INTO outbox (txn_id, kind, room_id, body, style, created_at, attempts)
                    VALUES ('$old.1', 'message', '!r:hs', ?, 'text', ?, 0)
                    """,
                arguments: [waitingBody, now])
        }
        try queue.close()
        let store = try IntakeStore(path: path)
        let entries = try store.read { try $0.allOutbox() }
        #expect(entries[0].body == RichText() && entries[0].recipient == nil)
        #expect(entries[0].remoteID == "$remote" && entries[0].sentAt == now && entries[0].roomID == "!r:hs")
        #expect(entries[1].body.plainText == "väntar fortfarande", "what waits is still sent")
    }

    @Test func retentionRemovesOldEntriesButKeepsWhatRepliesAndReplaysNeed() throws {
        let store = try IntakeStore()
        let retention = 90 * day
        let cutoff = now.addingTimeInterval(-retention)
        try store.write { tx in
            func entry(_ txn: String, created: TimeInterval, sent: TimeInterval? = nil, failed: Bool = false) throws {
                var entry = OutboxEntry(txnID: txn, roomID: "!r:hs", body: RichText(plain: "text \(txn)"), createdAt: now.addingTimeInterval(-created * day))
                try tx.enqueue(entry)
                entry = try tx.outboxEntry(txnID: txn)!
                if let sent { try tx.markSent(entry.id!, remoteID: "$\(txn)", room: "!r:hs", at: now.addingTimeInterval(-sent * day)) }
                if failed { try tx.markAttemptFailed(entry.id!, error: "forbidden", retryAt: nil, at: now) }
            }
            try entry("sent-old", created: 100, sent: 100)
            try entry("sent-new", created: 10, sent: 10)
            try entry("announce-open", created: 100, sent: 100)
            try entry("announce-closed", created: 100, sent: 100)
            try entry("waiting-old", created: 91)
            try entry("waiting-new", created: 1)
            try entry("failed-old", created: 95, failed: true)
            try tx.saveCampaign(Campaign(number: 1, title: "Öppen", question: "?", deadline: CivilDate(iso: "2026-12-24")!, openedBy: anna, openedAt: now))
            var closed = Campaign(number: 2, title: "Stängd", question: "?", deadline: CivilDate(iso: "2026-01-24")!, openedBy: anna, openedAt: now)
            closed.closedAt = now
            try tx.saveCampaign(closed)
            try tx.recordCampaignPost(txnID: "announce-open", campaign: 1)
            try tx.recordCampaignPost(txnID: "announce-closed", campaign: 2)
        }
        let outcome = try store.write { try $0.deleteExpiredOutbox(before: cutoff, at: now) }
        #expect(outcome == OutboxRetentionOutcome(sent: 2, undelivered: 2))
        let kept = try store.read { try $0.allOutbox() }.map(\.txnID)
        #expect(kept == ["sent-new", "announce-open", "waiting-new"])
        #expect(try store.read { try $0.campaign(announcedBy: "$announce-open") } == 1)

        // A short retention never drops a sent transaction id younger than the replay window.
        let short = try store.write { try $0.deleteExpiredOutbox(before: now.addingTimeInterval(-2 * day), at: now) }
        #expect(short.sent == 0 && short.undelivered == 0)
        #expect(try store.read { try $0.allOutbox() }.map(\.txnID) == ["sent-new", "announce-open", "waiting-new"])
    }

    /// The retention pass's compaction: long messages sent leave their pages nearly empty (a row emptied in
    /// place is never merged with its neighbours: 200 sent texts of 3 KB kept about 190 pages); rewritten in
    /// passes of a given size they fit in a handful, every entry as it was. A waiting entry younger than an
    /// hour stops the pass before it, an older one is passed by and stays waiting in its lane, and a pass
    /// with nothing new rewrites nothing.
    @Test func compactionFillsThePagesThatLongSentMessagesLeftEmpty() throws {
        let store = try IntakeStore()
        let long = RichText(plain: String(repeating: "Så här fungerar Skav. ", count: 140))
        let usedPages = {
            try store.read { tx in
                try Int.fetchOne(tx.db, sql: "SELECT (SELECT page_count FROM pragma_page_count()) - (SELECT freelist_count FROM pragma_freelist_count())") ?? 0
            }
        }
        let before = try usedPages()
        for batch in 0..<10 {
            try store.write { tx in
                for index in 0..<20 {
                    try tx.enqueue(OutboxEntry(txnID: "long-\(batch)-\(index)", roomID: RoomID("!r\(index):hs"), body: long, createdAt: now, priority: .reply))
                }
                if batch == 4 { try tx.enqueue(OutboxEntry(txnID: "waiting", roomID: "!w:hs", body: long, createdAt: now)) }
            }
            try store.write { tx in
                for index in 0..<20 {
                    let entry = try #require(try tx.outboxEntry(txnID: "long-\(batch)-\(index)"))
                    try tx.markSent(try #require(entry.id), remoteID: "$\(batch)-\(index)", room: RoomID("!r\(index):hs"), at: now)
                }
            }
        }
        let sparse = try usedPages() - before
        #expect(sparse > 150, "the sent entries were expected to leave their pages nearly empty: \(sparse)")
        let entries = try store.read { try $0.allOutbox() }
        // Within the hour of its queueing the waiting entry stops the pass before it (ids 1–100 are the first
        // five batches); later it is passed by, and the rest goes in passes of 64.
        let early = try store.write { try $0.compactSentOutbox(limit: 500, at: now.addingTimeInterval(60)) }
        #expect(early == (100, false))
        #expect(try store.write { try $0.compactSentOutbox(limit: 500, at: now.addingTimeInterval(120)) } == (0, false))
        var passes: [Int] = []
        while true {
            let (count, more) = try store.write { try $0.compactSentOutbox(limit: 64, at: now.addingTimeInterval(7_200)) }
            passes.append(count)
            if !more { break }
        }
        #expect(passes.reduce(0, +) == 100, "\(passes)")
        #expect(passes.count == 2)
        let compact = try usedPages() - before
        #expect(compact < 40, "after the compaction the outbox uses \(compact) more pages (\(sparse) before)")
        #expect(try store.read { try $0.allOutbox() } == entries)
        try store.read { tx in
            let heads = try tx.outboxLaneHeads(limit: 10, dueBy: now)
            #expect(heads.map(\.entry.txnID) == ["waiting"])
            #expect(try tx.together { try Int.fetchOne(tx.db, sql: "SELECT count(*) FROM outbox_lane") } == 1)
        }
        #expect(try store.write { try $0.compactSentOutbox(limit: 64, at: now.addingTimeInterval(7_200)) } == (0, false))
    }

    /// A reply sent takes no entry in the index of remote ids (v19: it is asked only for announcements and
    /// reminders, queued as bulk, and each random server id cost a page of its own); a notice and a bulk
    /// entry do, and the challenge an announcement was for is found by its server id, a reply's never.
    @Test func onlySentEntriesThatAreNotRepliesAreFoundByTheirServerID() throws {
        let store = try IntakeStore()
        try store.write { tx in
            for (txn, priority) in [("reply", OutboxEntry.Priority.reply), ("notice", .notice), ("announce", .bulk)] {
                try tx.enqueue(
                    OutboxEntry(txnID: txn, roomID: "!r:hs", body: RichText(plain: txn), createdAt: now, priority: priority))
                try tx.markSent(try #require(try tx.outboxEntry(txnID: txn)?.id), remoteID: "$\(txn)", room: "!r:hs", at: now)
                try tx.recordCampaignPost(txnID: txn, campaign: 1)
            }
            try tx.saveCampaign(Campaign(number: 1, title: "Öppen", question: "?", deadline: CivilDate(iso: "2026-12-24")!, openedBy: anna, openedAt: now))
        }
        try store.read { tx in
            let indexed = try String.fetchAll(tx.db, sql: "SELECT remote_id FROM outbox INDEXED BY outbox_remote_id WHERE remote_id IS NOT NULL AND priority <> 0 ORDER BY remote_id")
            #expect(indexed == ["$announce", "$notice"])
            #expect(try tx.campaign(announcedBy: "$announce") == 1)
            #expect(try tx.campaign(announcedBy: "$reply") == nil)
            let plan = try Row.fetchAll(
                tx.db, sql: "EXPLAIN QUERY PLAN SELECT id FROM outbox WHERE remote_id = ? AND priority <> 0", arguments: ["$announce"])
                .map { $0["detail"] as String? ?? "" }
            #expect(plan.contains { $0.contains("outbox_remote_id") }, "\(plan)")
        }
    }

    @Test func myDataListsWhatTheOutboxStillHoldsForThePerson() throws {
        let store = try IntakeStore()
        try store.write { tx in
            try tx.setDirectRoom("!dm-anna:hs", for: anna, at: now)
            try tx.enqueue(OutboxEntry(txnID: "a.0", roomID: "!dm-anna:hs", body: "Sammanfattning av utkast 1", createdAt: now))
            try tx.enqueue(OutboxEntry(txnID: "a.1", roomID: nil, recipient: anna, body: "Karin svarar på #1", createdAt: now))
            try tx.enqueue(OutboxEntry(txnID: "a.2", roomID: "!dm-anna:hs", body: "Ett gammalt svar", createdAt: now))
            try tx.enqueue(OutboxEntry(txnID: "b.0", roomID: "!dm-bo:hs", body: "Till Bo", createdAt: now))
            try tx.markSent(try tx.outboxEntry(txnID: "a.2")!.id!, remoteID: "$x", room: "!dm-anna:hs", at: now)
        }
        let data = try store.read { try $0.personalData(of: anna) }
        #expect(data.messages.map(\.text) == ["Sammanfattning av utkast 1", "Karin svarar på #1"])
        #expect(data.messages.allSatisfy { $0.status == "waiting" })
        #expect(data.sentMessages == 1)
        #expect(data.pendingMessages == 2)
    }

    @Test func forgetMeLeavesTheIdInNoOutboxEntryAndOpensNoRoomForIt() throws {
        let store = try IntakeStore()
        let person = UserID("@a/b:kommun.se")
        let file = FileAttachment(filename: "data.json", mimeType: "application/json", data: Data("{}".utf8))
        try store.write { tx in
            try tx.setDirectRoom("!dm-ab:hs", for: person, at: now)
            // To her by recipient: delivered in her room, without the recipient.
            try tx.enqueue(OutboxEntry(txnID: "to-her", roomID: nil, recipient: person, body: "Svar på #1", createdAt: now))
            // Her data as a file, waiting: deleted.
            try tx.enqueue(OutboxEntry(txnID: "file", roomID: "!dm-ab:hs", body: "Dina data", attachment: file, createdAt: now))
            // To Karin, naming her: the pseudonym instead (the id is stored JSON-escaped, `@a\/b`).
            try tx.enqueue(OutboxEntry(txnID: "card", roomID: "!dm-karin:hs", body: "Idégivare: @a/b:kommun.se", createdAt: now))
            // Given up, its error naming her: deleted.
            try tx.enqueue(OutboxEntry(txnID: "failed", roomID: "!dm-karin:hs", body: "x", createdAt: now))
            try tx.markAttemptFailed(try tx.outboxEntry(txnID: "failed")!.id!, error: "cannot invite @a/b:kommun.se", retryAt: nil, at: now)
        }
        // The sender has read "to-her" and is opening a room when she is forgotten.
        let inFlight = try #require(try store.read { try $0.outboxEntry(txnID: "to-her") })
        try store.write { _ = try $0.forgetPerson(person, pseudonym: "anonym-0000abcd", at: now) }
        let entries = try store.read { try $0.allOutbox() }
        #expect(entries.map(\.txnID) == ["to-her", "card"])
        #expect(entries[0].roomID == "!dm-ab:hs" && entries[0].recipient == nil)
        #expect(entries[1].body.plainText == "Idégivare: anonym-0000abcd")
        let opened = try store.write {
            try $0.recordOpenedDirectRoom("!new:hs", for: person, outbox: inFlight.id!, at: now)
        }
        #expect(opened == "!dm-ab:hs", "the room glöm mig pinned it to")
        #expect(try store.read { try $0.directRoomOwner("!new:hs") } == nil)

        // With no room known for her, a waiting entry to her cannot be delivered without a new chat: it goes.
        let other = UserID("@c/d:kommun.se")
        try store.write { tx in
            try tx.enqueue(OutboxEntry(txnID: "no-room", roomID: nil, recipient: other, body: "Hej", createdAt: now))
            _ = try tx.forgetPerson(other, pseudonym: "anonym-0000abce", at: now)
        }
        #expect(try store.read { try $0.outboxEntry(txnID: "no-room") } == nil)
        let stored = try store.read { tx in
            try String.fetchAll(
                tx.db, sql: "SELECT coalesce(CAST(body AS TEXT), '') || coalesce(recipient, '') || coalesce(last_error, '') FROM outbox"
            ).joined()
        }
        for form in ["a/b:kommun.se", "a\\/b:kommun.se", "c/d:kommun.se"] { #expect(!stored.contains(form)) }
    }

    @Test func forgetMeLeavesTheIdInNoDigestRequest() throws {
        let store = try IntakeStore()
        let ia = UserID("@ia/x:kommun.se")
        try store.write { tx in
            try tx.setDirectRoom("!dm-ia:hs", for: ia, at: now)
            for (key, room, recipient, done) in [
                ("in-room", "!coordinators:hs", nil, true), ("to-her", nil, ia.rawValue, false),
                ("sent-to-her", nil, ia.rawValue, true),
            ] as [(String, String?, String?, Bool)] {
                try tx.db.execute(
                    sql: """
                        INSERT INTO digest_request (key, requested_by, room_id, recipient, requested_at, done_at)
                        VALUES (?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [key, ia.rawValue, room, recipient, now, done ? now : nil])
            }
            _ = try tx.forgetPerson(ia, pseudonym: "anonym-0000abcf", at: now)
        }
        let rows = try store.read { tx in
            try Row.fetchAll(tx.db, sql: "SELECT key, requested_by, room_id, recipient FROM digest_request ORDER BY key")
        }
        #expect(rows.count == 3)
        for row in rows {
            #expect(row["requested_by"] as String == "anonym-0000abcf")
            #expect((row["recipient"] as String?) == nil)
        }
        #expect(rows.first { $0["key"] == "to-her" }?["room_id"] == "!dm-ia:hs", "still sent, in her chat")
    }
}
