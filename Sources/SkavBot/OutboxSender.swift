import Chat
import Foundation
import Intake
import Logging
import ServiceLifecycle

/// Sends the outbox: the only way out. Entries go in the order they were written; a room whose entry
/// failed waits for its retry before anything later in that room is sent, so replies never overtake.
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

    public init(
        store: IntakeStore, chat: any ChatService, wake: WakeSignal, ready: ReadyGate? = nil, crashpoints: Crashpoints = Crashpoints(specification: nil),
        logger: Logger, now: @escaping @Sendable () -> Date = { Date() }, idleCheck: Duration = .seconds(2)
    ) {
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
                let nextRetry = try await self.drain()
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

    /// Sends every due entry once. Returns the earliest time a failed entry may be retried, if any.
    @discardableResult
    public func drain() async throws -> Date? {
        // A lane is a room, or a recipient whose room is not known yet; a failure blocks its lane only.
        func lane(_ entry: OutboxEntry) -> String {
            entry.roomID?.rawValue ?? "@" + (entry.recipient?.rawValue ?? "")
        }
        var blockedLanes = Set<String>()
        while !Task.isCancelled {
            let moment = now()
            let pending = try await store.read { try $0.unsentOutbox(limit: 200) }
            var sentAny = false
            for entry in pending where !blockedLanes.contains(lane(entry)) {
                if let notBefore = entry.notBefore, notBefore > moment {
                    // Waiting for its retry: nothing later in its room may overtake it.
                    blockedLanes.insert(lane(entry))
                    if notBefore.timeIntervalSince(moment) > Self.longestRetryDelay.timeInterval, let id = entry.id {
                        // Later than this sender ever schedules (an old database stored a server's absurd
                        // Retry-After): brought back to the longest wait, so the room is not held forever.
                        let repaired = moment.addingTimeInterval(Self.longestRetryDelay.timeInterval)
                        logger.warning(
                            "an outgoing entry's retry time was absurd; rescheduled",
                            metadata: ["outbox.txn": "\(entry.txnID)", "retry.at": "\(repaired)"])
                        try await store.write { try $0.rescheduleOutbox(id, notBefore: repaired) }
                    }
                    continue
                }
                if Task.isCancelled { return nil }
                if try await send(entry) {
                    sentAny = true
                } else {
                    blockedLanes.insert(lane(entry))
                }
            }
            if !sentAny { break }
        }
        return try await store.read { try $0.nextOutboxRetry() }
    }

    /// Sends one entry; false when it failed and its room must wait.
    private func send(_ entry: OutboxEntry) async throws -> Bool {
        guard let id = entry.id else { return true }
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
            let sentAt = now()
            try await store.write { try $0.markSent(id, remoteID: remoteID, room: room, at: sentAt) }
            logger.debug("sent", metadata: ["outbox.txn": "\(entry.txnID)", "outbox.kind": "\(entry.kind.rawValue)"])
            return true
        } catch let error as ChatError where error.code == .cancelled {
            throw CancellationError()
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            let chatError = error as? ChatError
            let permanent = chatError.map { !$0.isRetryable && $0.code != .badResponse } ?? false
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
            try await store.write {
                try $0.markAttemptFailed(id, error: message, retryAt: retryAt, at: failedAt)
            }
            return false
        }
    }

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
