import Chat
import Foundation
import Intake
import Logging
import ServiceLifecycle
import Synchronization
import Prompts
import Store

/// Sends the outbox: the only way out. Replies to what a person just wrote go before notices and bulk,
/// rooms are served in parallel, and within a room entries go in the order they were written; a room
/// whose entry failed waits for its retry before anything later in that room is sent, so replies never
/// overtake.
/// After a crash, unsent entries are sent again with the same transaction id, and the server drops the
/// duplicate.
public final class OutboxSender: Service, Sendable {
    private let store: IntakeStore
    private let chat: any ChatService
    private let wake: WakeSignal
    private let ready: ReadyGate?
    private let crashpoints: Crashpoints
    private let logger: Logger
    private let now: @Sendable () -> Date
    /// The longest the sender sleeps without being woken.
    private let idleCheck: Duration
    /// Sends in flight at once, each in a different room (`limits.parallel_sends`).
    private let parallelSends: Int
    /// The pace of bulk sends, learned from the server's 429s (replies and notices are never paced, nor bulk
    /// ahead of them in their room). Not private: tests set a learned pace.
    let pacing = Mutex(BulkPacing())

    public init(
        store: IntakeStore, chat: any ChatService, wake: WakeSignal, ready: ReadyGate? = nil, crashpoints: Crashpoints = Crashpoints(specification: nil),
        logger: Logger, now: @escaping @Sendable () -> Date = { Date() }, idleCheck: Duration = .seconds(2),
        parallelSends: Int = OutboxSender.defaultParallelSends
    ) {
        self.parallelSends = max(1, parallelSends)
        self.store = store
        self.chat = chat
        self.wake = wake
        self.ready = ready
        self.crashpoints = crashpoints
        self.logger = logger
        self.now = now
        self.idleCheck = idleCheck
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            await self.ready?.wait()
            while !Task.isCancelled {
                let nextRetry: Date?
                do {
                    nextRetry = try await self.drain()
                } catch is CancellationError {
                    return  // the graceful shutdown, also in the middle of parallel sends
                }
                var delay = self.idleCheck
                if let nextRetry {
                    // Clamped before any conversion: a stored time may be anything (an old database).
                    delay = min(
                        delay,
                        Duration.clamped(
                            seconds: nextRetry.timeIntervalSince(self.now()), minimum: .milliseconds(50), maximum: delay))
                }
                await self.wake.wait(for: delay)
            }
        }
    }

    /// Sends every due entry. Returns the earliest time an entry waiting for its retry may go, if any.
    ///
    /// The send slots are kept full: the sender reads the first unsent entry of each lane (a room, or a
    /// recipient whose room is not known yet), lanes with a reply waiting first, then notices, then bulk,
    /// each by age, and starts as many as slots are free, never two of one lane, so the order within a room
    /// holds. When a quarter of the slots are free again, or new work was queued (the engine's wake), it
    /// reads the lanes again, leaving out those in flight; so a reply written during a long announcement goes
    /// out in a free slot at once, or after the next send that ends, not after the slowest of a round. What
    /// went out is recorded in one transaction for many sends, with that read: when nothing is in flight,
    /// when a slot's worth has gathered, when the last read could not fill the slots, or after a wake. A lane
    /// whose entry failed waits for its retry time (after a 429, the server's) alone; the others go on, and
    /// it goes again when due.
    @discardableResult
    public func drain() async throws -> Date? {
        // Lanes with a send in flight, or sent and not recorded yet, with that entry's id: the store's first
        // entry of the lane is still that one, so the lane is left out of the reads until the record.
        var busy: [String: Int64] = [:]
        var marks: [(mark: SentMark, lane: String)] = []
        // Whether the last read could not fill the free slots: then a lane's next entry, behind a send not
        // recorded yet, may be all that is left, and the next read records first.
        var lastReadShort = false
        // Whether the engine queued something since the last read (its wake): the next read records first, so
        // a reply behind a sent entry of its room that is not recorded yet is seen too.
        var woken = false
        var running = 0
        var bulkRunning = 0
        let refillAt = max(1, parallelSends / 4)
        // A child that waits for the engine's wake while bulk is in flight, so a reply queued then starts in a
        // free slot at once, whether or not a send ends soon (not while only replies are in flight: one task
        // less for each message that comes alone).
        var watchingWake = false
        return try await withThrowingTaskGroup(of: SendResult?.self) { group in
            // Ends the wake's watch when the drain ends (the group waits for its children). A wake it took just
            // before is given back, so the sender's next wait does not sleep through new work.
            defer {
                group.cancelAll()
                if watchingWake { wake.wake() }
            }
            do {
                while !Task.isCancelled {
                    // What went out is recorded in one transaction for many sends, which reads the lanes again
                    // (one commit a send was most of the sender's cost in a burst): when nothing is in flight,
                    // when a slot's worth of sends waits for it, or when the last read could not fill the slots.
                    // Otherwise the lanes are read alone, their sent lanes left out. A crash before the record
                    // sends those entries again with the same transaction ids, which the server drops.
                    let moment = now()
                    let free = parallelSends - running
                    let record = !marks.isEmpty && (running == 0 || marks.count >= parallelSends || lastReadShort || woken)
                    woken = false
                    if record {
                        for (_, lane) in marks { busy[lane] = nil }
                    }
                    // Enough lanes to fill the free slots, and a few more while bulk is paced, for lanes the pace
                    // holds (waiting lanes come after every due one). Each head read costs a row and its body.
                    let paced = pacing.withLock(\.isPacing)
                    let heads = try recordAndRead(
                        record ? marks.map(\.mark) : [], limit: free + (paced ? 4 : 0), dueBy: moment,
                        excluding: busy.values)
                    if record { marks.removeAll(keepingCapacity: true) }
                    // Nothing unsent at all (the end of most drains, with messages coming one at a time): nothing
                    // waits for a retry either.
                    if heads.isEmpty && running == 0 { return nil }
                    var pacedWait: Duration?
                    for (entry, lanePriority) in heads where running < parallelSends {
                        let lane = Self.lane(entry)
                        if busy[lane] != nil { continue }
                        if let notBefore = entry.notBefore, notBefore > moment {
                            // Waiting for its retry: nothing later in its room may overtake it.
                            try await repairAbsurdRetry(entry, notBefore: notBefore, at: moment)
                            continue
                        }
                        // Only lanes with nothing but bulk are paced (a bulk entry ahead of a reply in its room goes
                        // as the reply's forerunner, unpaced); paced, one bulk send at a time at the learned pace.
                        let bulkLane = lanePriority == .bulk
                        if bulkLane, let wait = pacing.withLock({ $0.wait(at: ContinuousClock.now) }) {
                            if wait > .zero || bulkRunning > 0 {
                                pacedWait = min(pacedWait ?? wait, wait)
                                continue
                            }
                        }
                        busy[lane] = entry.id ?? -1
                        running += 1
                        if bulkLane { bulkRunning += 1 }
                        group.addTask {
                            let outcome = try await self.send(entry)
                            if case .sent = outcome, entry.priority == .bulk {
                                self.pacing.withLock { $0.sentBulk(at: ContinuousClock.now) }
                            }
                            return SendResult(lane: lane, bulkLane: bulkLane, outcome: outcome)
                        }
                    }
                    lastReadShort = running < parallelSends
                    if running == 0 {
                        // Nothing could start: only bulk is due and the pace holds it (a reply queued meanwhile
                        // wakes the sender and goes first), or nothing is due until a retry time.
                        if let pacedWait {
                            await wake.wait(for: max(pacedWait, .milliseconds(1)))
                            continue
                        }
                        return try readNow { try $0.nextOutboxRetry() }
                    }
                    if bulkRunning > 0 && !watchingWake {
                        watchingWake = true
                        group.addTask {
                            await self.wake.wait()
                            return nil
                        }
                    }
                    // Sends end one by one; the lanes are read again when a quarter of the slots are free, when the
                    // engine queued something (its wake: at once if a slot is free, else when the next send ends),
                    // or when nothing is in flight.
                    waiting: while running > 0 {
                        guard let next = try await group.next() else { break }
                        guard let result = next else {
                            watchingWake = false
                            woken = true
                            if running < parallelSends { break waiting }
                            continue
                        }
                        running -= 1
                        if result.bulkLane { bulkRunning -= 1 }
                        switch result.outcome {
                        case .sent(let mark?): marks.append((mark, result.lane))
                        case .sent(nil), .failed: busy[result.lane] = nil
                        }
                        if wake.takePending() { woken = true }
                        if woken || parallelSends - running >= refillAt { break }
                    }
                }
                throw CancellationError()
            } catch {
                // Cancelled (a shutdown) or a store error: what did go out is still recorded, if it can be.
                group.cancelAll()
                while !group.isEmpty {
                    if case .sent(let mark?) = (try? await group.next())??.outcome { marks.append((mark, "")) }
                }
                if !marks.isEmpty { _ = try? recordAndRead(marks.map(\.mark), limit: 0, dueBy: now(), excluding: []) }
                throw error
            }
        }
    }

    /// What a send task reports.
    struct SendResult: Sendable {
        let lane: String
        let bulkLane: Bool
        let outcome: SendOutcome
    }

    /// A retry time later than this sender ever schedules (an old database stored a server's absurd
    /// Retry-After) is brought back to the longest wait, so the room is not held forever.
    private func repairAbsurdRetry(_ entry: OutboxEntry, notBefore: Date, at moment: Date) async throws {
        guard notBefore.timeIntervalSince(moment) > Self.longestRetryDelay.timeInterval, let id = entry.id else { return }
        let repaired = moment.addingTimeInterval(Self.longestRetryDelay.timeInterval)
        logger.warning(
            "an outgoing entry's retry time was absurd; rescheduled",
            metadata: ["outbox.txn": "\(entry.txnID)", "retry.at": "\(repaired)"])
        try await store.write { try $0.rescheduleOutbox(id, notBefore: repaired) }
    }

    /// The sender's reads, on the writer's connection and the sender's own thread. GRDB's `async` calls hop to
    /// its queue and back, two thread switches each: with messages coming one at a time, the switches cost
    /// more than the reads. Not on a reader of the pool: a send that reads the store (`resolveRoom`) holds a
    /// reader until its task resumes on this thread, so a blocking read of the pool while five of them wait
    /// for the thread waits forever (one did, in the announcement benchmark); and the readers keep their
    /// temporary tables in files (digests and exports sort there), where the lane query's small sorts opened
    /// temporary files each time: 230-320 µs a read instead of 20-24 µs. A blocking call on the writer is
    /// safe: an async write holds the writer only while its closure runs.
    private func readNow<T>(_ body: (IntakeTransaction) throws -> T) throws -> T { try store.readOnWriter(body) }

    /// The store's write on the sender's own thread (as `readNow`); it waits only for another write.
    private func writeNow<T>(_ body: (IntakeTransaction) throws -> T) throws -> T { try store.write(body) }

    /// An entry that went out, to be recorded as sent (`recordAndRead`).
    struct SentMark: Sendable {
        let id: Int64
        let remoteID: String
        let room: RoomID
        let at: Date
    }

    enum SendOutcome: Sendable {
        /// Sent (the mark is nil for an entry without an id, which nothing records).
        case sent(SentMark?)
        /// Failed: its room waits (the failure is recorded already).
        case failed
    }

    /// Records `marks` and reads the lanes again (up to `limit`, leaving out the lanes whose first entry is in
    /// `excluding`; none when nothing is unsent), in one access to the writer: one transaction, or with nothing
    /// to record a read alone (`readNow`).
    private func recordAndRead(
        _ marks: [SentMark], limit: Int, dueBy moment: Date, excluding: some Collection<Int64>
    ) throws -> [(entry: OutboxEntry, lanePriority: OutboxEntry.Priority)] {
        var unreadable: [UnreadableOutboxEntry] = []
        func read(_ tx: IntakeTransaction) throws -> [(entry: OutboxEntry, lanePriority: OutboxEntry.Priority)] {
            try tx.hasUnsentOutbox()
                ? tx.together { try tx.outboxLaneHeads(limit: limit, dueBy: moment, excluding: excluding, unreadable: &unreadable) }
                : []
        }
        var heads: [(entry: OutboxEntry, lanePriority: OutboxEntry.Priority)]
        if marks.isEmpty {
            heads = try readNow(read)
        } else {
            heads = try writeNow { tx in
                for mark in marks { try tx.markSent(mark.id, remoteID: mark.remoteID, room: mark.room, at: mark.at) }
                return try read(tx)
            }
            crashpoints.reached(.afterSentRecorded)
        }
        // A row that cannot be read as an entry (a damaged or hand-edited database) is given up, so the rest
        // of its room, and every other room, goes on; then the lanes are read again. Each round gives up at
        // least one row; a few rounds at most here, the rest at the next read.
        var rounds = 0
        while !unreadable.isEmpty && rounds < 4 {
            let given = unreadable
            unreadable = []
            rounds += 1
            _ = try writeNow { tx in try tx.giveUpUnreadable(given, at: moment) }
            for entry in given {
                logger.error(
                    entry.staleLane == nil
                        ? "outbox entry cannot be read; given up" : "outbox lane named an entry that does not wait; set again",
                    metadata: ["outbox.id": "\(entry.id)", "reason": "\(entry.reason)"])
            }
            heads = try readNow(read)
        }
        return heads
    }

    /// A room, or a recipient whose room is not known yet: the unit of order and of waiting.
    static func lane(_ entry: OutboxEntry) -> String {
        entry.roomID?.rawValue ?? "@" + (entry.recipient?.rawValue ?? "")
    }

    /// Sends in flight at once by default.
    public static let defaultParallelSends = 32

    /// Sends one entry; `.failed` when it failed and its room must wait. A sent entry is recorded by the
    /// drain (`recordAndRead`).
    private func send(_ entry: OutboxEntry) async throws -> SendOutcome {
        guard let id = entry.id else { return .sent(nil) }
        do {
            let room = try await resolveRoom(entry)
            let remoteID: String
            switch entry.kind {
            case .message:
                let message = OutgoingMessage(
                    txnID: entry.txnID, room: room, body: entry.body, style: entry.style, inReplyTo: entry.inReplyTo,
                    attachment: entry.attachment)
                remoteID = try await chat.send(message).remoteID
            case .join:
                try await chat.join(room)
                remoteID = ""
            case .leave:
                try await chat.leave(room)
                remoteID = ""
            }
            crashpoints.reached(.afterSend)
            logger.debug("sent", metadata: ["outbox.txn": "\(entry.txnID)", "outbox.kind": "\(entry.kind.rawValue)"])
            return .sent(SentMark(id: id, remoteID: remoteID, room: room, at: now()))
        } catch let error as ChatError where error.code == .cancelled {
            throw CancellationError()
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            let chatError = error as? ChatError
            let permanent = chatError.map { !$0.isRetryable && $0.code != .badResponse } ?? false
            let rateLimited = chatError?.code == .rateLimited
            if rateLimited { slowBulkDown() }
            // A 429 that says when: the room goes again then, not after a backoff that earlier 429s grew (five
            // of them held a person's reply for a minute behind a greeting the server would have taken after a
            // second), and the refusal is no failed attempt (at the server's pace, the attempts that give an
            // entry up after about a day would be spent in minutes).
            if rateLimited, let hint = chatError?.retryAfter {
                let wait = min(max(hint, Self.shortestRateLimitWait), ServerNumber.maxRetryWait)
                let (message, limitedAt) = ("\(error)", now())
                let retryAt = limitedAt.addingTimeInterval(wait.timeInterval)
                logger.warning(
                    "send rate-limited; will retry when the server said",
                    metadata: ["outbox.txn": "\(entry.txnID)", "error": "\(error)", "retry.in": "\(wait)"])
                try await store.write { tx in
                    try tx.markRateLimited(id, error: message, retryAt: retryAt)
                    // For `skav doctor`: when the server last rate-limited the bot.
                    try tx.setValue(limitedAt.ISO8601Format(), for: Self.rateLimitedKey)
                }
                return .failed
            }
            let retryAt: Date?
            if permanent || entry.attempts + 1 >= Self.maxAttempts {
                retryAt = nil
                logger.error(
                    "giving up on an outgoing entry",
                    metadata: ["outbox.txn": "\(entry.txnID)", "error": "\(error)", "attempts": "\(entry.attempts + 1)"])
            } else {
                var backoff = Backoff(initial: .seconds(1), maximum: Self.maxBackoff)
                // At most the ceiling's attempts: past them the backoff is capped anyway (and a stored
                // count may be anything).
                for _ in 0..<min(max(0, entry.attempts), 64) { _ = backoff.next() }
                var delay = backoff.next()
                // The adapter clamps the server's hint already; any other adapter's is clamped here too,
                // so an absurd `Retry-After` is never stored as the entry's retry time.
                if let retryAfter = chatError?.retryAfter, retryAfter > delay {
                    delay = min(retryAfter, ServerNumber.maxRetryWait)
                }
                retryAt = now().addingTimeInterval(delay.timeInterval)
                logger.warning(
                    "send failed; will retry",
                    metadata: ["outbox.txn": "\(entry.txnID)", "error": "\(error)", "retry.in": "\(delay)"])
            }
            let failedAt = now()
            let message = "\(error)"
            try await store.write { tx in
                try tx.markAttemptFailed(id, error: message, retryAt: retryAt, at: failedAt)
                // For `skav doctor`: when the server last rate-limited the bot.
                if rateLimited { try tx.setValue(failedAt.ISO8601Format(), for: Self.rateLimitedKey) }
            }
            return .failed
        }
    }

    /// The shortest wait after a 429, whatever the server said: a `Retry-After: 0` (or a few milliseconds) from a
    /// server that goes on refusing must not make a room ask again and again.
    static let shortestRateLimitWait: Duration = .milliseconds(250)

    /// After a 429: bulk slows down to the pace learned from 429s, with a warning now and then.
    private func slowBulkDown() {
        let (interval, warn) = pacing.withLock { $0.rateLimited(at: ContinuousClock.now) }
        if warn {
            logger.warning(
                "the chat server is rate-limiting the bot; bulk sends slow down. Exempt the bot's account (README: Exempt the bot from Synapse's rate limit)",
                metadata: ["bulk.interval": "\(interval)"])
        }
    }

    /// The stored time the server last answered a send with 429 (`skav doctor` reports it).
    public static let rateLimitedKey = "delivery.rate_limited_at"

    /// About a day of retries with the capped backoff before an entry is given up.
    static let maxAttempts = 300
    /// The cap of the retry backoff.
    static let maxBackoff: Duration = .seconds(300)
    /// The longest this sender waits before a retry: the longer of the backoff's cap and the longest
    /// wait a server may ask for (`ServerNumber.maxRetryWait`, an hour).
    static var longestRetryDelay: Duration { max(maxBackoff, ServerNumber.maxRetryWait) }

    private func resolveRoom(_ entry: OutboxEntry) async throws -> RoomID {
        if let room = entry.roomID { return room }
        guard let recipient = entry.recipient, let id = entry.id else {
            throw ChatError(.rejected, "outbox entry \(entry.txnID) has neither room nor recipient")
        }
        if let known = try await store.read({ try $0.directRoom(of: recipient) }) {
            try await store.write { try $0.setOutboxRoom(id, room: known) }
            return known
        }
        let room = try await createDirectRoom(for: recipient)
        let openedAt = now()
        // A person forgotten (`glöm mig`) while the room was being opened gets no direct-room row again.
        guard
            let chosen = try await store.write({ tx -> RoomID? in
                let chosen = try tx.recordOpenedDirectRoom(room, for: recipient, outbox: id, at: openedAt)
                try tx.finishRoomCreation(for: recipient)
                return chosen
            })
        else {
            throw ChatError(.rejected, "outbox entry \(entry.txnID) no longer exists")
        }
        return chosen
    }

    /// Creating a room is not idempotent: the attempt is recorded (with the token the room is created with)
    /// before the request, so after a lost answer or a crash the next attempt finds the room made then
    /// instead of creating a second one and inviting the person twice.
    private func createDirectRoom(for recipient: UserID) async throws -> RoomID {
        let startedAt = now()
        let pending = try await store.write { try $0.beginRoomCreation(for: recipient, at: startedAt) }
        return try await chat.openDirectRoom(
            with: recipient, creation: RoomCreation(token: pending.token, attemptedBefore: pending.attemptedBefore))
    }
}

