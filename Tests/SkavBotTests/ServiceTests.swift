import Chat
import Conversation
import Foundation
import Intake
import Logging
import Synchronization
import SkavTesting
import Testing
import Prompts
import Store

@testable import SkavBot

@Suite struct ServiceTests {
    // No durations are asserted here (a busy machine would make them flake): the waits are an hour long,
    // so returning at all proves the wake or the cancellation worked, and the time limit catches a hang.
    // The 20 ms pauses below let the waiters register first. WakeSignal does not show its waiters, so there
    // is nothing to wait for instead; in three of the four tests a wake that comes first is remembered and the
    // test passes either way. everyWaiterIsWoken needs both long waiters registered before the one wake.

    @Test(.timeLimit(.minutes(1))) func aWakeBeforeTheWaitIsRemembered() async {
        let signal = WakeSignal()
        signal.wake()
        await signal.wait(for: .seconds(3600))
    }

    @Test(.timeLimit(.minutes(1))) func aWaitEndsWhenWokenOrAtItsTimeout() async throws {
        let signal = WakeSignal()
        let clock = ContinuousClock()
        let timedOut = await clock.measure { await signal.wait(for: .milliseconds(50)) }
        #expect(timedOut >= .milliseconds(50), "without a wake it waits its whole timeout")
        let waiting = Task { await signal.wait(for: .seconds(3600)) }
        try await waitUntil("the wait has begun") { signal.waiting == 1 }
        signal.wake()
        await waiting.value
    }

    @Test(.timeLimit(.minutes(1))) func everyWaiterIsWokenAndTimeoutsDoNotStrandOthers() async throws {
        let signal = WakeSignal()
        // One waiter times out while another still waits: the timed-out one must not take the other's slot.
        let short = Task { await signal.wait(for: .milliseconds(30)) }
        let long1 = Task { await signal.wait(for: .seconds(3600)) }
        let long2 = Task { await signal.wait(for: .seconds(3600)) }
        await short.value
        try await waitUntil("both long waits have begun") { signal.waiting == 2 }
        signal.wake()
        await long1.value
        await long2.value
    }

    @Test(.timeLimit(.minutes(1))) func waitsShareOneTimerAndEachEndsAtItsOwnDeadline() async throws {
        let signal = WakeSignal()
        let clock = ContinuousClock()
        // A long wait woken early leaves its timer running; a shorter wait after it gets one of its own
        // (returning at all proves it: the time limit catches a hang) and waits its whole timeout.
        let long = Task { await signal.wait(for: .seconds(3600)) }
        try await waitUntil("the long wait has begun") { signal.waiting == 1 }
        signal.wake()
        await long.value
        let shorter = await clock.measure { await signal.wait(for: .milliseconds(50)) }
        #expect(shorter >= .milliseconds(50))
        // A short wait woken early: the longer wait after it is not ended by the short one's timer.
        let short = Task { await signal.wait(for: .milliseconds(30)) }
        try await waitUntil("the short wait has begun") { signal.waiting == 1 }
        signal.wake()
        await short.value
        let longer = await clock.measure { await signal.wait(for: .milliseconds(300)) }
        #expect(longer >= .milliseconds(300), "the earlier timer sleeps on to this wait's deadline")
        // A wait with no time to wait returns at once.
        await signal.wait(for: .zero)
    }

    @Test(.timeLimit(.minutes(1))) func theReadyGateReleasesEveryWaiter() async throws {
        let gate = ReadyGate()
        let first = Task { await gate.wait() }
        let second = Task { await gate.wait() }
        try await waitUntil("both waits have begun") { gate.waiting == 2 }
        gate.open()
        await first.value
        await second.value
    }

    @Test(.timeLimit(.minutes(1))) func aCancelledWaitReturns() async throws {
        let signal = WakeSignal()
        let task = Task { await signal.wait(for: .seconds(3600)) }
        try await waitUntil("the wait has begun") { signal.waiting == 1 }
        task.cancel()
        await task.value
    }

    /// A bot with no units, over a fresh store; its chat is a fresh fake.
    func harness() throws -> EngineHarness {
        try EngineHarness(ConversationConfig(units: [], themes: [], defaultLanguage: .sv))
    }

    @Test func theSyncLoopRetriesTroubleWithBackoffAndCommitsBatches() async throws {
        let h = try harness()
        let (engine, chat) = (h.engine, h.chat)
        let sleeps = Mutex([Duration]())
        chat.queue([
            .failure(ChatError(.transient, "connection refused")),
            .failure(ChatError(.badResponse, "truncated JSON")),
            .failure(ChatError(.rateLimited, "slow down", retryAfter: .seconds(7))),
            .success(ChatBatch(events: [], cursor: "s1")),
            .success(
                ChatBatch(
                    events: [
                        ChatEvent(id: "$i", room: "!r", sender: "@anna:kommun.se", kind: .invite(isDirect: true, encrypted: false), timestamp: Date())
                    ], cursor: "s2")),
        ])
        let wake = WakeSignal()
        let sync = SyncService(
            chat: chat, engine: engine, wake: wake, logger: quietLogger,
            sleep: { duration in sleeps.withLock { $0.append(duration) } })
        let task = Task { try await sync.loop() }
        // Wait until the scripted batches are used up (the fake then idles like a long poll).
        try await waitUntil("the loop committed the last batch") { try engine.cursor() == "s2" }
        task.cancel()
        try await task.value
        #expect(try engine.cursor() == "s2")
        #expect(chat.state.withLock { $0.polls }.prefix(5) == [nil, nil, nil, nil, "s1"])
        let waited = sleeps.withLock { $0 }
        #expect(waited.count == 3)
        #expect(waited[2] >= .seconds(7), "Retry-After is honoured")
        #expect(waited[1] >= waited[0] / 2, "the backoff grows (with jitter)")
    }

    /// Answers with nothing to handle (the echoes of the bot's own messages) are not a write each: their cursor
    /// is kept in memory and polled from, written with the next batch that holds an event, after
    /// `deferredCursorLimit`, and when the loop ends.
    @Test func emptyAnswersDeferTheirCursorUntilABatchATimeLimitOrTheEnd() async throws {
        let h = try harness()
        let (engine, chat) = (h.engine, h.chat)
        let invite = ChatEvent(
            id: "$i", room: "!r", sender: "@anna:kommun.se", kind: .invite(isDirect: true, encrypted: false), timestamp: Date())
        let clock = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        chat.queue([
            .success(ChatBatch(events: [], cursor: "s1")),  // the first cursor is always written
            .success(ChatBatch(events: [], cursor: "s2")),
            .success(ChatBatch(events: [], cursor: "s3")),
        ])
        let sync = SyncService(chat: chat, engine: engine, wake: WakeSignal(), logger: quietLogger, now: { clock.withLock { $0 } })
        let task = Task { try await sync.loop() }
        try await waitUntil("the three answers are read") { chat.state.withLock { $0.polls.count } >= 4 }
        #expect(try engine.cursor() == "s1", "the empty answers after the first are not written")
        #expect(chat.state.withLock { $0.polls }.prefix(4) == [nil, "s1", "s2", "s3"], "but polled from")
        // A batch with an event writes its own cursor.
        chat.queue([.success(ChatBatch(events: [invite], cursor: "s4"))])
        try await waitUntil("the batch is committed") { try engine.cursor() == "s4" }
        // Empty again, then past the time limit: the next empty answer is written.
        chat.queue([.success(ChatBatch(events: [], cursor: "s5"))])
        try await waitUntil("s5 is read") { chat.state.withLock { $0.polls }.contains("s5") }
        #expect(try engine.cursor() == "s4")
        clock.withLock { $0 += SyncService.deferredCursorLimit + 1 }
        chat.queue([.success(ChatBatch(events: [], cursor: "s6"))])
        try await waitUntil("s6 is written after the limit") { try engine.cursor() == "s6" }
        // The end of the loop writes what it kept.
        chat.queue([.success(ChatBatch(events: [], cursor: "s7"))])
        try await waitUntil("s7 is read") { chat.state.withLock { $0.polls }.contains("s7") }
        #expect(try engine.cursor() == "s6")
        task.cancel()
        try await task.value
        #expect(try engine.cursor() == "s7")
    }

    @Test func refusedCredentialsStopTheBotWithAClearError() async throws {
        let h = try harness()
        let (engine, chat) = (h.engine, h.chat)
        chat.state.withLock { $0.connectResult = .failure(ChatError(.unauthorized, "M_UNKNOWN_TOKEN and no password")) }
        let sync = SyncService(chat: chat, engine: engine, wake: WakeSignal(), logger: quietLogger, sleep: { _ in })
        await #expect(throws: ChatError.self) { try await sync.loop() }
    }

    @Test func credentialsOfAnotherAccountAreRefused() async throws {
        let h = try harness()
        let (engine, chat) = (h.engine, h.chat)
        chat.state.withLock { $0.connectResult = .success("@someone-else:kommun.se") }
        let sync = SyncService(chat: chat, engine: engine, wake: WakeSignal(), logger: quietLogger, sleep: { _ in })
        await #expect(throws: ChatError.self) { try await sync.loop() }
    }

    @Test func malformedCrashpointsAreIgnored() {
        // Reaching an unset or malformed crashpoint must never kill the test process.
        for specification in [nil, "", "after-commit", "after-commit:x", "somewhere:1", "after-send:0"] {
            let points = Crashpoints(specification: specification)
            points.reached(.afterCommit)
            points.reached(.afterSend)
        }
    }
}
