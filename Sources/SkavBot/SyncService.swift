import Chat
import Foundation
import Intake
import Logging
import ServiceLifecycle

/// The receive loop: long-poll the server, commit each batch in one transaction, wake the sender.
/// Network trouble and server errors are retried with capped exponential backoff and jitter; invalid
/// credentials stop the bot with an operator error.
public final class SyncService: Service, Sendable {
    private let chat: any ChatService
    private let engine: BotEngine
    private let wake: WakeSignal
    private let ready: ReadyGate
    private let crashpoints: Crashpoints
    private let logger: Logger
    private let now: @Sendable () -> Date
    private let sleep: @Sendable (Duration) async throws -> Void
    /// `privacy.draft_retention`: drafts and conversation states older than this are deleted hourly.
    private let draftRetention: Duration

    public init(
        chat: any ChatService, engine: BotEngine, wake: WakeSignal, ready: ReadyGate = ReadyGate(), crashpoints: Crashpoints = Crashpoints(specification: nil),
        logger: Logger, now: @escaping @Sendable () -> Date = { Date() },
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        draftRetention: Duration = SkavConfig.defaultDraftRetention
    ) {
        self.draftRetention = draftRetention
        self.chat = chat
        self.engine = engine
        self.wake = wake
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
        while !Task.isCancelled {
            do {
                let cursor = try engine.cursor()
                let batch = try await chat.poll(cursor: cursor)
                let moment = now()
                let outcome = try engine.process(batch, now: moment)
                backoff.reset()
                if moment.timeIntervalSince(lastPrune) > Self.pruneInterval {
                    lastPrune = moment
                    try engine.pruneProcessedEvents(now: moment)
                    try engine.applyRetention(draftRetention, now: moment)
                }
                if outcome.outboxAdded > 0 {
                    crashpoints.reached(.afterCommit)
                    wake.wake()
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
