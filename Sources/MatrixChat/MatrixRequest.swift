import Chat
import ChatHTTP
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
    /// Contents the answer's reading may leave out (the bot's own messages in a `/sync`).
    var skippedContent: JSON.SkippedContent?
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

extension Duration {
    /// Whole milliseconds, for logs and the sync timeout; saturates instead of trapping.
    var milliseconds: Int64 { clampedMilliseconds }
}

extension MatrixChatService {
    /// The one way to the homeserver: builds the request, retries what may be retried, renews the
    /// session once on an expired token, and classifies every failure as a `ChatError`
    /// (or `CancellationError` when the task is cancelled, never retried).
    func call(
        _ method: String, _ path: String, query: [(String, String)] = [], body: JSON? = nil, encodedBody: Data? = nil,
        upload: (data: Data, contentType: String)? = nil, policy: CallPolicy
    ) async throws -> JSON {
        var http = HTTPCall(
            server: "Matrix", method: method, url: MatrixPath.url(base: config.homeserver, path: path, query: query, api: policy.api),
            path: path, body: upload?.data ?? encodedBody ?? body?.encoded, contentType: upload?.contentType, timeout: policy.timeout,
            idempotent: policy.idempotent, transientRetries: policy.transientRetries,
            backoff: Backoff(initial: config.retry.backoffInitial, maximum: config.retry.backoffMaximum),
            randomSource: randomSource, logger: logger, sleep: sleep)
        let client = policy.useSyncClient ? syncClient : sendClient
        var renewed = false
        // Logged instead of the URL: the path without the query (the query may hold a long filter).
        let label = http.label

        while true {
            try Task.checkCancellation()
            var token: String?
            switch policy.auth {
            case .none: break
            case .session: token = try await currentSession().accessToken
            case .token(let given): token = given
            }
            let authorization = token.map { [(name: "Authorization", value: "Bearer \($0)")] } ?? []
            guard let response = try await http.send(headers: authorization, on: client) else { continue }

            switch response.status {
            case 200..<300:
                if response.body.isEmpty { return .object([:]) }
                guard let json = HTTPCall.parse(response.body, watched: policy.watched, skipping: policy.skippedContent),
                    json.object != nil
                else {
                    throw ChatError(.badResponse, "\(label): the answer is not a JSON object (HTTP \(response.status))")
                }
                return json

            case 429:
                let error = MatrixErrorBody(response.body)
                // A server's number may be anything (`Retry-After: 9223372036854775807`, an HTTP date,
                // `retry_after_ms: 1e300`): `ServerNumber` clamps it to at most an hour, never trapping.
                let headerWait = response.header("Retry-After").flatMap { ServerNumber.retryAfter(header: $0, now: now()) }
                let bodyWait = error.retryAfterMs.flatMap { ServerNumber.wait(milliseconds: $0) }
                let delay = try http.rateLimitDelay(
                    hinted: [headerWait, bodyWait].compactMap { $0 }.max(), retries: config.retry.rateLimitRetries,
                    maxWait: config.retry.maxRateLimitWait, serverCode: error.errcode)
                // A zero budget (the sender's default) hands every 429 back, even one that asks for no wait.
                if let budget = policy.rateLimitBudget, budget <= .zero || http.rateLimitSlept + delay > budget {
                    throw ChatError(
                        .rateLimited, "\(label): rate-limited; handed back to be retried later",
                        retryAfter: delay, serverCode: error.errcode)
                }
                try await http.waitOutRateLimit(delay)
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
                try await http.retryServerError(response.status)
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
