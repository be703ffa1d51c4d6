import Chat
import CurlHTTP
import Foundation
import SkavTesting
import Testing

@testable import MatrixChat

@Suite("Matrix retries")
struct RetryTests {
    private let message = OutgoingMessage(txnID: "txn-1", room: "!r:hs", body: "hej")

    /// A send's 429 is never slept out inside the call (`maxSendRateLimitWait` is zero by default): it is
    /// thrown as `.rateLimited` with the server's wait, once, and the sender pauses that room.
    private func handedBack(
        _ h: Harness, retryAfter: Duration?, sourceLocation: SourceLocation = #_sourceLocation
    ) async {
        let error = await #expect(throws: ChatError.self, sourceLocation: sourceLocation) {
            try await h.service.send(message)
        }
        #expect(error?.code == .rateLimited, sourceLocation: sourceLocation)
        if let retryAfter { #expect(error?.retryAfter == retryAfter, sourceLocation: sourceLocation) }
        #expect(h.sleeper.durations.isEmpty, "no sleep inside the send", sourceLocation: sourceLocation)
        #expect(h.send.requests.filter { $0.method == "PUT" }.count == 1, "one try", sourceLocation: sourceLocation)
    }

    @Test("429 with a Retry-After header: handed back at once with that wait, nothing slept")
    func retryAfterHeader() async throws {
        let h = try await connected(send: [
            .json(429, "error_limit_exceeded_no_ms", headers: ["retry-after": "3"]), .json(200, "send_ok"),
        ])
        await handedBack(h, retryAfter: .seconds(3))
        #expect(h.send.remaining == 1, "the 200 is left for the sender's own retry")
    }

    @Test("429 with retry_after_ms in the body: handed back with that wait")
    func retryAfterBody() async throws {
        let h = try await connected(send: [.json(429, "error_limit_exceeded"), .json(200, "send_ok")])
        await handedBack(h, retryAfter: .milliseconds(2500))
    }

    @Test("both hints: the longer wait is handed back")
    func bothHints() async throws {
        let h = try await connected(send: [
            .json(429, "error_limit_exceeded", headers: ["retry-after": "4"]), .json(200, "send_ok"),
        ])
        await handedBack(h, retryAfter: .seconds(4))
    }

    @Test("with a budget configured, a send may still wait out short 429s and retries with the same txn id")
    func budgetedRetryKeepsTxnID() async throws {
        let h = try await connected(send: [
            .json(429, "error_limit_exceeded_no_ms", headers: ["retry-after": "3"]), .json(200, "send_ok"),
        ]) { $0.retry.maxSendRateLimitWait = .seconds(5) }
        _ = try await h.service.send(message)
        #expect(h.sleeper.durations == [.seconds(3)])
        let sends = h.send.requests.filter { $0.method == "PUT" }
        #expect(sends.count == 2)
        #expect(sends[0].url == sends[1].url)
    }

    @Test("still limited after 5 waits: rateLimited with retryAfter")
    func rateLimitExhausted() async throws {
        // A send hands back a rate limit after 5 s of waits; here it may wait them all out.
        let h = try await connected(send: Array(repeating: .json(429, "error_limit_exceeded"), count: 6)) {
            $0.retry.maxSendRateLimitWait = .seconds(60)
        }
        let error = await #expect(throws: ChatError.self) { try await h.service.send(message) }
        #expect(error?.code == .rateLimited)
        #expect(error?.retryAfter == .milliseconds(2500))
        #expect(error?.serverCode == "M_LIMIT_EXCEEDED")
        #expect(h.sleeper.durations == Array(repeating: .milliseconds(2500), count: 5))
    }

    @Test("a wait longer than the cap is handed to the caller at once")
    func rateLimitTooLong() async throws {
        let h = try await connected(send: [.raw(429, #"{"errcode":"M_LIMIT_EXCEEDED","retry_after_ms":3600000}"#)])
        let error = await #expect(throws: ChatError.self) { try await h.service.send(message) }
        #expect(error?.code == .rateLimited)
        #expect(error?.retryAfter == .seconds(3600))
        #expect(h.sleeper.durations.isEmpty)
    }

    @Test("an absurd retry_after_ms (1e300, negative) is clamped, never a crash")
    func absurdRetryAfter() async throws {
        let h = try await connected(send: [.raw(429, #"{"errcode":"M_LIMIT_EXCEEDED","retry_after_ms":1e300}"#)])
        let error = await #expect(throws: ChatError.self) { try await h.service.send(message) }
        #expect(error?.code == .rateLimited)
        #expect(error?.retryAfter == .seconds(3_600), "at most an hour (ServerNumber.maxRetryWait)")
        let negative = try await connected(send: [
            .raw(429, #"{"errcode":"M_LIMIT_EXCEEDED","retry_after_ms":-5}"#), .json(200, "send_ok"),
        ])
        await handedBack(negative, retryAfter: .zero)
    }

    @Test("Retry-After: 9223372036854775807 is clamped to an hour and handed back at once, never a crash")
    func absurdRetryAfterHeader() async throws {
        for value in ["9223372036854775807", "99999999999999999999999999", " 4000 "] {
            let h = try await connected(send: [
                .json(429, "error_limit_exceeded_no_ms", headers: ["retry-after": value]), .json(200, "send_ok"),
            ])
            let error = await #expect(throws: ChatError.self, "\(value)") { try await h.service.send(message) }
            #expect(error?.code == .rateLimited)
            #expect(h.sleeper.durations.isEmpty, "a send must not sleep out a long wait: it holds every room")
            #expect(error?.retryAfter == .seconds(3_600), "\(value)")
        }
        // Neither delay-seconds nor an HTTP date: no hint, a short backoff is handed back.
        let garbage = try await connected(send: [
            .json(429, "error_limit_exceeded_no_ms", headers: ["retry-after": "1e999"]), .json(200, "send_ok"),
        ])
        let error = await #expect(throws: ChatError.self) { try await garbage.service.send(message) }
        #expect(error?.code == .rateLimited)
        #expect(garbage.sleeper.durations.isEmpty)
        #expect(error?.retryAfter.map { $0 > .zero && $0 <= .milliseconds(500) } == true)
    }

    @Test("Retry-After as an HTTP date, in the past or the far future")
    func retryAfterDate() async throws {
        // The harness's clock is 2027-01-15 08:00:00 UTC (1_800_000_000).
        let soon = try await connected(send: [
            .json(429, "error_limit_exceeded_no_ms", headers: ["retry-after": "Fri, 15 Jan 2027 08:00:03 GMT"]),
            .json(200, "send_ok"),
        ])
        await handedBack(soon, retryAfter: .seconds(3))
        let past = try await connected(send: [
            .json(429, "error_limit_exceeded_no_ms", headers: ["retry-after": "Thu, 01 Jan 1970 00:00:00 GMT"]),
            .json(200, "send_ok"),
        ])
        await handedBack(past, retryAfter: .zero)
        let far = try await connected(send: [
            .json(429, "error_limit_exceeded_no_ms", headers: ["retry-after": "Fri, 31 Dec 9999 23:59:59 GMT"]),
        ])
        let error = await #expect(throws: ChatError.self) { try await far.service.send(message) }
        #expect(error?.retryAfter == .seconds(3_600))
    }

    @Test("by default a send never sleeps on a 429: the sender paces the room")
    func sendNeverSleepsByDefault() async throws {
        #expect(MatrixRetryPolicy().maxSendRateLimitWait == .zero)
        let h = try await connected(send: [.json(429, "error_limit_exceeded_no_ms", headers: ["retry-after": "1"])])
        await handedBack(h, retryAfter: .seconds(1))
    }

    @Test("a configured maxSendRateLimitWait is slept out at most in all, then the wait is handed back")
    func sendRateLimitBudget() async throws {
        let budget: (inout MatrixConfig) -> Void = { $0.retry.maxSendRateLimitWait = .seconds(5) }
        let h = try await connected(send: [
            .json(429, "error_limit_exceeded_no_ms", headers: ["retry-after": "3"]),
            .json(429, "error_limit_exceeded_no_ms", headers: ["retry-after": "3"]),
        ], configure: budget)
        let error = await #expect(throws: ChatError.self) { try await h.service.send(message) }
        #expect(error?.code == .rateLimited)
        #expect(error?.retryAfter == .seconds(3))
        #expect(h.sleeper.durations == [.seconds(3)])
        // A wait above the budget is not slept at all.
        let long = try await connected(
            send: [.json(429, "error_limit_exceeded_no_ms", headers: ["retry-after": "60"])], configure: budget)
        let longError = await #expect(throws: ChatError.self) { try await long.service.send(message) }
        #expect(longError?.retryAfter == .seconds(60))
        #expect(long.sleeper.durations.isEmpty)
    }

    @Test("5xx is retried with growing backoff, then succeeds")
    func serverErrorsRetried() async throws {
        let h = try await connected(send: [
            .raw(502, "<html>Bad Gateway</html>"), .raw(503, ""), .failure(.connectionFailed("refused")),
            .json(200, "send_ok"),
        ])
        _ = try await h.service.send(message)
        let slept = h.sleeper.durations
        #expect(slept.count == 3)
        // Backoff(500 ms initial, doubling) with equal jitter: each delay within [ceiling/2, ceiling].
        let ceilings: [Duration] = [.milliseconds(500), .milliseconds(1000), .milliseconds(2000)]
        for (delay, ceiling) in zip(slept, ceilings) {
            #expect(delay >= ceiling / 2 && delay <= ceiling)
        }
        #expect(slept[0] < slept[1] && slept[1] < slept[2])
    }

    @Test("persistent 5xx: 4 retries, then transient")
    func serverErrorsExhausted() async throws {
        let h = try await connected(send: Array(repeating: .raw(500, #"{"errcode":"M_UNKNOWN"}"#), count: 5))
        let error = await #expect(throws: ChatError.self) { try await h.service.send(message) }
        #expect(error?.code == .transient)
        #expect(h.sleeper.durations.count == 4)
        #expect(h.send.requests.filter { $0.method == "PUT" }.count == 5)
    }

    @Test("network errors on a poll: fewer retries (the sync loop retries too), then transient")
    func pollNetworkErrors() async throws {
        let h = try await connected(
            send: [], sync: [.failure(.timedOut("t")), .failure(.transport("reset")), .failure(.connectionFailed("c"))])
        let error = await #expect(throws: ChatError.self) { try await h.service.poll(cursor: "s1") }
        #expect(error?.code == .transient)
        #expect(h.sync.requests.count == 3)
        #expect(h.sleeper.durations.count == 2)
    }

    @Test("cancellation during a backoff wait stops the retries")
    func cancelledDuringBackoff() async throws {
        // The real clock this time: the first backoff wait (≥ 250 ms, scaled ×1000) would take minutes.
        let h = Harness(send: [.json(200, "whoami"), .raw(502, "")])
        let backingOff = Counter()
        let service = MatrixChatService(
            config: MatrixConfig(homeserver: "https://matrix.example.org", userID: testUser),
            syncClient: h.sync, sendClient: h.send, credentials: h.store, logger: h.logs.logger,
            sleep: { duration in
                backingOff.increment()
                try await Task.sleep(for: duration * 1000)
            })
        _ = try await service.connect()
        let started = ContinuousClock.now
        let task = Task { try await service.send(message) }
        try await waitUntil("the send is waiting out its backoff") { backingOff.count == 1 }
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(ContinuousClock.now - started < .seconds(10))
        #expect(h.send.requests.count == 2)
    }
}

extension HTTPError {
    static func transport(_ message: String) -> HTTPError { HTTPError(.transport, message) }
}
