import Chat
import Foundation
import Intake
import SkavTesting
import Testing
import Prompts
@testable import Store

@testable import SkavBot

/// Issue 10: a 429 with an absurd `Retry-After` once trapped in `OutboxSender.run`
/// (`Int64(seconds * 1000)`), and the absurd time was stored as the entry's retry time, so the bot
/// trapped again after every restart. Now the wait is clamped to an hour, only that room waits, and a
/// stored absurd retry time from an old database is read and repaired without a trap.
@Suite struct RateLimitTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    func entry(_ txn: String, room: RoomID, _ text: String) -> OutboxEntry {
        OutboxEntry(txnID: txn, roomID: room, body: RichText(plain: text), createdAt: start)
    }

    func enqueue(_ store: IntakeStore, _ entries: [OutboxEntry]) throws {
        try store.write { tx in
            for entry in entries { try tx.enqueue(entry) }
        }
    }

    @Test func anAbsurdRetryAfterInOneRoomHoldsNeitherTheOtherRoomsNorTraps() async throws {
        let store = try IntakeStore()
        let chat = FakeChat()
        try enqueue(store, [entry("a.1", room: "!a", "till A"), entry("b.1", room: "!b", "till B"), entry("a.2", room: "!a", "A igen")])
        // As an adapter that does not clamp would hand it over: Retry-After: 9223372036854775807.
        chat.failNextSends([ChatError(.rateLimited, "M_LIMIT_EXCEEDED", retryAfter: .seconds(Int64.max))])
        let clock = start
        let clockReads = Counter()
        let sender = OutboxSender(
            store: store, chat: chat, wake: WakeSignal(), logger: quietLogger,
            now: {
                clockReads.increment()
                return clock
            })
        let next = try #require(try await sender.drain())

        #expect(chat.sentTexts == ["till B"], "room B is answered at once; room A's second entry waits behind its first")
        let stored = try #require(try await store.read { try $0.outboxEntry(txnID: "a.1") })
        let retryAt = try #require(stored.notBefore)
        #expect(retryAt > start && retryAt <= start.addingTimeInterval(3_600), "at most an hour: \(retryAt)")
        #expect(stored.attempts == 0 && stored.failedAt == nil, "a 429 that says when is no failed attempt")
        #expect(next == retryAt)

        // The run loop's wait is computed from that time without a trap, and nothing more is sent early.
        // Its pass reads the clock once, then once more to compute the wait: then it is waiting.
        let reads = clockReads.count
        let task = Task { try await sender.run() }
        try await waitUntil("the run loop computed its wait") { clockReads.count >= reads + 2 }
        task.cancel()
        if case .failure(let error) = await task.result { #expect(error is CancellationError, "\(error)") }
        #expect(chat.sentTexts == ["till B"])

        // An hour later room A goes on, in order.
        let later = OutboxSender(
            store: store, chat: chat, wake: WakeSignal(), logger: quietLogger, now: { retryAt.addingTimeInterval(1) })
        try await later.drain()
        #expect(chat.sentTexts == ["till B", "till A", "A igen"])
    }

    /// A 429 that says when makes the room wait that long, each time: not a backoff that earlier 429s grew
    /// (five of them held a reply for a minute behind a greeting), and it is no failed attempt (the attempts
    /// that give an entry up after about a day would be spent in minutes). One without a time is a failed
    /// attempt and backs off.
    @Test func a429ThatSaysWhenIsWaitedOutEachTimeAndIsNoFailedAttempt() async throws {
        let store = try IntakeStore()
        let chat = FakeChat()
        try enqueue(store, [entry("a.1", room: "!a", "till A"), entry("a.2", room: "!a", "A igen")])
        chat.failNextSends(Array(repeating: ChatError(.rateLimited, "429", retryAfter: .seconds(2)), count: 8))
        var clock = start
        for round in 0..<8 {
            let moment = clock
            let sender = OutboxSender(store: store, chat: chat, wake: WakeSignal(), logger: quietLogger, now: { moment })
            let next = try #require(try await sender.drain())
            #expect(next == moment.addingTimeInterval(2), "round \(round): the server's time")
            let stored = try #require(try await store.read { try $0.outboxEntry(txnID: "a.1") })
            #expect(stored.attempts == 0 && stored.failedAt == nil && stored.lastError?.contains("429") == true)
            clock = next
        }
        #expect(chat.sentTexts.isEmpty)
        #expect(try await store.read { try $0.value(OutboxSender.rateLimitedKey) } != nil)

        // Without a time: a failed attempt, and the backoff's wait.
        chat.failNextSends([ChatError(.rateLimited, "429 without a time")])
        let moment = clock
        let sender = OutboxSender(store: store, chat: chat, wake: WakeSignal(), logger: quietLogger, now: { moment })
        let next = try #require(try await sender.drain())
        #expect(next > moment)
        #expect(try await store.read { try $0.outboxEntry(txnID: "a.1") }?.attempts == 1)

        let later = next
        try await OutboxSender(store: store, chat: chat, wake: WakeSignal(), logger: quietLogger, now: { later }).drain()
        #expect(chat.sentTexts == ["till A", "A igen"])
    }

    @Test(arguments: [
        // What an older build stored for `now + 9223372036854775807 s`, and other things that are no date.
        "'292277026596-12-04 15:30:07.000'", "'+10000-01-01 00:00:00.000'", "'9999-99-99 99:99:99'", "'not a date'",
        "1e300", "-1e300", "x'00ff'",
    ])
    func anAbsurdStoredRetryTimeIsReadAndRepaired(value: String) async throws {
        let store = try IntakeStore()
        let chat = FakeChat()
        try enqueue(store, [entry("a.1", room: "!a", "till A"), entry("b.1", room: "!b", "till B")])
        try await store.write { tx in
            try tx.db.execute(sql: "UPDATE outbox SET not_before = \(value), attempts = 3 WHERE txn_id = 'a.1'")
        }
        // Reading the outbox and its next retry time must work (it once failed on every pass).
        _ = try await store.read { try $0.unsentOutbox() }
        _ = try await store.read { try $0.nextOutboxRetry() }

        let clock = start
        let sender = OutboxSender(store: store, chat: chat, wake: WakeSignal(), logger: quietLogger, now: { clock })
        let next = try await sender.drain()
        #expect(chat.sentTexts.contains("till B"), "the other room is not held")
        let stored = try #require(try await store.read { try $0.outboxEntry(txnID: "a.1") })
        if stored.sentAt == nil {
            // A time far away is brought back to at most an hour from now; the room then goes on.
            let retryAt = try #require(stored.notBefore)
            #expect(retryAt <= start.addingTimeInterval(3_600), "\(value) → \(retryAt)")
            #expect(next.map { $0 <= start.addingTimeInterval(3_600) } ?? false)
            let later = OutboxSender(
                store: store, chat: chat, wake: WakeSignal(), logger: quietLogger, now: { retryAt.addingTimeInterval(1) })
            try await later.drain()
        }
        #expect(chat.sentTexts.sorted() == ["till A", "till B"])
    }

    @Test func serverNumbersAreClampedInOnePlace() {
        let now = start
        #expect(ServerNumber.retryAfter(header: "9223372036854775807", now: now) == .seconds(3_600))
        #expect(ServerNumber.retryAfter(header: "120", now: now) == .seconds(120))
        #expect(ServerNumber.retryAfter(header: "-5", now: now) == nil)
        #expect(ServerNumber.retryAfter(header: "", now: now) == nil)
        #expect(ServerNumber.retryAfter(header: "Fri, 15 Jan 2027 08:01:00 GMT", now: now) == .seconds(60))
        #expect(ServerNumber.wait(milliseconds: .infinity) == .seconds(3_600))
        #expect(ServerNumber.wait(milliseconds: -.infinity) == .zero)
        #expect(ServerNumber.wait(milliseconds: .nan) == nil)
        #expect(ServerNumber.date(milliseconds: 1e300) == ServerNumber.latestDate)
        #expect(ServerNumber.date(milliseconds: -5) == Date(timeIntervalSince1970: 0))
        #expect(ServerNumber.date(milliseconds: 1_500.5) == Date(timeIntervalSince1970: 1.5005))
        #expect(ServerNumber.count(1e300) == nil && ServerNumber.count(-1) == nil && ServerNumber.count(2.5) == nil)
        #expect(ServerNumber.count(header: "99999999999999999999") == nil && ServerNumber.count(header: " 42 ") == 42)
        #expect(Duration.clamped(seconds: 9.3e18, maximum: .seconds(2)) == .seconds(2))
        #expect(Duration.clamped(seconds: .nan, minimum: .milliseconds(50), maximum: .seconds(2)) == .milliseconds(50))
        #expect(Duration.seconds(Int64.max).clampedMilliseconds == .max)
    }
}
