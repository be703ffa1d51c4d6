import Chat
import Foundation
import GRDB
import Intake
import Synchronization
import SkavTesting
import Testing
import Prompts
@testable import Store

@testable import SkavBot

/// The sender's order: replies before notices before bulk, rooms in parallel, order kept within a room.
@Suite struct DeliveryTests {
    let start = EngineHarness.start

    /// A server that takes `delay` per send and records what was in flight.
    final class SlowChat: ChatService {
        struct State {
            /// Sends (by count, from 1) answered with 429.
            var limitedSends: Set<Int> = []
            var calls = 0
            var sentAt: [String: ContinuousClock.Instant] = [:]
            var sent: [OutgoingMessage] = []
            var inFlight: [RoomID] = []
            var maxInFlight = 0
            var sameRoomAtOnce = false
            /// Rooms whose sends take an hour (until cancelled) instead of `delay`.
            var slowRooms: Set<RoomID> = []
        }
        let kind = ChatKind.matrix
        let capabilities = ChatCapabilities(maxMessageBytes: 60_000, markup: .html)
        let state = Mutex(State())
        let delay: Duration

        init(delay: Duration) { self.delay = delay }

        func connect() async throws -> UserID { "@skav:kommun.se" }
        func poll(cursor: String?) async throws -> ChatBatch { ChatBatch(events: [], cursor: cursor ?? "") }
        func send(_ message: OutgoingMessage) async throws -> SentMessage {
            let limited = state.withLock { state -> Bool in
                state.calls += 1
                return state.limitedSends.contains(state.calls)
            }
            if limited { throw ChatError(.rateLimited, "429", retryAfter: .milliseconds(100)) }
            state.withLock { state in
                if state.inFlight.contains(message.room) { state.sameRoomAtOnce = true }
                state.inFlight.append(message.room)
                state.maxInFlight = max(state.maxInFlight, state.inFlight.count)
            }
            let slow = state.withLock { $0.slowRooms.contains(message.room) }
            try await Task.sleep(for: slow ? .seconds(3_600) : delay)
            return state.withLock { state in
                state.inFlight.removeAll { $0 == message.room }
                state.sent.append(message)
                state.sentAt[message.txnID] = ContinuousClock.now
                return SentMessage(remoteID: "$\(state.sent.count)")
            }
        }
        func join(_ room: RoomID) async throws {}
        func leave(_ room: RoomID) async throws {}
        func openDirectRoom(with user: UserID) async throws -> RoomID { RoomID("!dm-\(user.rawValue)") }
    }

    func enqueue(_ store: IntakeStore, _ entries: [(txn: String, room: String, priority: OutboxEntry.Priority)]) async throws {
        let start = self.start
        try await store.write { tx in
            for entry in entries {
                try tx.enqueue(
                    OutboxEntry(
                        txnID: entry.txn, roomID: RoomID(entry.room), body: RichText(plain: entry.txn), createdAt: start,
                        priority: entry.priority))
            }
        }
    }

    /// Drains the outbox through a chat that takes `delay` per send: the transaction ids in the order sent.
    func sentOrder(_ store: IntakeStore, delay: Duration, parallelSends: Int) async throws -> [String] {
        let chat = SlowChat(delay: delay)
        let sender = OutboxSender(store: store, chat: chat, wake: WakeSignal(), logger: quietLogger, parallelSends: parallelSends)
        try await sender.drain()
        return chat.state.withLock { $0.sent.map(\.txnID) }
    }

    @Test func aReplyNeverWaitsBehindBulk() async throws {
        let store = try IntakeStore()
        // An announcement to 40 people is queued first; then someone writes and gets a reply.
        try await enqueue(store, (0..<40).map { ("announce.\($0)", "!follower\($0)", .bulk) })
        try await enqueue(store, [("reply.0", "!anna", .reply), ("notice.0", "!bo", .notice)])
        let order = try await sentOrder(store, delay: .milliseconds(5), parallelSends: 2)
        #expect(order.count == 42, "bulk still finishes")
        #expect(Array(order.prefix(2)).sorted() == ["notice.0", "reply.0"] || order.first == "reply.0")
        #expect(order.firstIndex(of: "reply.0")! < 2, "the reply goes out among the first sends: \(order.prefix(4))")
        #expect(order.firstIndex(of: "notice.0")! < order.firstIndex(of: "announce.0")!)
    }

    @Test func roomsGoInParallelAndEachRoomKeepsItsOrder() async throws {
        let store = try IntakeStore()
        var entries: [(txn: String, room: String, priority: OutboxEntry.Priority)] = []
        for index in 0..<5 {
            for room in ["!a", "!b", "!c", "!d"] { entries.append(("\(room).\(index)", room, .notice)) }
        }
        try await enqueue(store, entries)
        let chat = SlowChat(delay: .milliseconds(20))
        let sender = OutboxSender(store: store, chat: chat, wake: WakeSignal(), logger: quietLogger, parallelSends: 3)
        try await sender.drain()
        let state = chat.state.withLock { $0 }
        #expect(state.sent.count == 20)
        #expect(state.maxInFlight == 3, "three sends at once")
        #expect(!state.sameRoomAtOnce, "never two sends to one room at once")
        for room in ["!a", "!b", "!c", "!d"] {
            let inRoom = state.sent.filter { $0.room == RoomID(room) }.map(\.txnID)
            #expect(inRoom == (0..<5).map { "\(room).\($0)" }, "order within \(room)")
        }
    }

    @Test func aReplyBehindBulkInItsOwnRoomKeepsTheRoomsOrderButJumpsOtherRooms() async throws {
        let store = try IntakeStore()
        try await enqueue(store, (0..<20).map { ("announce.\($0)", "!follower\($0)", .bulk) })
        // Anna's own room: a reminder queued before her reply must still come first, in her room.
        try await enqueue(store, [("nudge.anna", "!anna", .bulk), ("reply.anna", "!anna", .reply)])
        let order = try await sentOrder(store, delay: .milliseconds(2), parallelSends: 1)
        // Anna's room keeps its order, and her reply comes in the next round, long before the 20 other rooms.
        let nudge = try #require(order.firstIndex(of: "nudge.anna"))
        let reply = try #require(order.firstIndex(of: "reply.anna"))
        #expect(nudge == 0 && nudge < reply && reply <= 4, "\(order.prefix(6))")
    }

    /// Rows that cannot be read as entries (a damaged or hand-edited database: an unknown priority, kind or
    /// style, a body that is not JSON, a date that is not one) are given up with the reason kept, and
    /// everything else still goes out, the entries behind them in their rooms too, in one drain.
    @Test func anUnreadableRowIsGivenUpAndEveryOtherEntryStillGoesOut() async throws {
        let store = try IntakeStore()
        try await enqueue(store, [
            ("bad.priority", "!anna", .reply), ("anna.after", "!anna", .reply),
            ("bad.kind", "!bo", .notice), ("bad.style", "!cia", .notice), ("bad.body", "!dan", .bulk),
            ("bad.date", "!eva", .reply), ("eva.after", "!eva", .notice),
            ("fine", "!fia", .reply),
        ])
        try await store.write { tx in
            try tx.db.execute(sql: "UPDATE outbox SET priority = 7 WHERE txn_id = 'bad.priority'")
            try tx.db.execute(sql: "UPDATE outbox SET kind = 'telegram' WHERE txn_id = 'bad.kind'")
            try tx.db.execute(sql: "UPDATE outbox SET style = 'shouting' WHERE txn_id = 'bad.style'")
            try tx.db.execute(sql: "UPDATE outbox SET body = x'7b7b7b' WHERE txn_id = 'bad.body'")
            try tx.db.execute(sql: "UPDATE outbox SET created_at = 'igår' WHERE txn_id = 'bad.date'")
        }
        let order = try await sentOrder(store, delay: .milliseconds(1), parallelSends: 2)
        #expect(Set(order) == ["anna.after", "eva.after", "fine"], "\(order)")
        let given = try await store.read { tx in
            try Row.fetchAll(tx.db, sql: "SELECT txn_id, last_error FROM outbox WHERE failed_at IS NOT NULL ORDER BY id")
                .map { row -> (txn: String, error: String) in ((row["txn_id"] as String?) ?? "", (row["last_error"] as String?) ?? "") }
        }
        #expect(given.map(\.txn) == ["bad.priority", "bad.kind", "bad.style", "bad.body", "bad.date"])
        #expect(given.allSatisfy { $0.error.hasPrefix("unreadable: ") }, "\(given)")
        #expect(try await store.read { try $0.hasUnsentOutbox() } == false)
        // The form that throws still says what is wrong with a row.
        try await enqueue(store, [("bad.again", "!gus", .reply)])
        try await store.write { try $0.db.execute(sql: "UPDATE outbox SET priority = -1 WHERE txn_id = 'bad.again'") }
        await #expect(throws: IntakeError.self) { try await store.read { try $0.outboxLaneHeads(limit: 5, dueBy: Date()) } }
    }

    /// A lane that names an entry already sent (only a hand could leave one so): that entry is never sent
    /// again, the lane is set again from what waits in its room, and that goes out.
    @Test func aLaneNamingASentEntryNeverSendsItAgain() async throws {
        let store = try IntakeStore()
        try await enqueue(store, [("first", "!anna", .reply), ("second", "!anna", .notice), ("alone", "!bo", .reply)])
        try await store.write { tx in
            let first = try Int64.fetchOne(tx.db, sql: "SELECT id FROM outbox WHERE txn_id = 'first'")
            let alone = try Int64.fetchOne(tx.db, sql: "SELECT id FROM outbox WHERE txn_id = 'alone'")
            try tx.markSent(try #require(first), remoteID: "$1", room: "!anna", at: start)
            try tx.markSent(try #require(alone), remoteID: "$2", room: "!bo", at: start)
            // A hand puts the lanes back as they were before the sends.
            try tx.db.execute(sql: "INSERT INTO outbox_lane (lane, head, priority, n0) VALUES ('!anna', ?, 0, 1), ('!bo', ?, 0, 1) ON CONFLICT (lane) DO UPDATE SET head = excluded.head, priority = 0", arguments: [first, alone])
        }
        let order = try await sentOrder(store, delay: .milliseconds(1), parallelSends: 4)
        #expect(order == ["second"])
        #expect(try await store.read { try $0.hasUnsentOutbox() } == false)
    }

    /// The send slots are refilled as sends end and when something new is queued, not in rounds: a reply
    /// queued while slow announcement sends are in flight goes out in a free slot at once, without waiting for
    /// them; and the rooms whose sends ended go on meanwhile.
    @Test func aReplyQueuedWhileSlowBulkSendsAreInFlightGoesOutAtOnce() async throws {
        let store = try IntakeStore()
        let chat = SlowChat(delay: .milliseconds(1))
        chat.state.withLock { $0.slowRooms = ["!slow0", "!slow1"] }
        let wake = WakeSignal()
        let sender = OutboxSender(store: store, chat: chat, wake: wake, logger: quietLogger, parallelSends: 4)
        try await enqueue(
            store, [("announce.slow0", "!slow0", .bulk), ("announce.slow1", "!slow1", .bulk)]
                + (0..<6).map { ("announce.\($0)", "!follower\($0)", .bulk) })
        let drain = Task { _ = try await sender.drain() }
        try await waitUntil("the quick rooms' announcements sent past the two slow ones", timeout: .seconds(60)) {
            chat.state.withLock { $0.sent.count == 6 && $0.inFlight.count == 2 }
        }
        try await enqueue(store, [("reply.anna", "!anna", .reply)])
        wake.wake()
        try await waitUntil("the reply sent while the slow sends are still in flight", timeout: .seconds(60)) {
            chat.state.withLock { $0.sent.map(\.txnID).contains("reply.anna") }
        }
        #expect(chat.state.withLock { $0.inFlight.count } == 2, "the slow sends are still in flight")
        drain.cancel()
        _ = try? await drain.value
        let unsent = try await store.read { try $0.unsentOutbox().map(\.txnID) }
        #expect(Set(unsent) == ["announce.slow0", "announce.slow1"], "what was sent is recorded, the slow ones are not")
    }

    /// With every slot held by slow announcement sends, a person's second reply, queued after the first went
    /// out but before that send was recorded, goes at once: the engine's wake makes the sender record first.
    @Test func aSecondReplyBehindAnUnrecordedFirstGoesOutOnTheWake() async throws {
        let store = try IntakeStore()
        let chat = SlowChat(delay: .milliseconds(1))
        let followers = (0..<40).map { RoomID("!follower\($0)") }
        chat.state.withLock { $0.slowRooms = Set(followers) }
        let wake = WakeSignal()
        let sender = OutboxSender(store: store, chat: chat, wake: wake, logger: quietLogger, parallelSends: 8)
        try await enqueue(store, [("reply.anna.1", "!anna", .reply)] + followers.map { ("announce.\($0.rawValue)", $0.rawValue, .bulk) })
        let drain = Task { _ = try await sender.drain() }
        try await waitUntil("the first reply sent, seven slow announcement sends in flight", timeout: .seconds(60)) {
            chat.state.withLock { $0.sent.map(\.txnID) == ["reply.anna.1"] && $0.inFlight.count == 7 }
        }
        try await enqueue(store, [("reply.anna.2", "!anna", .reply)])
        wake.wake()
        try await waitUntil("the second reply sent while the announcement's sends still hang", timeout: .seconds(60)) {
            chat.state.withLock { $0.sent.map(\.txnID) } == ["reply.anna.1", "reply.anna.2"]
        }
        drain.cancel()
        _ = try? await drain.value
        let unsent = try await store.read { try $0.unsentOutbox(limit: 100).map(\.txnID) }
        #expect(!unsent.contains("reply.anna.1") && !unsent.contains("reply.anna.2"), "both recorded as sent")
    }

    @Test func bulkSlowsDownAfterA429AndRepliesAreNotHeldByIt() async throws {
        let store = try IntakeStore()
        try await enqueue(store, (0..<6).map { ("announce.\($0)", "!follower\($0)", .bulk) })
        let chat = SlowChat(delay: .milliseconds(1))
        chat.state.withLock { $0.limitedSends = [2] }
        let sender = OutboxSender(store: store, chat: chat, wake: WakeSignal(), logger: quietLogger, parallelSends: 1)
        try await sender.drain()
        // The 429 taught a pace: the bulk sends after it are at least about the first interval apart.
        let sentAt = chat.state.withLock { $0.sentAt }
        let after = (2..<6).compactMap { sentAt["announce.\($0)"] }.sorted()
        #expect(after.count == 4)
        for (a, b) in zip(after, after.dropFirst()) {
            #expect(a.duration(to: b) >= .milliseconds(150), "bulk paced: \(a.duration(to: b))")
        }
        let stamp = try await store.read { try $0.value(OutboxSender.rateLimitedKey) }
        #expect(stamp != nil, "doctor can tell the bot was rate-limited")

        // A reply now is not paced, though bulk still is: it goes first, without waiting for the pace.
        try await enqueue(store, [("announce.late", "!late", .bulk), ("reply.anna", "!anna", .reply)])
        try await sender.drain()
        let order = chat.state.withLock { $0.sent.map(\.txnID) }
        let reply = try #require(order.firstIndex(of: "reply.anna"))
        let late = try #require(order.firstIndex(of: "announce.late"))
        #expect(reply < late, "\(order)")
    }

    /// While the server's 429s pace bulk, a reply behind an announcement in its own room takes that
    /// announcement along at once (the room's order holds), and other rooms' replies are not held either;
    /// only rooms with nothing but bulk wait for the pace.
    @Test func aReplyBehindAPacedAnnouncementInItsRoomIsNotHeldByThePace() async throws {
        let store = try IntakeStore()
        let chat = SlowChat(delay: .milliseconds(1))
        let sender = OutboxSender(store: store, chat: chat, wake: WakeSignal(), logger: quietLogger, parallelSends: 4)
        // The server rate-limited the bot again and again: bulk now waits the longest gap between sends.
        sender.pacing.withLock { pacing in
            for _ in 0..<8 { _ = pacing.rateLimited(at: .now) }
        }
        #expect(sender.pacing.withLock { $0.interval } == BulkPacing.longest)
        // Stretched to an hour, so that however slow this machine is, a send the pace held never comes within
        // the test: what goes out went unpaced.
        sender.pacing.withLock { $0.interval = .seconds(3_600) }
        // Anna's announcement was queued before she wrote; Bo writes too; another follower waits for hers.
        try await enqueue(
            store,
            [
                ("announce.anna", "!anna", .bulk), ("reply.anna", "!anna", .reply), ("reply.bo", "!bo", .reply),
                ("announce.late", "!late", .bulk),
            ])
        let drain = Task { _ = try await sender.drain() }
        try await waitUntil("both replies sent, not held by the hour's pace", timeout: .seconds(300)) {
            let sent = chat.state.withLock { $0.sent.map(\.txnID) }
            return sent.contains("reply.anna") && sent.contains("reply.bo")
        }
        let order = chat.state.withLock { $0.sent.map(\.txnID) }
        drain.cancel()
        _ = try? await drain.value
        #expect(!order.contains("announce.late"), "a room with only bulk still waits for the pace: \(order)")
        let announced = try #require(order.firstIndex(of: "announce.anna"))
        let replied = try #require(order.firstIndex(of: "reply.anna"))
        #expect(announced < replied, "Anna's room keeps its order: \(order)")
    }

    @Test func thePaceIsLearnedAndForgotten() {
        var pacing = BulkPacing()
        let start = ContinuousClock.now
        #expect(pacing.wait(at: start) == nil, "no pace before any 429")
        let (first, warn) = pacing.rateLimited(at: start)
        #expect(first == BulkPacing.first && warn)
        #expect(pacing.rateLimited(at: start).0 == first * 2)
        #expect(pacing.rateLimited(at: start).1 == false, "one warning per ten minutes")
        for _ in 0..<200 { _ = pacing.rateLimited(at: start) }
        #expect(pacing.interval == BulkPacing.longest)
        for _ in 0..<200 { pacing.sentBulk(at: start) }
        #expect(pacing.interval == .zero && pacing.wait(at: start) == nil, "forgotten after sends go through")
    }
}

/// Rooms that wait for a retry never hold up the others, however many of them wait.
@Suite struct WaitingLanesTests {
    /// A round in which every send was refused ends neither the drain nor the other rooms' turn: the next
    /// round goes on with them (at the pace the 429 taught, for bulk).
    @Test func aRoundWhoseOnlySendIsRateLimitedDoesNotEndTheDrain() async throws {
        let store = try IntakeStore()
        let start = Date()
        try await store.write { tx in
            for (txn, room) in [("announce.a", "!a"), ("announce.b", "!b")] {
                try tx.enqueue(OutboxEntry(txnID: txn, roomID: RoomID(room), body: "x", createdAt: start, priority: .bulk))
            }
        }
        let chat = DeliveryTests.SlowChat(delay: .milliseconds(1))
        chat.state.withLock { $0.limitedSends = [1] }
        let sender = OutboxSender(store: store, chat: chat, wake: WakeSignal(), logger: quietLogger, parallelSends: 1)
        try await sender.drain()
        #expect(chat.state.withLock { $0.sent.map(\.txnID) }.contains("announce.b"))
    }

    /// A room that got a 429 goes again when its retry time comes, while an announcement still keeps the
    /// sender busy: it does not wait for the end of the drain.
    @Test func aRateLimitedRoomGoesAgainWhenDueWhileBulkStillGoesOut() async throws {
        let store = try IntakeStore()
        try await DeliveryTests().enqueue(
            store, [("reply.limited", "!limited", .reply)] + (0..<100).map { ("announce.\($0)", "!follower\($0)", .bulk) })
        let chat = DeliveryTests.SlowChat(delay: .milliseconds(40))
        chat.state.withLock { $0.limitedSends = [1] }
        let sender = OutboxSender(store: store, chat: chat, wake: WakeSignal(), logger: quietLogger, parallelSends: 2)
        try await sender.drain()
        let order = chat.state.withLock { $0.sent.map(\.txnID) }
        #expect(order.count == 101)
        let limited = try #require(order.firstIndex(of: "reply.limited"))
        // Its retry (the backoff's first step, under a second) comes while the paced announcement still goes
        // out (for seconds): not last, as when a failed room waited for the end of the drain.
        #expect(limited < 100, "sent again within the announcement, at position \(limited)")
    }

    @Test func manyRoomsWaitingForTheirRetryDoNotStarveANewMessage() async throws {
        let store = try IntakeStore()
        let start = Date()
        try await store.write { tx in
            for index in 0..<30 {
                try tx.enqueue(
                    OutboxEntry(
                        txnID: "waiting.\(index)", roomID: RoomID("!limited\(index)"), body: "x", createdAt: start,
                        priority: .reply))
            }
            for entry in try tx.allOutbox() {
                if let id = entry.id { try tx.rescheduleOutbox(id, notBefore: start.addingTimeInterval(3_600)) }
            }
            try tx.enqueue(OutboxEntry(txnID: "fresh.bulk", roomID: RoomID("!free"), body: "y", createdAt: start, priority: .bulk))
        }
        let chat = DeliveryTests.SlowChat(delay: .milliseconds(1))
        let sender = OutboxSender(store: store, chat: chat, wake: WakeSignal(), logger: quietLogger, parallelSends: 2)
        try await sender.drain()
        #expect(chat.state.withLock { $0.sent.map(\.txnID) } == ["fresh.bulk"])
    }
}
