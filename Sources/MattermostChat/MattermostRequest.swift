import Chat
import ChatHTTP
import CrashGuard
import CurlHTTP
import Foundation

/// How one call to the server may be retried.
struct CallPolicy: Sendable {
    /// Retries for network errors and 5xx.
    var transientRetries: Int
    /// False for requests that must not run twice: only failures that surely did not reach the server
    /// (connection refused, 429) are retried then.
    var idempotent = true
    var timeout: Duration
    /// Which HTTP client carries the request: the poll's own, or the one shared by sends.
    var usePollClient = false
    /// Whether a 429 is slept out here (a poll's requests) or thrown at once as `.rateLimited` (the outbox
    /// sender's calls: the sender paces the room, and one room's limit must not hold every other room).
    var waitOutRateLimits = false
    /// The input the answer is, for the crash guard: its decoding is watched (the change feed).
    var watched: InFlight?
}

/// A parsed Mattermost error body: `{id, message, detailed_error, request_id, status_code}`. A 429's body
/// is plain text; anything unreadable leaves every field nil.
struct MattermostErrorBody: Sendable {
    var id: String?
    var message: String?
    var detailedError: String?
    var requestID: String?

    init(_ data: Data) {
        let json = data.count <= 65_536 ? try? JSON.parse(data) : nil
        id = json?["id"]?.string
        message = json?["message"]?.string
        detailedError = json?["detailed_error"]?.string
        requestID = json?["request_id"]?.string
        if json == nil, !data.isEmpty {
            // A plain-text body (a 429's `limit exceeded`, a proxy's page): its first line, shortened.
            let text = String(decoding: data.prefix(200), as: UTF8.self)
            message = text.split(whereSeparator: \.isNewline).first.map(String.init)
        }
    }

    /// The server's own words, shortened for a log line.
    var summary: String {
        let text = message.map { String($0.prefix(200)) } ?? "no error text"
        return id.map { "\($0): \(text)" } ?? text
    }
}

/// The server's answer: the parsed body (an object or an array) and the response, for its headers.
struct Answer: Sendable {
    var json: JSON
    var response: HTTPResponse

    /// The server's clock from the `Date` header, in milliseconds since 1970; nil without one.
    var serverMilliseconds: Int64? {
        response.header("Date").flatMap(ServerNumber.httpDate).flatMap { PostFeed.milliseconds($0.timeIntervalSince1970 * 1000) }
    }
}

/// The server code of a post whose `pending_post_id` is being saved by an earlier request right now.
let dedupePendingCode = "api.post.deduplicate_create_post.pending"

/// Reads a 429's wait from `Retry-After` (seconds or an HTTP date) and `X-Ratelimit-Reset` (relative
/// seconds on Mattermost; epoch seconds in some documentation: a value past 10^9 is read as a moment);
/// the longer of the two, clamped to at most an hour. Nil when neither header says anything.
func rateLimitWait(_ response: HTTPResponse, now: Date) -> Duration? {
    let retryAfter = response.header("Retry-After").flatMap { ServerNumber.retryAfter(header: $0, now: now) }
    var reset: Duration?
    if let text = response.header("X-Ratelimit-Reset")?.trimmingCharacters(in: .whitespaces), !text.isEmpty,
        text.utf8.count <= 64, let value = Double(text), value.isFinite
    {
        if value >= 1_000_000_000 {
            // An epoch second: the server's clock (its `Date`) when it sent one, else ours.
            let serverNow = response.header("Date").flatMap(ServerNumber.httpDate) ?? now
            reset = ServerNumber.wait(seconds: value - serverNow.timeIntervalSince1970)
        } else {
            reset = ServerNumber.wait(seconds: value)
        }
    }
    return [retryAfter, reset].compactMap { $0 }.max()
}

extension MattermostChatService {
    /// The one way to the server: builds the request, retries what may be retried, and classifies every
    /// failure as a `ChatError` (or `CancellationError` when the task is cancelled, never retried).
    func call(
        _ method: String, _ path: String, query: [(String, String)] = [], body: JSON? = nil,
        upload: (data: Data, contentType: String)? = nil, policy: CallPolicy
    ) async throws -> Answer {
        guard let token = config.token, !token.isEmpty else {
            throw ChatError(.unauthorized, "No Mattermost token: set SKAV_MATTERMOST_TOKEN or mattermost.token_file")
        }
        var http = HTTPCall(
            server: "Mattermost", method: method, url: MattermostPath.url(base: config.url, path: path, query: query),
            path: path, body: upload?.data ?? body?.encoded, contentType: upload?.contentType, timeout: policy.timeout,
            idempotent: policy.idempotent, transientRetries: policy.transientRetries,
            backoff: Backoff(initial: config.retry.backoffInitial, maximum: config.retry.backoffMaximum),
            randomSource: randomSource, logger: logger, sleep: sleep)
        let client = policy.usePollClient ? pollClient : sendClient
        let label = http.label
        let headers = [
            (name: "Authorization", value: "Bearer \(token)"),
            // Mattermost's CSRF check passes requests that say they are not from a browser.
            (name: "X-Requested-With", value: "XMLHttpRequest"),
        ]

        while true {
            try Task.checkCancellation()
            guard let response = try await http.send(headers: headers, on: client) else { continue }

            switch response.status {
            case 200..<300:
                if response.body.isEmpty { return Answer(json: .object([:]), response: response) }
                guard let json = HTTPCall.parse(response.body, watched: policy.watched), json.object != nil || json.array != nil else {
                    throw ChatError(.badResponse, "\(label): the answer is not JSON (HTTP \(response.status))")
                }
                return Answer(json: json, response: response)

            case 429:
                // The body is plain text (`limit exceeded`); the wait is in the headers, clamped.
                let hinted = rateLimitWait(response, now: now())
                guard policy.waitOutRateLimits else {
                    throw ChatError(
                        .rateLimited, "\(label): rate-limited; handed back to be retried later",
                        retryAfter: hinted ?? http.backoffCeiling)
                }
                let delay = try http.rateLimitDelay(
                    hinted: hinted, retries: config.retry.rateLimitRetries, maxWait: config.retry.maxRateLimitWait)
                try await http.waitOutRateLimit(delay)
                continue

            case 401:
                let error = MattermostErrorBody(response.body)
                throw ChatError(
                    .unauthorized,
                    "Mattermost refused the bot's token (\(label): \(error.summary)); give a valid SKAV_MATTERMOST_TOKEN",
                    serverCode: error.id)

            case 403:
                let error = MattermostErrorBody(response.body)
                throw ChatError(.forbidden, "\(label): \(error.summary)", serverCode: error.id)

            case 500 where MattermostErrorBody(response.body).id == dedupePendingCode:
                // The same `pending_post_id` is being saved by an earlier try right now: asking again with
                // the same id returns that post once it is saved, so this is safe even for a post.
                try await http.retryTransient("\(dedupePendingCode)")
                continue

            case 408, 500...599:
                try await http.retryServerError(response.status)
                continue

            default:
                let error = MattermostErrorBody(response.body)
                throw ChatError(.rejected, "\(label): HTTP \(response.status) \(error.summary)", serverCode: error.id)
            }
        }
    }
}

/// Building API v4 URLs.
enum MattermostPath {
    /// Percent-encodes everything outside RFC 3986 "unreserved", for one path segment or a query value.
    static func encode(_ text: String) -> String { HTTPPath.encode(text) }

    static let api = "/api/v4"

    /// `base` + `/api/v4` + `path` + the encoded query.
    static func url(base: String, path: String, query: [(String, String)]) -> String {
        HTTPPath.url(base: base, api: api, path: path, query: query)
    }
}
