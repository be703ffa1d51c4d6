import Foundation

/// The bot's view of a chat server. Matrix and Mattermost adapters implement it; so do in-memory fakes.
///
/// Contract:
/// - `poll(cursor: nil)` is the first start: it returns the current cursor and pending invites, and never
///   the history of messages (the bot must not answer old messages).
/// - `poll` is a long poll that returns early when there is something; it honours task cancellation within
///   100 ms by throwing `CancellationError` or `ChatError` with code `.cancelled`.
/// - `send` is idempotent by `txnID`: sending the same message twice yields one message on the server,
///   where the server allows it (Matrix does; Mattermost adapters must check before re-sending).
public protocol ChatService: Sendable {
    /// Which server kind this is, for logs and `doctor`.
    var kind: ChatKind { get }
    /// Limits and format of this server.
    var capabilities: ChatCapabilities { get }

    /// Logs in (or validates stored credentials) and returns the bot's own user id.
    func connect() async throws -> UserID
    func poll(cursor: String?) async throws -> ChatBatch
    func send(_ message: OutgoingMessage) async throws -> SentMessage
    func join(_ room: RoomID) async throws
    func leave(_ room: RoomID) async throws
    /// A direct chat with `user`: the server's one for the pair where a server keeps one (Mattermost),
    /// otherwise a new room (Matrix). The caller keeps its own user → room map and asks only when that has
    /// none, e.g. after it gave up a room that turned encrypted or shared, which must not come back.
    func openDirectRoom(with user: UserID) async throws -> RoomID
    /// The same, for a caller that retries: every attempt to create the room for one purpose carries the same
    /// `creation.token`. Creating a room is not idempotent, so an adapter tags the room it creates with the
    /// token and, when an earlier attempt may have created one (its answer lost, or the process died before
    /// the room was stored), looks for that room first instead of creating (and inviting) a second one.
    func openDirectRoom(with user: UserID, creation: RoomCreation) async throws -> RoomID
    /// One event again, by id, from the server (a quarantined event an operator put back); nil when the
    /// server has no such event or the adapter cannot fetch single events.
    func fetchEvent(_ id: String, in room: RoomID) async throws -> ChatEvent?
    /// A cursor past the answer that `poll(cursor:)` would give, without reading that answer (it took the
    /// process down twice). What it held is not delivered.
    func skipPast(cursor: String?) async throws -> String
}

extension ChatService {
    /// For servers whose room creation is idempotent anyway (and for fakes): the token is not needed.
    public func openDirectRoom(with user: UserID, creation: RoomCreation) async throws -> RoomID {
        try await openDirectRoom(with: user)
    }
    public func fetchEvent(_ id: String, in room: RoomID) async throws -> ChatEvent? { nil }
    public func skipPast(cursor: String?) async throws -> String {
        throw ChatError(.rejected, "\(kind.rawValue) cannot skip past a change-feed answer")
    }
}

/// One attempt to create a direct room; see `ChatService.openDirectRoom(with:creation:)`.
public struct RoomCreation: Sendable, Equatable {
    /// The same for every attempt to create this room; unique to it.
    public var token: String
    /// Whether an earlier attempt with this token may have created the room already.
    public var attemptedBefore: Bool

    public init(token: String, attemptedBefore: Bool) {
        self.token = token
        self.attemptedBefore = attemptedBefore
    }
}

public enum ChatKind: String, Sendable, Codable, CaseIterable {
    case matrix, mattermost, terminal
}

public struct ChatCapabilities: Sendable, Equatable {
    public enum Markup: String, Sendable, Equatable { case html, markdown, plain }
    /// The largest message the server takes, in UTF-8 bytes of the encoded message.
    public var maxMessageBytes: Int
    public var markup: Markup
    /// Whether the server takes files (messages with an attachment).
    public var supportsFiles: Bool

    public init(maxMessageBytes: Int, markup: Markup, supportsFiles: Bool = false) {
        self.maxMessageBytes = maxMessageBytes
        self.markup = markup
        self.supportsFiles = supportsFiles
    }
}

/// Credentials an adapter keeps between runs (Matrix access token and device id).
/// The bot stores them in its database; adapters never touch the database.
public struct StoredCredentials: Sendable, Codable, Equatable {
    public var userID: String
    public var accessToken: String
    public var deviceID: String
    public init(userID: String, accessToken: String, deviceID: String) {
        self.userID = userID
        self.accessToken = accessToken
        self.deviceID = deviceID
    }
}

public protocol CredentialStore: Sendable {
    func loadCredentials() async throws -> StoredCredentials?
    func saveCredentials(_ credentials: StoredCredentials?) async throws
}

/// A failure talking to a chat server, classified for the bot's retry decisions.
public struct ChatError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        /// Network trouble or a 5xx: retry with backoff.
        case transient
        /// The server asked us to slow down; `retryAfter` says how long.
        case rateLimited = "rate_limited"
        /// Credentials are invalid and cannot be renewed: an operator must act.
        case unauthorized
        /// The server refused this request (403, not in room, …); retrying will not help.
        case forbidden
        /// The server answered something we cannot understand.
        case badResponse = "bad_response"
        /// The answer was larger than the client takes; ask for less.
        case tooLarge = "too_large"
        /// Any other permanent refusal (4xx).
        case rejected
        case cancelled
    }

    public var code: Code
    public var message: String
    public var retryAfter: Duration?
    /// The server's error code (`M_FORBIDDEN`, `api.context.session_expired.app_error`, …), when given.
    public var serverCode: String?

    public init(_ code: Code, _ message: String, retryAfter: Duration? = nil, serverCode: String? = nil) {
        self.code = code
        self.message = message
        self.retryAfter = retryAfter
        self.serverCode = serverCode
    }

    public var isRetryable: Bool { code == .transient || code == .rateLimited }
    public var label: String { code.rawValue }
    public var description: String {
        var text = "\(code.rawValue): \(message)"
        if let serverCode { text += " [\(serverCode)]" }
        return text
    }
}
