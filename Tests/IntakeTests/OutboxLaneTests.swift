import Chat
import Foundation
import GRDB
import GRDBSQLite
import Testing

@testable import Store

/// The lanes the store keeps for the sender (`outbox_lane`, schema v16): whatever changes the outbox, the
/// table holds what grouping the unsent entries would give, and reading a round's lanes does not grow with
/// the entries waiting.
@Suite struct OutboxLaneTests {
    let now = Date(timeIntervalSince1970: 1_790_000_000)
    let rooms: [RoomID] = ["!a:hs", "!b:hs", "!c:hs", "!d:hs"]
    let people: [UserID] = ["@anna:hs", "@bo:hs", "@cecilia:hs"]

    /// A lane as the table holds it, or as grouping the unsent entries gives it.
    struct Lane: Equatable, CustomStringConvertible {
        let key: String
        let head: Int64
        let priority: Int
        let notBefore: String?
        var description: String { "\(key) head \(head) p\(priority) \(notBefore ?? "-")" }
    }

    func keptLanes(_ tx: IntakeTransaction) throws -> [Lane] {
        try Row.fetchAll(tx.db, sql: "SELECT lane, head, priority, not_before FROM outbox_lane ORDER BY lane").map {
            Lane(key: $0[0], head: $0[1], priority: $0[2], notBefore: $0[3])
        }
    }

    /// What `body` returns, and how many steps of SQLite's machine it took on the transaction's connection.
    func steps<T>(of tx: IntakeTransaction, _ body: () throws -> T) throws -> (result: T, steps: Int) {
        let counter = UnsafeMutablePointer<Int>.allocate(capacity: 1)
        defer { counter.deallocate() }
        counter.pointee = 0
        sqlite3_progress_handler(tx.db.sqliteConnection, 1, { context in
            context?.assumingMemoryBound(to: Int.self).pointee += 1
            return 0
        }, counter)
        defer { sqlite3_progress_handler(tx.db.sqliteConnection, 0, nil, nil) }
        let result = try body()
        return (result, counter.pointee)
    }

    /// Each lane's counts of unsent entries by priority, as kept and as counted from the outbox.
    func keptCounts(_ tx: IntakeTransaction) throws -> [String: [Int]] {
        var counts: [String: [Int]] = [:]
        for row in try Row.fetchAll(tx.db, sql: "SELECT lane, n0, n1, n2 FROM outbox_lane") { counts[row[0]] = [row[1], row[2], row[3]] }
        return counts
    }

    func groupedCounts(_ tx: IntakeTransaction) throws -> [String: [Int]] {
        var counts: [String: [Int]] = [:]
        let sql = """
            SELECT coalesce(room_id, '@' || coalesce(recipient, '')), priority, count(*) FROM outbox
            WHERE sent_at IS NULL AND failed_at IS NULL GROUP BY 1, 2
            """
        for row in try Row.fetchAll(tx.db, sql: sql) {
            let priority: Int = row[1]
            counts[row[0], default: [0, 0, 0]][(0...2).contains(priority) ? priority : 1] += row[2] as Int
        }
        return counts
    }

    /// The lanes recomputed from the outbox itself, as the sender's query did before the table.
    func groupedLanes(_ tx: IntakeTransaction) throws -> [Lane] {
        try Row.fetchAll(
            tx.db,
            sql: """
                WITH lane AS (
                    SELECT coalesce(room_id, '@' || coalesce(recipient, '')) AS key, MIN(id) AS head, MIN(priority) AS priority
                    FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL GROUP BY key)
                SELECT lane.key, lane.head, lane.priority, \(Schema.clampedTime("outbox.not_before"))
                FROM lane JOIN outbox ON outbox.id = lane.head ORDER BY lane.key
                """
        ).map { Lane(key: $0[0], head: $0[1], priority: $0[2], notBefore: $0[3]) }
    }

    /// Seeded random changes of every kind the bot makes (and a few only an operator or an old build
    /// makes): after each, the kept lanes are the grouped ones, and the sender's round reads them in order.
    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func theKeptLanesAreAlwaysTheUnsentEntriesGrouped(seed: UInt64) throws {
        let store = try IntakeStore()
        var random = SplitMix64(seed: seed)
        func pick<T>(_ values: [T]) -> T { values[Int(random.next() % UInt64(values.count))] }
        var serial = 0
        for step in 0..<400 {
            let moment = now.addingTimeInterval(Double(step))
            try store.write { tx in
                let unsent = try Int64.fetchAll(tx.db, sql: "SELECT id FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL")
                let any = try Int64.fetchAll(tx.db, sql: "SELECT id FROM outbox")
                let choice = unsent.isEmpty ? 0 : random.next() % 13
                switch choice {
                case 0, 1, 2, 3:
                    serial += 1
                    let room: RoomID? = random.next() % 3 == 0 ? nil : pick(rooms)
                    let recipient: UserID? = room == nil || random.next() % 2 == 0 ? pick(people) : nil
                    try tx.enqueue(
                        OutboxEntry(
                            txnID: "t\(serial)", roomID: room, recipient: recipient, body: RichText(plain: "m\(serial)"), createdAt: moment,
                            priority: pick([.reply, .notice, .bulk])))
                case 4, 5:
                    try tx.markSent(pick(unsent), remoteID: "$s\(step)", room: pick(rooms), at: moment)
                case 6:
                    let retry: Date? = random.next() % 4 == 0 ? nil : moment.addingTimeInterval(Double(random.next() % 60) - 20)
                    try tx.markAttemptFailed(pick(unsent), error: "502", retryAt: retry, at: moment)
                case 7:
                    try tx.setOutboxRoom(pick(unsent), room: pick(rooms))
                case 8:
                    try tx.handBackWaitingMessages(in: pick(rooms), to: pick(people))
                case 9:
                    try tx.rescheduleOutbox(pick(unsent), notBefore: moment.addingTimeInterval(Double(random.next() % 30)))
                case 10:
                    try tx.db.execute(sql: "DELETE FROM outbox WHERE id = ?", arguments: [pick(any)])
                case 11:
                    // An operator's retry of a given-up (or sent) entry, or an old build's absurd retry time.
                    try tx.db.execute(
                        sql: "UPDATE outbox SET failed_at = NULL, sent_at = CASE WHEN ? THEN NULL ELSE sent_at END, not_before = ? WHERE id = ?",
                        arguments: [
                            random.next() % 2 == 0, pick([nil, "99999-01-01 00:00:00", "soon", 12] as [DatabaseValueConvertible?]),
                            pick(any),
                        ])
                default:
                    try tx.db.execute(
                        sql: "UPDATE outbox SET priority = ? WHERE id = ?", arguments: [Int(random.next() % 3), pick(unsent)])
                }
            }
            try store.read { tx in
                let kept = try keptLanes(tx)
                // The first difference says enough: the test stops there.
                try #require(kept == (try groupedLanes(tx)), "seed \(seed), step \(step)")
                try #require(try keptCounts(tx) == (try groupedCounts(tx)), "seed \(seed), step \(step)")
                let expected = kept.sorted {
                    let waiting = ($0.notBefore ?? "") > StoredDate.text(moment), otherWaiting = ($1.notBefore ?? "") > StoredDate.text(moment)
                    return (waiting ? 1 : 0, $0.priority, $0.head) < (otherWaiting ? 1 : 0, $1.priority, $1.head)
                }
                let heads = try tx.outboxLaneHeads(limit: 100, dueBy: moment)
                try #require(heads.map(\.entry.id) == expected.map(\.head), "seed \(seed), step \(step)")
                #expect(heads.map(\.lanePriority.rawValue) == expected.map(\.priority))
                // The sender's lanes in flight left out: the others, in the same order.
                let excluded = Set(kept.map(\.head).filter { $0 % 3 == Int64(step % 3) })
                let others = try tx.outboxLaneHeads(limit: 100, dueBy: moment, excluding: excluded)
                try #require(others.map(\.entry.id) == expected.map(\.head).filter { !excluded.contains($0) })
                // A small limit cuts each of the read's parts: the due lanes still come first, all of them
                // while they fit; in the full order unless more lanes of one priority had a retry time than
                // the limit (those are cut by retry time, not age).
                let limit = 1 + step % 3
                let few = try tx.outboxLaneHeads(limit: limit, dueBy: moment).map(\.entry.id)
                let due = expected.filter { ($0.notBefore ?? "") <= StoredDate.text(moment) }
                try #require(few.count == min(limit, expected.count), "seed \(seed), step \(step)")
                let cutByRetryTime = (0...2).contains { priority in
                    kept.filter { $0.notBefore != nil && $0.priority == priority }.count > limit
                }
                if due.count >= limit {
                    try #require(Set(few).isSubset(of: due.map(\.head)), "seed \(seed), step \(step): \(few) of \(due)")
                } else {
                    try #require(Array(few.prefix(due.count)) == due.map(\.head), "seed \(seed), step \(step)")
                }
                if !cutByRetryTime {
                    try #require(few == expected.prefix(limit).map(\.head), "seed \(seed), step \(step)")
                }
                #expect(try tx.hasUnsentOutbox() == !kept.isEmpty)
            }
        }
    }

    /// A database from v15 with entries waiting gets its lanes at the migration.
    @Test func aDatabaseFromV15GetsTheLanesOfWhatWaits() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("skav-v15-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("skav.sqlite").path
        let queue = try DatabaseQueue(path: path)
        try Schema.migrator.migrate(queue, upTo: "v15")
        try queue.write { db in
            let rows: [(String?, String?, Int, String?, String?)] = [
                ("!a:hs", nil, 2, nil, nil), ("!a:hs", nil, 0, nil, nil), (nil, "@anna:hs", 1, "2030-01-01 00:00:00.000", nil),
                ("!b:hs", nil, 1, "absurd", nil), ("!c:hs", nil, 0, nil, "2026-01-01 00:00:00.000"),
            ]
            for (index, (room, recipient, priority, notBefore, sentAt)) in rows.enumerated() {
                try db.execute(
                    sql: """
                        INSERT INTO outbox (txn_id, room_id, recipient, priority, not_before, sent_at, body, style, created_at)
                        VALUES (?, ?, ?, ?, ?, ?, '{}', 'plain', '2026-01-01 00:00:00.000')
                        """,
                    arguments: ["t\(index)", room, recipient, priority, notBefore, sentAt])
            }
        }
        try queue.close()
        let store = try IntakeStore(path: path)
        let lanes = try store.read { try keptLanes($0) }
        #expect(
            lanes == [
                Lane(key: "!a:hs", head: 1, priority: 0, notBefore: nil),
                Lane(key: "!b:hs", head: 4, priority: 1, notBefore: "9999-12-31 23:59:59.000"),
                Lane(key: "@@anna:hs", head: 3, priority: 1, notBefore: "2030-01-01 00:00:00.000"),
            ])
        // v17 counts what waits in each lane by priority.
        #expect(try store.read { try keptCounts($0) } == ["!a:hs": [1, 0, 1], "!b:hs": [0, 1, 0], "@@anna:hs": [0, 1, 0]])
        // Its reply sent, the room's bulk entry left first keeps it, at bulk's priority.
        try store.write { tx in try tx.markSent(2, remoteID: "$2", room: "!a:hs", at: now) }
        #expect(try store.read { try keptLanes($0).first } == Lane(key: "!a:hs", head: 1, priority: 2, notBefore: nil))
    }

    /// The sender's reads keep the last few bodies they read, across reads (`StoredTextMemo`): the same text
    /// in many rooms, and texts that alternate, come back each as written, whichever read sees them first; a
    /// body not in the written form is read as before.
    @Test func bodiesReadAgainAcrossReadsAreEachTheirOwn() throws {
        let store = try IntakeStore()
        let texts: [RichText] = [
            "Hjälp: skriv din idé", RichText([.strong("fet"), .text(" och "), .link(text: "länk", url: "https://example.org")]),
            "ett", "",
        ]
        try store.write { tx in
            for index in 0..<40 {
                try tx.enqueue(OutboxEntry(txnID: "t\(index)", roomID: RoomID("!r\(index):hs"), body: texts[index % texts.count], createdAt: now))
            }
            // A body stored by hand as text GRDB's JSON would read (not in the written form).
            try tx.db.execute(sql: "UPDATE outbox SET body = CAST(? AS TEXT) WHERE txn_id = 't39'", arguments: [#"{"spans" : [{"text":{"_0":"hand"}}]}"#])
        }
        var seen: [String: RichText] = [:]
        for _ in 0..<8 {
            let heads = try store.write { tx -> [OutboxEntry] in
                let heads = try tx.outboxLaneHeads(limit: 5, dueBy: now).map(\.entry)
                for head in heads { try tx.markSent(head.id ?? 0, remoteID: "$\(head.txnID)", room: head.roomID ?? RoomID(""), at: now) }
                return heads
            }
            for head in heads { seen[head.txnID] = head.body }
        }
        #expect(seen.count == 40)
        for index in 0..<39 { #expect(seen["t\(index)"] == texts[index % texts.count], "t\(index)") }
        #expect(seen["t39"] == "hand")
    }

    /// Marking an entry sent takes about as many steps of SQLite's machine with 100 entries waiting in its
    /// room as with 4,000: the lane's priority comes from its counts, its first entry from an index seek.
    /// (Before the counts, a lane's priority was read from every one of its entries: each send in a room
    /// with thousands queued cost more the more waited behind it.)
    @Test func sendingFromABigRoomDoesNotGrowWithWhatWaitsBehind() throws {
        let store = try IntakeStore()
        func fill(_ range: Range<Int>) throws {
            try store.write { tx in
                for index in range {
                    try tx.enqueue(
                        OutboxEntry(
                            txnID: "t\(index)", roomID: "!big:hs", body: "ett", createdAt: now,
                            priority: index % 3 == 0 ? .reply : .bulk))
                }
            }
        }
        func stepsToSendTen() throws -> Int {
            try store.write { tx in
                let heads = try Int64.fetchAll(
                    tx.db, sql: "SELECT id FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL ORDER BY id LIMIT 10")
                return try self.steps(of: tx) {
                    for id in heads { try tx.markSent(id, remoteID: "$\(id)", room: "!big:hs", at: now) }
                }.steps
            }
        }
        try fill(0..<100)
        let few = try stepsToSendTen()
        try fill(100..<4_000)
        let many = try stepsToSendTen()
        #expect(many < few * 2, "\(few) steps with 100 entries in the room, \(many) with 4,000")
        let lane = try store.read { try keptLanes($0) }
        #expect(lane == [Lane(key: "!big:hs", head: 21, priority: 0, notBefore: nil)])
        #expect(try store.read { try keptCounts($0) } == ["!big:hs": [1_327, 0, 2_653]])
    }

    /// The sender's read takes about as many steps of SQLite's machine with 100 entries waiting as with
    /// 6,000 (a fifth of them waiting for a retry, and 40 lanes left out as in flight): it reads from the
    /// lanes' indexes, never every unsent entry; and none of its statements sorts or makes a temporary table
    /// (one statement that merged the parts in SQL opened six temporary B-trees a read). 2,186 and 3,148
    /// steps when written.
    @Test func theSendersReadDoesNotGrowWithTheEntriesWaiting() throws {
        let store = try IntakeStore()
        func steps(excluding: [Int64]) throws -> Int {
            try store.read { tx in
                let (heads, count) = try self.steps(of: tx) { try tx.outboxLaneHeads(limit: 36, dueBy: now, excluding: excluding) }
                #expect(heads.count == 36)
                #expect(Set(heads.compactMap(\.entry.id)).isDisjoint(with: excluding))
                return count
            }
        }
        func fill(_ range: Range<Int>) throws {
            try store.write { tx in
                for index in range {
                    let id = try #require(
                        try tx.enqueue(
                            OutboxEntry(
                                txnID: "t\(index)", roomID: RoomID(rawValue: "!r\(index):hs"), body: "ett", createdAt: now,
                                priority: index % 3 == 0 ? .bulk : .notice)) ? tx.db.lastInsertedRowID : nil)
                    if index % 5 == 0 {
                        try tx.markAttemptFailed(id, error: "429", retryAt: now.addingTimeInterval(Double(index % 7) - 3), at: now)
                    }
                }
            }
        }
        try fill(0..<100)
        let inFlight = try store.read { tx in try tx.outboxLaneHeads(limit: 40, dueBy: now).compactMap(\.entry.id) }
        let few = try steps(excluding: inFlight)
        try fill(100..<6_000)
        let many = try steps(excluding: inFlight)
        #expect(many < few * 2, "\(few) steps with 100 entries, \(many) with 6,000")
        for sql in [IntakeTransaction.readyLanesSQL, IntakeTransaction.anyRetryLaneSQL, IntakeTransaction.retryLanesSQL, IntakeTransaction.laneHeadSQL] {
            let plan = try store.read { tx in
                try Row.fetchAll(tx.db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: StatementArguments(Array(repeating: 1, count: sql.filter { $0 == "?" }.count))).map { $0["detail"] as String }
            }
            #expect(!plan.contains { $0.contains("TEMP B-TREE") || $0.contains("MATERIALIZE") }, "\(sql): \(plan)")
            #expect(!plan.contains { $0.hasPrefix("SCAN outbox") && !$0.contains("USING") }, "\(sql): \(plan)")
        }
    }

    /// What waits is found without reading what was sent: the hand-back of a room's waiting messages, a
    /// person's export of their waiting and given-up messages, the list and count of unsent entries and
    /// retention take about as many steps of SQLite's machine with 100 sent entries kept as with 6,000
    /// (since v18 the sent and given-up entries have an index of their own, `outbox_done`, and the unsent
    /// ones are read through `outbox_by_lane`). What each finds is checked as well.
    @Test func whatWaitsIsFoundWithoutReadingWhatWasSent() throws {
        let store = try IntakeStore()
        let person = UserID(rawValue: "@anna:hs")
        let rooms = [RoomID(rawValue: "!a:hs"), RoomID(rawValue: "!b:hs")]
        try store.write { tx in
            for room in rooms {
                try tx.db.execute(
                    sql: "INSERT INTO direct_room (room_id, user_id, created_at) VALUES (?, ?, ?)",
                    arguments: [room.rawValue, person.rawValue, StoredDate.text(now)])
            }
            // Even entries are Anna's (in her two chats), odd ones someone else's; every tenth is given up.
            for index in 0..<100 {
                let room = index % 2 == 1 ? RoomID(rawValue: "!r\(index):hs") : rooms[index % 4 == 0 ? 0 : 1]
                let id = try #require(
                    try tx.enqueue(OutboxEntry(txnID: "w\(index)", roomID: room, body: "väntar", createdAt: now))
                        ? tx.db.lastInsertedRowID : nil)
                if index % 10 == 0 { try tx.markAttemptFailed(id, error: "404", retryAt: nil, at: now) }
            }
        }
        func send(_ range: Range<Int>) throws {
            try store.write { tx in
                for index in range {
                    let id = try #require(
                        try tx.enqueue(OutboxEntry(txnID: "s\(index)", roomID: rooms[0], body: "skickat", createdAt: now))
                            ? tx.db.lastInsertedRowID : nil)
                    try tx.markSent(id, remoteID: "$s\(index)", room: rooms[0], at: now)
                }
            }
        }
        func steps(handingBack room: RoomID, moved: Int) throws -> [String: Int] {
            var counted: [String: Int] = [:]
            try store.read { tx in
                let export = try self.steps(of: tx) { try tx.storedMessages(for: person) }
                #expect(export.result.count == 50)
                #expect(export.result.filter { $0.status == "failed" }.count == 10)
                let list = try self.steps(of: tx) { try tx.unsentOutbox(limit: 500) }
                #expect(list.result.count == 90)
                let count = try self.steps(of: tx) { try tx.unsentOutboxCount() }
                #expect(count.result == 90)
                counted["export"] = export.steps
                counted["list"] = list.steps
                counted["count"] = count.steps
            }
            try store.write { tx in
                let retention = try self.steps(of: tx) { try tx.deleteExpiredOutbox(before: now.addingTimeInterval(-1), at: now) }
                #expect(retention.result == OutboxRetentionOutcome(sent: 0, undelivered: 0))
                counted["retention"] = retention.steps
                counted["hand-back"] = try self.steps(of: tx) { try tx.handBackWaitingMessages(in: room, to: person) }.steps
                let handedBack = try Int.fetchOne(
                    tx.db, sql: "SELECT count(*) FROM outbox WHERE room_id IS NULL AND recipient = ?", arguments: [person.rawValue])
                #expect(handedBack == moved)
            }
            return counted
        }
        try send(0..<100)
        let few = try steps(handingBack: rooms[0], moved: 20)
        try send(100..<6_000)
        let many = try steps(handingBack: rooms[1], moved: 40)
        #expect(few.count == 5)
        for (name, count) in few {
            let more = try #require(many[name])
            #expect(more < count * 2, "\(name): \(count) steps with 100 sent entries, \(more) with 6,000")
        }
    }
}
