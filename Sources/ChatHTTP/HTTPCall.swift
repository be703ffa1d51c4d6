import Chat
import CrashGuard
import CurlHTTP
import Foundation
import Logging

/// One call of an HTTP chat adapter (Matrix, Mattermost) to its server, with the retries both make the same
/// way: a network error or a 408/5xx answer is retried with capped exponential backoff up to a count (when
/// the request may have arrived, only if it may run twice), a 429 is waited out within limits, cancellation
/// ends the call at once, and what is not retried becomes a `ChatError`. What the server's other answers
/// mean (its error bodies, 401s, 403s) stays with each adapter, which drives the loop:
///
/// ```swift
/// while true {
///     try Task.checkCancellation()
///     guard let response = try await call.send(headers: authorization, on: client) else { continue }
///     switch response.status { … }
/// }
/// ```
package struct HTTPCall {
    /// The server's name in log lines (`Matrix`); lower-cased, the prefix of their metadata keys.
    let server: String
    let method: String
    let url: String
    /// `METHOD /path`: logged and named in errors instead of the URL (its query may be long).
    package let label: String
    let body: Data?
    /// The body's `Content-Type`.
    let contentType: String
    let timeout: Duration
    /// False for requests that must not run twice: only failures that surely did not reach the server
    /// (connection refused, 429) are retried then.
    let idempotent: Bool
    /// Retries for network errors and 5xx.
    let transientRetries: Int
    let logger: Logger
    let sleep: @Sendable (Duration) async throws -> Void
    var backoff: Backoff
    var random: ClosureRandom
    var transientFailures = 0
    /// The 429s waited out so far, and how long they slept in all.
    var rateLimited = 0
    package private(set) var rateLimitSlept = Duration.zero

    package init(
        server: String, method: String, url: String, path: String, body: Data?, contentType: String?,
        timeout: Duration, idempotent: Bool, transientRetries: Int, backoff: Backoff,
        randomSource: @escaping @Sendable () -> UInt64, logger: Logger, sleep: @escaping @Sendable (Duration) async throws -> Void
    ) {
        self.server = server
        self.method = method
        self.url = url
        self.label = "\(method) \(path)"
        self.body = body
        self.contentType = contentType ?? "application/json"
        self.timeout = timeout
        self.idempotent = idempotent
        self.transientRetries = transientRetries
        self.backoff = backoff
        self.random = ClosureRandom(source: randomSource)
        self.logger = logger
        self.sleep = sleep
    }

    var metadataPrefix: String { server.lowercased() }

    /// One try: the request with `Accept: application/json`, these headers and, with a body, its
    /// `Content-Type`. Nil when a network failure was retried (slept out): the caller tries again.
    package mutating func send(headers: [(name: String, value: String)], on client: any HTTPClient) async throws -> HTTPResponse? {
        var all: [(name: String, value: String)] = [("Accept", "application/json")] + headers
        if body != nil { all.append(("Content-Type", contentType)) }
        var request = HTTPRequest(method: method, url: url, headers: all, body: body, timeout: timeout)
        request.idempotent = idempotent

        let response: HTTPResponse
        do {
            response = try await client.execute(request)
        } catch {
            // `execute` throws only HTTPError (typed); a plain catch avoids a compiler crash.
            if error.code == .cancelled || Task.isCancelled { throw CancellationError() }
            switch error.code {
            case .connectionFailed:
                try await retryTransient(error.label)
                return nil
            case .timedOut, .transport:
                guard idempotent else {
                    throw ChatError(.transient, "\(label): \(error.label); not retried (the request may have arrived)")
                }
                try await retryTransient(error.label)
                return nil
            case .responseTooLarge:
                throw ChatError(.tooLarge, "\(label): the answer was too large (\(error.message))")
            case .invalidRequest, .cancelled:
                throw ChatError(.rejected, "\(label): invalid request: \(error.message)")
            }
        }
        if Task.isCancelled { throw CancellationError() }
        return response
    }

    /// Sleeps before the next try of a network error or 5xx, or throws `.transient` when the retries are spent.
    package mutating func retryTransient(_ reason: String) async throws {
        guard transientFailures < transientRetries else {
            throw ChatError(.transient, "\(label) failed after \(transientFailures + 1) tries: \(reason)")
        }
        transientFailures += 1
        let delay = backoff.next(using: &random)
        logger.warning(
            "\(server) request failed; retrying",
            metadata: [
                "\(metadataPrefix).request": "\(label)", "\(metadataPrefix).reason": "\(reason)",
                "\(metadataPrefix).retry": "\(transientFailures)", "\(metadataPrefix).delay_ms": "\(delay.clampedMilliseconds)",
            ])
        try await sleep(delay)
    }

    /// A 408 or 5xx answer: retried like a network error when the request may run twice, else `.transient`.
    package mutating func retryServerError(_ status: Int) async throws {
        guard idempotent else {
            throw ChatError(.transient, "\(label): HTTP \(status); not retried (the request may have arrived)")
        }
        try await retryTransient("HTTP \(status)")
    }

    /// How long to wait out a 429: the server's hint, else the next backoff delay. Throws `.rateLimited`
    /// when this call has waited out `retries` 429s already or the hint is longer than `maxWait`.
    package mutating func rateLimitDelay(hinted: Duration?, retries: Int, maxWait: Duration, serverCode: String? = nil) throws -> Duration {
        guard rateLimited < retries else {
            throw ChatError(
                .rateLimited, "\(label): still rate-limited after \(rateLimited) waits",
                retryAfter: hinted ?? backoff.ceiling, serverCode: serverCode)
        }
        if let hinted, hinted > maxWait {
            throw ChatError(
                .rateLimited, "\(label): rate-limited for longer than this request waits", retryAfter: hinted, serverCode: serverCode)
        }
        return hinted ?? backoff.next(using: &random)
    }

    /// The ceiling of the next backoff delay: the wait a handed-back 429 without a hint suggests.
    package var backoffCeiling: Duration { backoff.ceiling }

    /// Sleeps out a 429 (after `rateLimitDelay`).
    package mutating func waitOutRateLimit(_ delay: Duration) async throws {
        rateLimited += 1
        rateLimitSlept += delay
        logger.warning(
            "\(server) rate limit; waiting",
            metadata: [
                "\(metadataPrefix).request": "\(label)", "\(metadataPrefix).delay_ms": "\(delay.clampedMilliseconds)",
                "\(metadataPrefix).retry": "\(rateLimited)",
            ])
        try await sleep(delay)
    }

    /// A successful answer's body parsed as JSON (nil when it is not JSON), its decoding watched by the crash
    /// guard when it is an input (the change feed).
    /// `skipping`: contents it may leave out (`JSON.parse(_:skipping:)`).
    package static func parse(_ body: Data, watched: InFlight?, skipping: JSON.SkippedContent? = nil) -> JSON? {
        guard let watched else { return try? JSON.parse(body, skipping: skipping) }
        return CrashGuard.watch(watched) { try? JSON.parse(body, skipping: skipping) }
    }
}

/// A random source for `Backoff` built from a closure, so tests can make jitter deterministic.
struct ClosureRandom: RandomNumberGenerator {
    var source: @Sendable () -> UInt64
    mutating func next() -> UInt64 { source() }
}
