import Chat
import CrashGuard
import Foundation
import Intake
import Logging
import ServiceLifecycle
import Prompts
import Store
import Configuration

/// The receive loop: long-poll the server, commit each batch in one transaction, wake the sender.
/// Network trouble and server errors are retried with capped exponential backoff and jitter; invalid
/// credentials stop the bot with an operator error.
public final class SyncService: Service, Sendable {
    private let chat: any ChatService
    private let engine: BotEngine
    private let wake: WakeSignal
    /// Woken when a batch recorded a digest request (`DigestRequestService`).
    private let digestWake: WakeSignal?
    private let ready: ReadyGate
    private let crashpoints: Crashpoints
    private let logger: Logger
    private let now: @Sendable () -> Date
    private let sleep: @Sendable (Duration) async throws -> Void
    /// `privacy.draft_retention`: drafts and conversation states older than this are deleted hourly.
    private let draftRetention: Duration

    public init(
        chat: any ChatService, engine: BotEngine, wake: WakeSignal, digestWake: WakeSignal? = nil, ready: ReadyGate = ReadyGate(), crashpoints: Crashpoints = Crashpoints(specification: nil),
        logger: Logger, now: @escaping @Sendable () -> Date = { Date() },
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        draftRetention: Duration = SkavConfig.defaultDraftRetention
    ) {
        self.draftRetention = draftRetention
        self.chat = chat
        self.engine = engine
        self.wake = wake
        self.digestWake = digestWake
        self.ready = ready
        self.crashpoints = crashpoints
        self.logger = logger
        self.now = now
        self.sleep = sleep
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            try await self.loop()
        }
    }

    /// How often processed event ids older than `BotEngine.processedRetention` are forgotten, and drafts
    /// and conversation states older than `privacy.draft_retention` deleted.
    static let pruneInterval: TimeInterval = 3600

    /// Connects (retrying while the server is unreachable), then polls until cancelled.
    func loop() async throws {
        var backoff = Backoff(initial: .milliseconds(500), maximum: .seconds(60))
        while !ready.opened {
            do {
                let user = try await chat.connect()
                guard user == engine.settings.botUser else {
                    throw ChatError(
                        .unauthorized, "the credentials belong to \(user), not to the configured \(engine.settings.botUser)")
                }
                logger.info("connected", metadata: ["chat.kind": "\(chat.kind.rawValue)", "chat.user": "\(user)"])
                ready.open()
            } catch is CancellationError {
                return
            } catch let error as ChatError where error.code == .cancelled {
                return
            } catch let error as ChatError where !error.isRetryable && error.code != .badResponse {
                logger.critical("cannot connect to the chat server", metadata: ["error": "\(error)"])
                throw error
            } catch {
                guard await wait(after: error, backoff: &backoff, doing: "connecting") else { return }
            }
        }
        backoff.reset()
        var lastPrune = Date.distantPast
        // The cursor after answers that held nothing to handle (on Matrix, mostly the echoes of the bot's own
        // messages: one answer for each reply), kept here instead of a write transaction each; written with
        // the next batch, after `deferredCursorLimit`, and at a graceful shutdown. A crash loses only the
        // reading of answers with nothing in them: they are read again and hold nothing again.
        var deferred: (cursor: String, since: Date)?
        var polledOnce = false
        defer {
            if let deferred { _ = try? engine.process(ChatBatch(events: [], cursor: deferred.cursor), now: now()) }
        }
        while !Task.isCancelled {
            do {
                // One read before each poll (it used to be three: the cursor, the quarantine, the retries).
                let (stored, poisoned, retries) = try pollState()
                if let pending = deferred, poisoned != nil || !retries.isEmpty {
                    // The quarantine is keyed by the stored cursor: it is brought up to date first.
                    _ = try engine.process(ChatBatch(events: [], cursor: pending.cursor), now: now())
                    deferred = nil
                    continue
                }
                if deferred == nil, let poisoned, try await skipPoisoned(cursor: stored, entry: poisoned) { continue }
                if deferred == nil, let stored, !retries.isEmpty { try await retryQuarantined(retries, cursor: stored) }
                let cursor = deferred?.cursor ?? stored
                let batch = try await chat.poll(cursor: cursor)
                if !polledOnce {
                    // The first answer is the large one (every room of a new bot, or all that came while it was
                    // down), and its decoded tree is gone now: the allocator gives its pages back instead of
                    // keeping them for the life of the process (with the room ids the adapter keeps copied out of
                    // the tree: 13 MiB kept instead of 46 after a first sync of 10,000 rooms).
                    polledOnce = true
                    ProcessMemory.releaseFreed()
                }
                let moment = now()
                if batch.events.isEmpty, cursor != nil,
                    moment.timeIntervalSince(deferred?.since ?? moment) < Self.deferredCursorLimit
                {
                    // (If this answer's successor traps, the quarantine counts it under the stored cursor
                    // after the restart: one death more before it is skipped.)
                    deferred = (batch.cursor, deferred?.since ?? moment)
                    backoff.reset()
                    continue
                }
                let outcome = try engine.process(batch, now: moment)
                deferred = nil
                try engine.checkpointAfterForget()
                backoff.reset()
                if outcome.outboxAdded > 0 {
                    crashpoints.reached(.afterCommit)
                    wake.wake()
                }
                if outcome.digestRequests > 0 { digestWake?.wake() }
                // After the wake: the batch's replies go out while the hourly pass runs (its transactions are
                // short, and the sender's records interleave with them).
                if moment.timeIntervalSince(lastPrune) > Self.pruneInterval {
                    lastPrune = moment
                    try engine.pruneProcessedEvents(now: moment)
                    try engine.applyRetention(draftRetention, now: moment)
                }
                if outcome.handled + outcome.failed > 0 {
                    logger.debug(
                        "batch committed",
                        metadata: [
                            "batch.handled": "\(outcome.handled)", "batch.duplicates": "\(outcome.duplicates)",
                            "batch.failed": "\(outcome.failed)", "batch.outbox": "\(outcome.outboxAdded)",
                        ])
                }
            } catch is CancellationError {
                return
            } catch let error as ChatError where error.code == .cancelled {
                return
            } catch let error as ChatError where error.code == .unauthorized {
                logger.critical("the chat server refused the bot's credentials", metadata: ["error": "\(error)"])
                throw error
            } catch {
                guard await wait(after: error, backoff: &backoff, doing: "sync") else { return }
            }
        }
    }

    /// The longest an answer's cursor stays unwritten because the answer held nothing to handle (seconds).
    static let deferredCursorLimit: TimeInterval = 10

    /// A change-feed answer that took the process down twice is not read again: the adapter skips past it
    /// (what it held is not delivered), and the skip is recorded with the new cursor. True when it skipped.
    func skipPoisonedAnswer(cursor: String?) async throws -> Bool {
        let key = InFlight.sync(cursor: cursor).key
        guard let entry = try await engine.store.read({ try $0.quarantineCandidates([key])[key] }), entry.isPoison else {
            return false
        }
        return try await skipPoisoned(cursor: cursor, entry: entry)
    }

    /// What the loop reads before each poll, in one read transaction: the cursor, the quarantine entry of the
    /// answer at that cursor when it took the process down twice, and the inputs an operator put back (none
    /// before the first cursor). Read on the loop's own thread: GRDB's `async` read hops to its queue and back,
    /// two thread switches before every poll. In the common case (nothing in quarantine but what is set
    /// aside) one statement, read on the writer's connection as the batch that follows is written
    /// (`IntakeStore.readOnWriter`); else all of it again in one read transaction.
    func pollState() throws -> (cursor: String?, poisoned: QuarantineEntry?, retries: [QuarantineEntry]) {
        let cursorKey = engine.settings.cursorKey
        let (storedCursor, quarantineActive) = try engine.store.readOnWriter { try $0.valueAndQuarantineActivity(cursorKey) }
        guard quarantineActive else { return (storedCursor, nil, []) }
        return try engine.store.read { tx in
            let (cursor, active) = try tx.valueAndQuarantineActivity(cursorKey)
            guard active else { return (cursor, nil, []) }
            let key = InFlight.sync(cursor: cursor).key
            let entry = try tx.quarantineCandidates([key])[key]
            let retries = cursor == nil ? [] : try tx.pendingRetries()
            return (cursor, entry.flatMap { $0.isPoison ? $0 : nil }, retries)
        }
    }

    /// Skips past the poisoned answer at `cursor` (`entry` is its quarantine record); true when it did.
    func skipPoisoned(cursor: String?, entry: QuarantineEntry) async throws -> Bool {
        guard entry.isPoison else { return false }
        let key = InFlight.sync(cursor: cursor).key
        let next = try await chat.skipPast(cursor: cursor)
        let moment = now()
        let cursorKey = engine.settings.cursorKey
        try await engine.store.write { tx in
            try tx.hold(key, room: nil, at: moment)
            try tx.setValue(next, for: cursorKey)
        }
        logger.error(
            "a change-feed answer took the process down twice; skipped past it, its messages are not answered (skav quarantine list)",
            metadata: ["quarantine.input": "\(key)", "quarantine.deaths": "\(entry.deaths)"])
        return true
    }

    /// Handles what an operator put back with `skav quarantine retry`: an event is fetched from the server
    /// again and handled as if it had just arrived; a change-feed answer is read again (events already
    /// handled are skipped as usual). One that takes the process down twice more is set aside again.
    func retryQuarantined() async throws {
        let retries = try await engine.store.read { try $0.pendingRetries() }
        guard !retries.isEmpty, let cursor = try engine.cursor() else { return }
        try await retryQuarantined(retries, cursor: cursor)
    }

    /// Handles `retries` (read with `cursor`, the stored cursor) as `retryQuarantined()` does.
    func retryQuarantined(_ retries: [QuarantineEntry], cursor: String) async throws {
        for entry in retries {
            let moment = now()
            if entry.isPoison {
                try await engine.store.write { _ = try $0.hold(entry.key, room: nil, at: moment) }
                logger.error("a retried input took the process down twice again; set aside", metadata: ["quarantine.input": "\(entry.key)"])
                continue
            }
            switch entry.kind {
            case .event:
                guard let room = entry.roomID, let event = try await chat.fetchEvent(entry.key, in: room) else {
                    try await engine.store.write { _ = try $0.hold(entry.key, room: nil, at: moment) }
                    logger.warning(
                        "a retried event could not be fetched from the server; left set aside",
                        metadata: ["quarantine.input": "\(entry.key)"])
                    continue
                }
                try await engine.store.write { try $0.unmarkProcessed(entry.key) }
                let outcome = try engine.process(ChatBatch(events: [event], cursor: cursor), now: now())
                if outcome.outboxAdded > 0 { wake.wake() }
            case .sync:
                let answer = try await chat.poll(cursor: InFlight(.sync, entry.key).syncCursor)
                let outcome = try engine.process(ChatBatch(events: answer.events, cursor: cursor), now: now())
                try await engine.store.write { try $0.clearQuarantine(entry.key) }
                if outcome.outboxAdded > 0 { wake.wake() }
            }
            logger.notice("a quarantined input was handled again", metadata: ["quarantine.input": "\(entry.key)"])
        }
    }

    /// Sleeps the next backoff step (or the server's Retry-After when longer); false when cancelled.
    private func wait(after error: any Error, backoff: inout Backoff, doing what: String) async -> Bool {
        var delay = backoff.next()
        // Any adapter's hint, clamped (at most an hour): an absurd one must neither trap nor stop the polling.
        if let retryAfter = (error as? ChatError)?.retryAfter, retryAfter > delay { delay = min(retryAfter, ServerNumber.maxRetryWait) }
        logger.warning("\(what) failed; retrying", metadata: ["error": "\(error)", "retry.in": "\(delay)"])
        do {
            try await sleep(delay)
            return true
        } catch {
            return false
        }
    }
}
