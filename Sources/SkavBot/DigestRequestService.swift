import Chat
import Foundation
import Intake
import Logging
import ServiceLifecycle
import Prompts
import Store

/// Serves `sammanfattning`: the conversation only records the request (with the rest of its batch); this
/// service builds the digest from a read snapshot, beside the bot's writes (WAL lets readers run while the
/// writer writes), and queues its messages with the request marked done in one short transaction. So a
/// digest of a large intake never holds up anybody's reply, and each request is sent once, also across a
/// crash (transaction ids derived from the request).
public final class DigestRequestService: Service, Sendable {
    private let store: IntakeStore
    /// Builds the coordinators' digest up to `now`, as the messages to send (and the file of full lists).
    private let build: @Sendable (IntakeTransaction, Date) throws -> DigestMessages
    private let wake: WakeSignal
    private let sent: WakeSignal?
    private let ready: ReadyGate?
    private let logger: Logger
    private let now: @Sendable () -> Date
    /// The longest wait without being woken (requests left by a crash are found then).
    private let idleCheck: Duration

    /// - Parameters:
    ///   - wake: woken by the receive loop when a batch recorded a request.
    ///   - sent: woken when messages were queued (the outbox sender).
    public init(
        store: IntakeStore, build: @escaping @Sendable (IntakeTransaction, Date) throws -> DigestMessages,
        wake: WakeSignal, sent: WakeSignal?, ready: ReadyGate? = nil, logger: Logger,
        now: @escaping @Sendable () -> Date = { Date() }, idleCheck: Duration = .seconds(30)
    ) {
        self.store = store
        self.build = build
        self.wake = wake
        self.sent = sent
        self.ready = ready
        self.logger = logger
        self.now = now
        self.idleCheck = idleCheck
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await self.ready?.wait()
            while !Task.isCancelled {
                do {
                    // Off the cooperative pool: the build may take seconds, and the conversation goes on meanwhile.
                    let now = self.now()
                    if try await BlockingWork.run({ try self.serve(now: now) }) > 0 { self.sent?.wake() }
                } catch {
                    self.logger.error("building a requested digest failed; trying again later", metadata: ["error": "\(error)"])
                }
                await self.wake.wait(for: self.idleCheck)
            }
        }
    }

    /// Builds and queues every pending request; returns how many were served.
    @discardableResult
    public func serve(now: Date) throws -> Int {
        var served = 0
        for request in try store.read({ try $0.pendingDigestRequests() }) {
            let started = Date()
            // The long part, from a read snapshot: no write lock is held while it runs.
            let digest = try store.read { tx in try self.build(tx, now) }
            let queued = try store.write { tx -> Bool in
                guard try tx.finishDigestRequest(request.key, at: now) else { return false }
                for entry in digest.entries(
                    txnPrefix: .digestRun(request.key), roomID: request.roomID,
                    recipient: request.recipient, at: now)
                {
                    try tx.enqueue(entry)
                }
                return true
            }
            if queued {
                served += 1
                logger.info(
                    "requested digest queued",
                    metadata: [
                        "digest.parts": "\(digest.count)",
                        "digest.build_ms": "\(Int(Date().timeIntervalSince(started) * 1000))",
                    ])
            }
        }
        return served
    }
}
