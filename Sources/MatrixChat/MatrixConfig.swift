import Foundation

/// How the Matrix adapter reaches and authenticates with its homeserver.
///
/// Secrets (`password`, `accessToken`) come from the environment or files, never from the YAML config;
/// `description` never shows them.
public struct MatrixConfig: Sendable, CustomStringConvertible {
    /// The homeserver's base URL, e.g. `https://matrix.example.org` (no `/_matrix` suffix).
    public var homeserver: String
    /// The bot's full Matrix id, e.g. `@skav:example.org`.
    public var userID: String
    /// The device id to log in with. Kept stable so that transaction ids keep de-duplicating sends
    /// across re-logins.
    public var deviceID: String
    /// `SKAV_MATRIX_PASSWORD`: enables password login and automatic re-login.
    public var password: String?
    /// `SKAV_MATRIX_ACCESS_TOKEN`: a ready token; used when no stored credentials work.
    public var accessToken: String?
    /// How long the server may hold a `/sync` long poll open.
    public var syncTimeout: Duration
    /// The deadline of every request other than the long poll.
    public var requestTimeout: Duration
    /// Retry and backoff limits.
    public var retry: MatrixRetryPolicy
    /// The most timeline events one room may bring per sync.
    public var timelineLimit: Int
    /// When a room's timeline is `limited`, at most this many pages of 100 events are fetched to fill the gap.
    public var gapFillMaxPages: Int
    /// Store the long poll's filter on the server once and name it by its id in every `/sync`, instead of
    /// its JSON in every URL (libcurl's handling of that URL was about a tenth of a message's CPU). Off in
    /// tests that script every request; when the server will not store it, the filter goes inline.
    public var storesSyncFilter = true

    public init(
        homeserver: String,
        userID: String,
        deviceID: String = "SKAV",
        password: String? = nil,
        accessToken: String? = nil,
        syncTimeout: Duration = .seconds(30),
        requestTimeout: Duration = .seconds(20),
        retry: MatrixRetryPolicy = MatrixRetryPolicy(),
        timelineLimit: Int = 50,
        gapFillMaxPages: Int = 5
    ) {
        self.homeserver = homeserver
        self.userID = userID
        self.deviceID = deviceID
        self.password = password
        self.accessToken = accessToken
        self.syncTimeout = syncTimeout
        self.requestTimeout = requestTimeout
        self.retry = retry
        self.timelineLimit = timelineLimit
        self.gapFillMaxPages = gapFillMaxPages
    }

    /// The HTTP deadline of a long poll: the sync timeout plus a margin, so the server always answers first.
    public var syncRequestTimeout: Duration { syncTimeout + .seconds(15) }

    public var description: String {
        "MatrixConfig(homeserver: \(homeserver), userID: \(userID), deviceID: \(deviceID), "
            + "password: \(password == nil ? "none" : "<redacted>"), "
            + "accessToken: \(accessToken == nil ? "none" : "<redacted>"), syncTimeout: \(syncTimeout))"
    }
}

/// Bounds of the adapter's own retries. The bot's loops retry on top of these (a `poll` that throws
/// `.transient` is simply polled again).
public struct MatrixRetryPolicy: Sendable, Equatable {
    /// Network errors and 5xx answers are retried this many times for sends, joins and other requests.
    public var requestRetries: Int
    /// … and this many times for `/sync` (the sync loop retries on its own).
    public var pollRetries: Int
    /// How many 429 answers one request waits out before it throws `.rateLimited`.
    public var rateLimitRetries: Int
    /// A 429 asking for a longer wait than this is not waited out here: `.rateLimited` is thrown at once
    /// with `retryAfter`, so the caller can schedule the work.
    public var maxRateLimitWait: Duration
    /// The calls of the outbox sender (send, join, leave, room creation, upload) sleep out 429s only while
    /// their waits add up to at most this; a longer wait is thrown as `.rateLimited` with `retryAfter` at
    /// once, and the outbox sender pauses that room alone (the sender is shared by every room). The default,
    /// zero, never sleeps inside such a call: every 429 is handed back at once and the sender paces the room
    /// (and bulk) itself, without holding a send slot.
    public var maxSendRateLimitWait: Duration
    /// Backoff for network errors and 5xx (capped exponential with jitter, `Chat.Backoff`).
    public var backoffInitial: Duration
    public var backoffMaximum: Duration

    public init(
        requestRetries: Int = 4,
        pollRetries: Int = 2,
        rateLimitRetries: Int = 5,
        maxRateLimitWait: Duration = .seconds(300),
        maxSendRateLimitWait: Duration = .zero,
        backoffInitial: Duration = .milliseconds(500),
        backoffMaximum: Duration = .seconds(30)
    ) {
        self.requestRetries = requestRetries
        self.pollRetries = pollRetries
        self.rateLimitRetries = rateLimitRetries
        self.maxRateLimitWait = maxRateLimitWait
        self.maxSendRateLimitWait = maxSendRateLimitWait
        self.backoffInitial = backoffInitial
        self.backoffMaximum = backoffMaximum
    }
}
