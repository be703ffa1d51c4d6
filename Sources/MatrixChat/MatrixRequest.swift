import Chat
import CrashGuard
import CurlHTTP
import Foundation

/// How one call to the homeserver may be retried.
struct CallPolicy: Sendable {
    enum Auth: Sendable {
        /// No token (login).
        case none
        /// The current session's token; a 401 may renew the session once and retry.
        case session
        /// This token exactly (checking a stored or configured token); a 401 is final.
        case token(String)
    }

    var auth: Auth = .session
    /// Retries for network errors and 5xx.
    var transientRetries: Int
    /// False for requests that must not run twice (room creation): only failures that surely did not reach
    /// the server (connection refused, 429) are retried then.
    var idempotent = true
    var timeout: Duration
    /// Which HTTP client carries the request.
    var useSyncClient = false
    /// The API the path belongs to (the client API, or the media API for uploads).
    var api = MatrixPath.clientAPI
    /// The input the answer is, for the crash guard: its decoding is watched (the change feed).
    var watched: InFlight?
    /// The most this call sleeps on 429s in all; nil: the retry policy's `maxRateLimitWait` per wait.
    /// The outbox sender's calls (send, join, leave, room creation, upload) use `maxSendRateLimitWait`
    /// (zero by default: no sleep at all): a longer wait is handed back as `.rateLimited`, so one room's rate
    /// limit pauses that room only instead of every room behind it.
    var rateLimitBudget: Duration?
}

/// A parsed Matrix error body.
struct MatrixErrorBody: Sendable {
    var errcode: String?
    var error: String?
    var softLogout: Bool
    var retryAfterMs: Double?

    init(_ data: Data) {
        let json = try? JSON.parse(data)
        errcode = json?["errcode"]?.string
        error = json?["error"]?.string
        softLogout = json?["soft_logout"]?.bool ?? false
        retryAfterMs = json?["retry_after_ms"]?.number
    }

    /// The server's own words, shortened for a log line.
    var summary: String {
        let text = error.map { String($0.prefix(200)) } ?? "no error text"
        return errcode.map { "\($0): \(text)" } ?? text
    }
}

/// A random source for `Backoff` built from a closure, so tests can make jitter deterministic.
struct ClosureRandom: RandomNumberGenerator {
    var source: @Sendable () -> UInt64
    mutating func next() -> UInt64 { source() }
}

extension Duration {
    /// Whole milliseconds, for logs and the sync timeout; saturates instead of trapping.
    var milliseconds: Int64 { clampedMilliseconds }
}

extension MatrixChatService {
    /// The one way to the homeserver: builds the request, retries what may be retried, renews the
    /// session once on an expired token, and classifies every failure as a `ChatError`
    /// (or `CancellationError` when the task is cancelled, never retried).
    func call(
        _ method: String, _ path: String, query: [(String, String)] = [], body: JSON? = nil,
        upload: (data: Data, contentType: String)? = nil, policy: CallPolicy
    ) async throws -> JSON {
        let url = MatrixPath.url(base: config.homeserver, path: path, query: query, api: policy.api)
        let bodyData = upload?.data ?? body?.encoded
        let client = policy.useSyncClient ? syncClient : sendClient
        var backoff = Backoff(initial: config.retry.backoffInitial, maximum: config.retry.backoffMaximum)
        var random = ClosureRandom(source: randomSource)
        var transientFailures = 0
        var rateLimited = 0
        var rateLimitSlept = Duration.zero
        var renewed = false
        // Logged instead of the URL: the path without the query (the query may hold a long filter).
        let label = "\(method) \(path)"

        while true {
            try Task.checkCancellation()
            var headers: [(name: String, value: String)] = [("Accept", "application/json")]
            var token: String?
            switch policy.auth {
            case .none: break
            case .session: token = try await currentSession().accessToken
            case .token(let given): token = given
            }
            if let token { headers.append(("Authorization", "Bearer \(token)")) }
            if bodyData != nil { headers.append(("Content-Type", upload?.contentType ?? "application/json")) }
            var request = HTTPRequest(method: method, url: url, headers: headers, body: bodyData, timeout: policy.timeout)
            request.idempotent = policy.idempotent

            /// Sleeps before the next try of a network error or 5xx, or throws `.transient` when the
            /// retries are spent.
            func retryTransient(_ reason: String) async throws {
                guard transientFailures < policy.transientRetries else {
                    throw ChatError(.transient, "\(label) failed after \(transientFailures + 1) tries: \(reason)")
                }
                transientFailures += 1
                let delay = backoff.next(using: &random)
                logger.warning(
                    "Matrix request failed; retrying",
                    metadata: [
                        "matrix.request": "\(label)", "matrix.reason": "\(reason)",
                        "matrix.retry": "\(transientFailures)", "matrix.delay_ms": "\(delay.milliseconds)",
                    ])
                try await sleep(delay)
            }

            let response: HTTPResponse
            do {
                response = try await client.execute(request)
            } catch {
                // `execute` throws only HTTPError (typed); a plain catch avoids a compiler crash.
                if error.code == .cancelled || Task.isCancelled { throw CancellationError() }
                switch error.code {
                case .connectionFailed:
                    try await retryTransient(error.label)
                    continue
                case .timedOut, .transport:
                    guard policy.idempotent else {
                        throw ChatError(.transient, "\(label): \(error.label); not retried (the request may have arrived)")
                    }
                    try await retryTransient(error.label)
                    continue
                case .responseTooLarge:
                    throw ChatError(.tooLarge, "\(label): the answer was too large (\(error.message))")
                case .invalidRequest, .cancelled:
                    throw ChatError(.rejected, "\(label): invalid request: \(error.message)")
                }
            }
            if Task.isCancelled { throw CancellationError() }

            switch response.status {
            case 200..<300:
                if response.body.isEmpty { return .object([:]) }
                let parsed: JSON?
                if let watched = policy.watched {
                    parsed = CrashGuard.watch(watched) { try? JSON.parse(response.body) }
                } else {
                    parsed = try? JSON.parse(response.body)
                }
                guard let json = parsed, json.object != nil else {
                    throw ChatError(.badResponse, "\(label): the answer is not a JSON object (HTTP \(response.status))")
                }
                return json

            case 429:
                let error = MatrixErrorBody(response.body)
                // A server's number may be anything (`Retry-After: 9223372036854775807`, an HTTP date,
                // `retry_after_ms: 1e300`): `ServerNumber` clamps it to at most an hour, never trapping.
                let headerWait = response.header("Retry-After").flatMap { ServerNumber.retryAfter(header: $0, now: now()) }
                let bodyWait = error.retryAfterMs.flatMap { ServerNumber.wait(milliseconds: $0) }
                let hinted = [headerWait, bodyWait].compactMap { $0 }.max()
                guard rateLimited < config.retry.rateLimitRetries else {
                    throw ChatError(
                        .rateLimited, "\(label): still rate-limited after \(rateLimited) waits",
                        retryAfter: hinted ?? backoff.ceiling, serverCode: error.errcode)
                }
                if let hinted, hinted > config.retry.maxRateLimitWait {
                    throw ChatError(
                        .rateLimited, "\(label): rate-limited for longer than this request waits",
                        retryAfter: hinted, serverCode: error.errcode)
                }
                let delay = hinted ?? backoff.next(using: &random)
                // A zero budget (the sender's default) hands every 429 back, even one that asks for no wait.
                if let budget = policy.rateLimitBudget, budget <= .zero || rateLimitSlept + delay > budget {
                    throw ChatError(
                        .rateLimited, "\(label): rate-limited; handed back to be retried later",
                        retryAfter: delay, serverCode: error.errcode)
                }
                rateLimited += 1
                rateLimitSlept += delay
                logger.warning(
                    "Matrix rate limit; waiting",
                    metadata: [
                        "matrix.request": "\(label)", "matrix.delay_ms": "\(delay.milliseconds)",
                        "matrix.retry": "\(rateLimited)",
                    ])
                try await sleep(delay)
                continue

            case 401:
                let error = MatrixErrorBody(response.body)
                if case .session = policy.auth, !renewed, let token, canRenewSession(replacing: token) {
                    renewed = true
                    logger.notice(
                        "Matrix access token no longer valid; logging in again",
                        metadata: ["matrix.soft_logout": "\(error.softLogout)", "matrix.errcode": "\(error.errcode ?? "-")"])
                    _ = try await renewSession(replacing: token)
                    continue
                }
                if case .none = policy.auth {
                    throw ChatError(
                        .unauthorized,
                        "Matrix login for \(config.userID) was refused (\(error.summary)); check SKAV_MATRIX_PASSWORD",
                        serverCode: error.errcode)
                }
                throw unauthorized(error, label: label)

            case 403:
                let error = MatrixErrorBody(response.body)
                if error.errcode == "M_USER_DEACTIVATED" { throw unauthorized(error, label: label) }
                if case .none = policy.auth {
                    // A refused login: wrong password or a locked account.
                    throw ChatError(
                        .unauthorized,
                        "Matrix login for \(config.userID) was refused (\(error.summary)); check SKAV_MATRIX_PASSWORD",
                        serverCode: error.errcode)
                }
                throw ChatError(.forbidden, "\(label): \(error.summary)", serverCode: error.errcode)

            case 408, 500...599:
                guard policy.idempotent else {
                    throw ChatError(.transient, "\(label): HTTP \(response.status); not retried (the request may have arrived)")
                }
                try await retryTransient("HTTP \(response.status)")
                continue

            default:
                let error = MatrixErrorBody(response.body)
                throw ChatError(.rejected, "\(label): HTTP \(response.status) \(error.summary)", serverCode: error.errcode)
            }
        }
    }

    func unauthorized(_ error: MatrixErrorBody, label: String) -> ChatError {
        let why = error.softLogout ? "the session was soft-logged-out" : "the access token is not valid"
        let fix =
            config.password == nil
            ? "set SKAV_MATRIX_PASSWORD to let the bot log in again, or give a new SKAV_MATRIX_ACCESS_TOKEN"
            : "check the account and SKAV_MATRIX_PASSWORD"
        return ChatError(
            .unauthorized, "Matrix refused \(config.userID) (\(label)): \(why); \(fix)", serverCode: error.errcode)
    }
}
