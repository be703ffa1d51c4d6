import Chat
import Conversation
import Foundation
import Intake
import Synchronization
import SkavTesting
import Testing
import Prompts
import Store

@testable import SkavBot

/// `sammanfattning`: the request is stored with the conversation's batch; the digest is built from a read
/// snapshot outside the bot's write transaction, and sent once.
@Suite struct DigestRequestTests {
    let start = EngineHarness.start

    /// The bot of these tests: one unit, Ia the coordinator.
    func harness(onDisk: Bool = false) throws -> EngineHarness {
        try EngineHarness(ConversationConfig(units: ["Skola"], roles: Roles(coordinators: [Cast.ia])), onDisk: onDisk)
    }

    func message(_ id: String, _ text: String, from user: UserID, in room: RoomID) -> ChatEvent {
        ChatEvent(id: id, room: room, sender: user, kind: .message(text: text), timestamp: start, isDirectRoom: true)
    }

    @Test func aRequestIsStoredOnceAndServedOnce() async throws {
        let h = try harness()
        let (store, engine) = (h.store, h.engine)
        let builds = Mutex(0)
        let service = DigestRequestService(
            store: store,
            build: { _, _ in
                builds.withLock { $0 += 1 }
                return ["Del ett", "Del två"]
            }, wake: WakeSignal(), sent: nil, logger: quietLogger)
        let batch = ChatBatch(events: [message("$d1", "sammanfattning", from: Cast.ia, in: Cast.iaRoom)], cursor: "s1")
        let outcome = try engine.process(batch, now: start)
        #expect(outcome.digestRequests == 1)
        #expect(try engine.process(batch, now: start).digestRequests == 0, "a replayed message asks nothing more")
        #expect(try await store.read { try $0.pendingDigestRequests() }.count == 1)

        #expect(try service.serve(now: start) == 1)
        #expect(try service.serve(now: start) == 0, "served once")
        #expect(builds.withLock { $0 } == 1)
        let parts = try await store.read { try $0.allOutbox() }.filter { $0.txnID.hasPrefix("digest.") }
        #expect(parts.map(\.body.plainText) == ["Del ett", "Del två"])
        #expect(parts.allSatisfy { $0.roomID == Cast.iaRoom && $0.style == .notice })
    }

    @Test func theBotKeepsAnsweringWhileADigestIsBuilt() async throws {
        let h = try harness(onDisk: true)
        let (store, engine) = (h.store, h.engine)
        defer { if let path = h.path { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) } }
        try engine.process(
            ChatBatch(events: [message("$d1", "sammanfattning", from: Cast.ia, in: Cast.iaRoom)], cursor: "s1"), now: start)
        let answeredDuringBuild = Mutex<Bool?>(nil)
        let start = self.start
        let annaWrites = message("$a1", "Skrivaren på plan 3 är alltid trasig", from: Cast.anna, in: Cast.annaRoom)
        let service = DigestRequestService(
            store: store,
            build: { tx, _ in
                // While the digest is being built (a read snapshot is open), Anna writes and is answered:
                // the conversation's write transaction is not held up.
                let done = DispatchSemaphore(value: 0)
                let thread = Thread {
                    let outcome = try? engine.process(ChatBatch(events: [annaWrites], cursor: "s2"), now: start)
                    answeredDuringBuild.withLock { $0 = (outcome?.outboxAdded ?? 0) > 0 }
                    done.signal()
                }
                thread.start()
                let finished = done.wait(timeout: .now() + 10) == .success
                #expect(finished, "the conversation waited for the digest")
                // The snapshot does not see Anna's idea: it was committed after the read began.
                return [RichText(plain: "Idéer: \(try tx.ideas(stages: nil, unit: nil).count)")]
            }, wake: WakeSignal(), sent: nil, logger: quietLogger)
        try service.serve(now: start)
        #expect(answeredDuringBuild.withLock { $0 } == true)
        #expect(try await store.read { try $0.ideas(author: Cast.anna) }.count == 1)
    }
}
