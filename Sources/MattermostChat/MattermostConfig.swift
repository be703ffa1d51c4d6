import Foundation

/// How the Mattermost adapter reaches and authenticates with its server.
///
/// The token (`SKAV_MATTERMOST_TOKEN` or `mattermost.token_file`) never comes from the YAML config;
/// `description` never shows it.
public struct MattermostConfig: Sendable, CustomStringConvertible {
    /// The server's base URL, e.g. `https://mattermost.example.org` (no `/api/v4` suffix).
    public var url: String
    /// The team's name (its URL name, `kommunen` of `https://…/kommunen/channels/…`).
    public var team: String
    /// E-mail domains whose users may talk to the bot (lower case); empty: every member of the team.
    public var allowedDomains: [String]
    /// The bot account's personal access token (`Authorization: Bearer`).
    public var token: String?
    /// How often `poll` reads the channel list while nothing happens: one request per interval when idle,
    /// whatever the number of channels.
    public var pollInterval: Duration
    /// The longest one `poll` waits when nothing arrives before it returns an empty batch (a long poll).
    public var pollWait: Duration
    /// How far back, in the server's `update_at` time, every poll reads again: a post the server stamped
    /// before it became visible (commit order, replicas) is still found when it shows up this much later.
    public var overlap: Duration
    /// The deadline of every request.
    public var requestTimeout: Duration
    /// How long what `GET /users/{id}` and the team membership said about a person is trusted.
    public var userCacheLifetime: Duration
    /// Retry and backoff limits.
    public var retry: MattermostRetryPolicy

    public init(
        url: String,
        team: String,
        allowedDomains: [String] = [],
        token: String? = nil,
        pollInterval: Duration = .seconds(1),
        pollWait: Duration = .seconds(25),
        overlap: Duration = .seconds(5),
        requestTimeout: Duration = .seconds(20),
        userCacheLifetime: Duration = .seconds(3_600),
        retry: MattermostRetryPolicy = MattermostRetryPolicy()
    ) {
        self.url = url
        self.team = team
        self.allowedDomains = allowedDomains.map { $0.lowercased() }
        self.token = token
        self.pollInterval = pollInterval
        self.pollWait = pollWait
        self.overlap = overlap
        self.requestTimeout = requestTimeout
        self.userCacheLifetime = userCacheLifetime
        self.retry = retry
    }

    public var description: String {
        "MattermostConfig(url: \(url), team: \(team), allowedDomains: \(allowedDomains), "
            + "token: \(token == nil ? "none" : "<redacted>"), pollInterval: \(pollInterval), overlap: \(overlap))"
    }
}

/// Bounds of the adapter's own retries. The bot's loops retry on top of these.
public struct MattermostRetryPolicy: Sendable, Equatable {
    /// Network errors and 5xx answers are retried this many times for sends and other requests.
    public var requestRetries: Int
    /// … and this many times for the requests of a poll (the sync loop retries on its own).
    public var pollRetries: Int
    /// How many 429 answers one poll request waits out before it throws `.rateLimited`. Sends never
    /// wait out a 429: they throw `.rateLimited` at once and the outbox sender paces the room.
    public var rateLimitRetries: Int
    /// A 429 asking for a longer wait than this is not waited out by a poll: `.rateLimited` is thrown.
    public var maxRateLimitWait: Duration
    /// Backoff for network errors and 5xx (capped exponential with jitter, `Chat.Backoff`). Sends keep
    /// their retries well inside the server's ~30 s `pending_post_id` window.
    public var backoffInitial: Duration
    public var backoffMaximum: Duration

    public init(
        requestRetries: Int = 4,
        pollRetries: Int = 2,
        rateLimitRetries: Int = 3,
        maxRateLimitWait: Duration = .seconds(60),
        backoffInitial: Duration = .milliseconds(500),
        backoffMaximum: Duration = .seconds(4)
    ) {
        self.requestRetries = requestRetries
        self.pollRetries = pollRetries
        self.rateLimitRetries = rateLimitRetries
        self.maxRateLimitWait = maxRateLimitWait
        self.backoffInitial = backoffInitial
        self.backoffMaximum = backoffMaximum
    }
}
