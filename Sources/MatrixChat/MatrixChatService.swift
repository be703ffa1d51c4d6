import Chat
import CrashGuard
import CurlHTTP
import Foundation
import Logging
import Synchronization

/// The Matrix client-server API (`/_matrix/client/v3`) behind `ChatService`.
///
/// - Long polls go through `syncClient`, everything else through `sendClient`, so a send never waits
///   behind a 30 s `/sync`.
/// - Credentials: stored ones first (checked with `/account/whoami`), then `config.accessToken`, then a
///   password login with the stored (or configured) device id. New credentials are saved through the
///   `CredentialStore`. Tokens and passwords never reach a log line.
/// - All requests share one retry policy (see `MatrixRetryPolicy` and `call`).
public final class MatrixChatService: ChatService {
    public let kind = ChatKind.matrix
    /// Matrix events must stay under 65,536 bytes in total; the event content gets 60,000 of them and the
    /// rest is left for the server's envelope (ids, signatures, hashes). `send` measures the encoded
    /// content (`body` and `formatted_body` together) and falls back to plain text alone when the HTML
    /// version does not fit.
    public let capabilities = ChatCapabilities(
        maxMessageBytes: MatrixChatService.contentLimit, markup: .html, supportsFiles: true)
    static let contentLimit = 60_000

    let config: MatrixConfig
    let syncClient: any HTTPClient
    let sendClient: any HTTPClient
    let credentials: any CredentialStore
    let logger: Logger
    let sleep: @Sendable (Duration) async throws -> Void
    let randomSource: @Sendable () -> UInt64
    let now: @Sendable () -> Date

    struct Session: Sendable, Equatable {
        var userID: String
        var accessToken: String
        var deviceID: String
    }

    struct State: Sendable {
        var session: Session?
        /// The login or token check in flight; concurrent callers wait for the same one.
        var renewal: Task<Session, any Error>?
        /// Direct rooms this process knows of (created here or joined from a direct invite).
        var directRooms: Set<RoomID> = []
        /// After a too-large `/sync` answer: the smaller timeline limit, for this many more polls.
        var reducedTimelineLimit: (limit: Int, polls: Int)?
        /// The id under which the server keeps the long poll's filter (at the configured timeline limit), and
        /// for which user; nil until stored.
        var storedSyncFilter: (user: String, id: String)?
        /// After a failed attempt to store the filter: not before this time again (the filter goes inline).
        var syncFilterRetryAt: Date?
        /// Member counts from sync summaries (sent only when they change).
        var joinedMembers: [RoomID: Int] = [:]
        var invitedMembers: [RoomID: Int] = [:]
        /// The creation token of each joined room this process created or looked at in `findCreatedRoom` ("" for
        /// none); a room left or shared is dropped, so `openDirectRoom` never hands it out again.
        var creationTokens: [RoomID: String] = [:]
    }

    let state = Mutex(State())
    /// The last body `send` rendered (see `rendered`).
    let lastRendered = Mutex<(body: RichText, plain: String, html: String)?>(nil)

    /// - Parameters:
    ///   - syncClient: carries the `/sync` long poll (and gap filling, which is part of a poll).
    ///   - sendClient: carries everything else.
    ///   - sleep: waits between retries; tests pass one that records and returns at once.
    ///   - random: the random source of the backoff jitter.
    ///   - now: the clock, used for invites whose event lacks a server timestamp and for `Retry-After` dates.
    public init(
        config: MatrixConfig,
        syncClient: any HTTPClient,
        sendClient: any HTTPClient,
        credentials: any CredentialStore,
        logger: Logger,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        random: @escaping @Sendable () -> UInt64 = { UInt64.random(in: .min ... .max) },
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.config = config
        self.syncClient = syncClient
        self.sendClient = sendClient
        self.credentials = credentials
        var logger = logger
        logger[metadataKey: "matrix.user"] = "\(config.userID)"
        self.logger = logger
        self.sleep = sleep
        self.randomSource = random
        self.now = now
    }

    // MARK: Connecting

    public func connect() async throws -> UserID {
        let session = try await renewSession(replacing: nil)
        return UserID(session.userID)
    }

    /// The session to use; connects first when there is none yet.
    func currentSession() async throws -> Session {
        if let session = state.withLock({ $0.session }) { return session }
        return try await renewSession(replacing: nil)
    }

    /// True when a request that failed with `token` may be retried after logging in again: a password is
    /// configured, or the operator configured a different token than the one that failed.
    func canRenewSession(replacing token: String) -> Bool {
        config.password != nil || (config.accessToken != nil && config.accessToken != token)
    }

    /// Establishes a session (`failedToken == nil`) or replaces the one whose token just failed.
    /// Concurrent callers share one attempt, so a burst of 401s makes one login, not many.
    func renewSession(replacing failedToken: String?) async throws -> Session {
        enum Plan {
            case ready(Session)
            case wait(Task<Session, any Error>)
        }
        let plan = state.withLock { current -> Plan in
            if let session = current.session, session.accessToken != failedToken { return .ready(session) }
            if let running = current.renewal { return .wait(running) }
            let previous = current.session
            let task = Task<Session, any Error> { [self] in
                do {
                    let session = try await (previous == nil ? establish() : relogin(previous))
                    self.state.withLock {
                        $0.session = session
                        $0.renewal = nil
                    }
                    return session
                } catch {
                    self.state.withLock { $0.renewal = nil }
                    throw error
                }
            }
            current.renewal = task
            return .wait(task)
        }
        switch plan {
        case .ready(let session): return session
        case .wait(let task): return try await task.value
        }
    }

    /// First connection: stored credentials, then the configured token, then a password login.
    private func establish() async throws -> Session {
        let stored = try await credentials.loadCredentials()
        var deviceID = config.deviceID
        var storedFailure: String?
        if let stored {
            if !config.userID.isEmpty && stored.userID != config.userID {
                logger.notice(
                    "Stored Matrix credentials belong to another user; ignoring them",
                    metadata: ["matrix.stored_user": "\(stored.userID)"])
            } else {
                deviceID = stored.deviceID
                do {
                    let session = try await adopt(token: stored.accessToken, fallbackDevice: stored.deviceID, save: false)
                    logger.info("Matrix session restored", metadata: ["matrix.device": "\(session.deviceID)"])
                    return session
                } catch {
                    guard let chatError = error as? ChatError, chatError.code == .unauthorized else { throw error }
                    storedFailure = chatError.message
                    logger.notice(
                        "Stored Matrix token rejected", metadata: ["matrix.reason": "\(chatError.message)"])
                }
            }
        }
        if let token = config.accessToken, token != stored?.accessToken {
            let session = try await adopt(token: token, fallbackDevice: config.deviceID, save: true)
            logger.info("Matrix session from SKAV_MATRIX_ACCESS_TOKEN", metadata: ["matrix.device": "\(session.deviceID)"])
            return session
        }
        if let password = config.password {
            return try await login(password: password, deviceID: deviceID)
        }
        if let storedFailure {
            throw ChatError(
                .unauthorized,
                "The stored Matrix token for \(config.userID) no longer works (\(storedFailure)) "
                    + "and no SKAV_MATRIX_PASSWORD is set to log in again: set it, or give a new SKAV_MATRIX_ACCESS_TOKEN")
        }
        throw ChatError(
            .unauthorized,
            "No Matrix credentials for \(config.userID): set SKAV_MATRIX_PASSWORD or SKAV_MATRIX_ACCESS_TOKEN")
    }

    /// Replaces a session whose token the server no longer accepts, keeping its device id.
    private func relogin(_ previous: Session?) async throws -> Session {
        let deviceID = previous?.deviceID ?? config.deviceID
        if let password = config.password {
            return try await login(password: password, deviceID: deviceID)
        }
        if let token = config.accessToken, token != previous?.accessToken {
            return try await adopt(token: token, fallbackDevice: config.deviceID, save: true)
        }
        throw ChatError(
            .unauthorized,
            "The Matrix token for \(config.userID) is no longer valid and no SKAV_MATRIX_PASSWORD is set: "
                + "set it, or give a new SKAV_MATRIX_ACCESS_TOKEN")
    }

    /// Checks a token with `/account/whoami` and makes it the session.
    private func adopt(token: String, fallbackDevice: String, save: Bool) async throws -> Session {
        let body = try await call(
            "GET", "/account/whoami",
            policy: CallPolicy(auth: .token(token), transientRetries: config.retry.requestRetries, timeout: config.requestTimeout))
        guard let userID = body["user_id"]?.string else {
            throw ChatError(.badResponse, "GET /account/whoami: no user_id in the answer")
        }
        if !config.userID.isEmpty && userID != config.userID {
            throw ChatError(
                .unauthorized,
                "The Matrix token belongs to \(userID), but the configuration says \(config.userID): fix one of them")
        }
        let session = Session(userID: userID, accessToken: token, deviceID: body["device_id"]?.string ?? fallbackDevice)
        if save { await persist(session) }
        return session
    }

    /// `m.login.password` with a fixed device id, so the server keeps treating the bot as the same device
    /// (transaction ids stay de-duplicated across re-logins).
    private func login(password: String, deviceID: String) async throws -> Session {
        let user = config.userID
        let body = try await call(
            "POST", "/login",
            body: [
                "type": "m.login.password",
                "identifier": ["type": "m.id.user", "user": .string(user)],
                "password": .string(password),
                "device_id": .string(deviceID),
                "initial_device_display_name": "Skav",
            ],
            policy: CallPolicy(auth: .none, transientRetries: config.retry.requestRetries, timeout: config.requestTimeout))
        guard let token = body["access_token"]?.string, !token.isEmpty else {
            throw ChatError(.badResponse, "POST /login: no access_token in the answer")
        }
        let userID = body["user_id"]?.string ?? user
        let session = Session(userID: userID, accessToken: token, deviceID: body["device_id"]?.string ?? deviceID)
        logger.info("Logged in to Matrix", metadata: ["matrix.device": "\(session.deviceID)"])
        await persist(session)
        return session
    }

    private func persist(_ session: Session) async {
        do {
            try await credentials.saveCredentials(
                StoredCredentials(userID: session.userID, accessToken: session.accessToken, deviceID: session.deviceID))
        } catch {
            // Not fatal: the session works; the next start logs in again.
            logger.error("Could not store the Matrix credentials", metadata: ["error": "\(String(describing: type(of: error)))"])
        }
    }

    // MARK: Receiving

    /// The filter of a `/sync`: messages and membership only, at most `limit` timeline events per room (the
    /// first sync of a new bot wants only the cursor and pending invites: one per room), and of each event
    /// only the fields the bot reads (`eventFields`).
    static func syncFilter(limit: Int) -> String {
        JSON.object([
            "event_fields": .array(eventFields.map { .string($0) }),
            "presence": ["types": []],
            "account_data": ["types": []],
            "room": [
                "timeline": ["limit": .number(Double(max(1, limit)))],
                "state": ["lazy_load_members": true],
                "ephemeral": ["types": []],
                "account_data": ["types": []],
            ],
        ]).encodedString
    }

    /// The fields of an event that `SyncTranslator` and the membership summary read (a `.` inside a name
    /// escaped, as the spec says). The server leaves out the rest: most of a `/sync` answer was the bot's own
    /// messages coming back (their HTML twice the size of their text) and every event's `unsigned`, each
    /// string decoded and validated only to be skipped. `content.algorithm` keeps an encrypted message's
    /// content non-empty (an empty content is how a redacted event looks).
    static let eventFields = [
        "type", "sender", "event_id", "origin_server_ts", "state_key", "prev_content",
        "content.body", "content.msgtype", "content.membership", "content.is_direct", "content.algorithm",
        #"content.m\.relates_to"#, "unsigned.redacted_because", "unsigned.prev_content",
    ]

    /// How long after a failed attempt to store the sync filter it is tried again.
    static let syncFilterRetryInterval: TimeInterval = 600

    /// The id of the long poll's filter kept by the server, storing it first (`POST /user/{id}/filter`) when it
    /// is not yet; nil to send the filter inline: storing is off, or it failed lately (tried again after
    /// `syncFilterRetryInterval`). Never throws: the filter inline always works.
    func storedSyncFilterID(for session: Session) async -> String? {
        guard config.storesSyncFilter else { return nil }
        if let known = knownSyncFilterID(for: session) { return known }
        if let retryAt = state.withLock({ $0.syncFilterRetryAt }), now() < retryAt { return nil }
        do {
            let answer = try await call(
                "POST", "/user/\(MatrixPath.encode(session.userID))/filter",
                body: try JSON.parse(Data(Self.syncFilter(limit: config.timelineLimit).utf8)),
                policy: CallPolicy(transientRetries: config.retry.requestRetries, timeout: config.requestTimeout))
            // An id goes into every sync URL as a query value: a short one of printable ASCII, or none.
            guard let id = answer["filter_id"]?.string, (1...255).contains(id.utf8.count),
                id.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F })
            else {
                throw ChatError(.badResponse, "POST /user/…/filter: no usable filter_id in the answer")
            }
            state.withLock {
                $0.storedSyncFilter = (session.userID, id)
                $0.syncFilterRetryAt = nil
            }
            return id
        } catch is CancellationError {
            return nil
        } catch {
            state.withLock { $0.syncFilterRetryAt = now().addingTimeInterval(Self.syncFilterRetryInterval) }
            logger.warning(
                "Matrix server did not store the sync filter; it goes inline with every sync",
                metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// The id of the stored filter, when it is stored for this session's user (no suspension: every poll asks).
    func knownSyncFilterID(for session: Session) -> String? {
        state.withLock { state in
            guard let known = state.storedSyncFilter, known.user == session.userID else { return nil }
            return known.id
        }
    }

    /// Drops the stored filter's id after the server refused a sync that named it; the filter goes inline
    /// until it is stored again (not before `syncFilterRetryInterval`).
    func forgetStoredSyncFilter(because error: ChatError) {
        state.withLock {
            $0.storedSyncFilter = nil
            $0.syncFilterRetryAt = now().addingTimeInterval(Self.syncFilterRetryInterval)
        }
        logger.warning(
            "Matrix server refused the stored sync filter; it goes inline with every sync for now",
            metadata: ["error": "\(error)"])
    }

    /// A filter that lets nothing through: skipping past an answer gets only its `next_batch`.
    static let emptyFilter = JSON.object([
        "presence": ["types": []],
        "account_data": ["types": []],
        "room": ["rooms": []],
    ]).encodedString

    /// The next smaller timeline limit to ask with when an answer was too large; nil when there is none.
    static func smallerTimelineLimit(than limit: Int) -> Int? {
        if limit > 10 { return 10 }
        if limit > 1 { return 1 }
        return nil
    }

    /// After a too-large answer, this many polls keep the smaller limit before the configured one is tried again.
    static let reducedLimitPolls = 20

    /// What gap filling fetches: messages, and membership so the history cut-off still finds the bot's join.
    static let gapFilter = JSON.object([
        "types": ["m.room.message", "m.room.encrypted", "m.room.member"],
        "lazy_load_members": true,
    ]).encodedString

    public func poll(cursor: String?) async throws -> ChatBatch {
        let session = try await currentSession()
        let translator = SyncTranslator(me: session.userID)
        let first = cursor == nil
        // The crash guard watches this answer's decoding: one that traps twice is skipped (`skipPast`).
        let watched = InFlight.sync(cursor: cursor)
        // The bot's own messages come back in every answer (one for each reply): their text is not decoded.
        let ownMessages = SyncTranslator.ownMessages(of: session.userID)
        var limit = first ? 1 : state.withLock { $0.reducedTimelineLimit?.limit } ?? config.timelineLimit
        var body: JSON
        while true {
            var query: [(String, String)] = []
            if let cursor { query.append(("since", cursor)) }
            // The filter by its stored id when it is the configured one (the first sync and a reduced limit
            // send theirs inline).
            var storedFilter: String?
            if !first && limit == config.timelineLimit {
                storedFilter = knownSyncFilterID(for: session)
                if storedFilter == nil { storedFilter = await storedSyncFilterID(for: session) }
            }
            query += [
                ("timeout", first ? "0" : "\(config.syncTimeout.milliseconds)"),
                ("filter", storedFilter ?? Self.syncFilter(limit: limit)),
                ("set_presence", "offline"),
            ]
            do {
                body = try await call(
                    "GET", "/sync", query: query,
                    policy: CallPolicy(
                        transientRetries: config.retry.pollRetries,
                        timeout: first ? config.requestTimeout + .seconds(30) : config.syncRequestTimeout,
                        useSyncClient: true, watched: watched, skippedContent: ownMessages))
                break
            } catch let error as ChatError where storedFilter != nil && error.code == .rejected {
                // The server no longer knows the stored filter (a reset database, say): this poll is asked again
                // at once with the filter inline, and so are the next ones until it is stored again, after
                // `syncFilterRetryInterval`. A refusal of the inline filter is then an error as before.
                forgetStoredSyncFilter(because: error)
                continue
            } catch let error as ChatError where error.code == .tooLarge {
                if first {
                    // The first start only wants the cursor: an account in very many rooms can make even one
                    // event per room too much. Start from now without reading them (invites come again).
                    logger.warning("First Matrix sync too large; starting from now without reading the rooms")
                    return ChatBatch(events: [], cursor: try await skipPast(cursor: nil))
                }
                // Too much at once (many rooms with large messages after an outage): ask for fewer events per
                // room; the rest of each room's timeline is then filled page by page (`fillGap`).
                guard let smaller = Self.smallerTimelineLimit(than: limit) else { throw error }
                logger.warning(
                    "Matrix sync answer too large; asking for fewer events per room",
                    metadata: ["matrix.timeline_limit": "\(smaller)"])
                limit = smaller
                state.withLock { $0.reducedTimelineLimit = (smaller, Self.reducedLimitPolls) }
            }
        }
        state.withLock { state in
            guard let reduced = state.reducedTimelineLimit else { return }
            state.reducedTimelineLimit = reduced.polls > 1 ? (reduced.limit, reduced.polls - 1) : nil
        }
        let parsed = CrashGuard.watch(watched) { () -> (SyncTranslator.Sync, [ChatEvent])? in
            guard let sync = SyncTranslator.parse(body) else { return nil }
            let stamp = now()
            let invites = zip(sync.inviteRooms, sync.invites).compactMap { room, value in
                translator.invite(room: room, value, now: stamp)
            }
            return (sync, invites)
        }
        guard let (sync, invites) = parsed else {
            throw ChatError(.badResponse, "GET /sync: no next_batch in the answer")
        }

        state.withLock { state in
            for invite in invites where invite.isDirectRoom == true {
                state.directRooms.insert(invite.room)
            }
        }

        // Room sizes from the summaries (sent on the first sync and whenever they change).
        state.withLock { state in
            for timeline in sync.timelines {
                guard timeline.joinedMembers != nil || timeline.invitedMembers != nil else { continue }
                // Keyed by a copy of the id (a map keeps the key it has): the id read from the answer shares an
                // allocation made among the answer's decoded tree, and one such id kept alive on a page keeps
                // the whole page from going back to the system once the tree is freed (after a first sync of
                // 10,000 rooms the process kept 46 MiB instead of 13; see also `ProcessMemory`).
                let room = RoomID(String(decoding: Array(timeline.room.rawValue.utf8), as: UTF8.self))
                if let joined = timeline.joinedMembers { state.joinedMembers[room] = joined }
                if let invited = timeline.invitedMembers { state.invitedMembers[room] = invited }
            }
        }

        guard let cursor else {
            logger.info(
                "First Matrix sync: starting from now; earlier messages are not answered",
                metadata: ["matrix.invites": "\(invites.count)", "matrix.rooms": "\(sync.timelines.count)"])
            return ChatBatch(events: invites, cursor: sync.nextBatch)
        }

        var seen = Set(invites.map(\.id))
        var lists: [[ChatEvent]] = []
        for timeline in sync.timelines {
            let room = timeline.room
            let membership = membershipChange(of: timeline, translator: translator, now: now())
            var raw = timeline.events
            if timeline.limited {
                if translator.historyCutoff(raw) != nil {
                    // Newly joined: what lies before the timeline is history the bot must not answer.
                } else if let prevBatch = timeline.prevBatch {
                    raw = try await fillGap(room: room, from: prevBatch, to: cursor) + raw
                } else {
                    logger.warning(
                        "Matrix timeline gap without prev_batch; earlier messages skipped",
                        metadata: ["matrix.room": "\(room)"])
                }
            }
            var isDirect = directness(of: room)
            if isDirect == nil, translator.containsMessages(raw) {
                isDirect = try await resolveDirectness(of: room)
            }
            var events: [ChatEvent] = membership.map { [$0] } ?? []
            var skipped: [SyncTranslator.Skip: Int] = [:]
            let translations = CrashGuard.watch(watched) {
                translator.translate(timeline: raw, room: room, isDirectRoom: isDirect)
            }
            for translation in translations {
                switch translation {
                case .event(let event):
                    if seen.insert(event.id).inserted { events.append(event) }
                case .skipped(let reason):
                    skipped[reason, default: 0] += 1
                }
            }
            if skipped[.history, default: 0] > 0 {
                logger.info(
                    "Joined room: messages from before the invite are not answered",
                    metadata: ["matrix.room": "\(room)", "matrix.skipped": "\(skipped[.history, default: 0])"])
            }
            if !skipped.isEmpty {
                logger.trace(
                    "Matrix events ignored",
                    metadata: [
                        "matrix.room": "\(room)",
                        "matrix.ignored": .dictionary(skipped.reduce(into: [:]) { $0[$1.key.rawValue] = "\($1.value)" }),
                    ])
            }
            lists.append(events)
        }
        return ChatBatch(events: invites + SyncTranslator.merge(lists), cursor: sync.nextBatch)
    }

    /// Fetches the events a `limited` timeline left out: backwards from the timeline's `prev_batch` down to
    /// the previous sync's token (`to`), at most `gapFillMaxPages` pages of 100. Returns them oldest first.
    /// A gap larger than that, or a permanent error while filling, is logged and accepted.
    func fillGap(room: RoomID, from start: String, to end: String) async throws -> [JSON] {
        var collected: [JSON] = []  // newest first
        var from = start
        var pageSize = 100
        var pages = 0
        while pages < max(0, config.gapFillMaxPages) {
            let body: JSON
            do {
                body = try await call(
                    "GET", "/rooms/\(MatrixPath.encode(room.rawValue))/messages",
                    query: [("dir", "b"), ("from", from), ("to", end), ("limit", "\(pageSize)"), ("filter", Self.gapFilter)],
                    policy: CallPolicy(
                        transientRetries: config.retry.pollRetries, timeout: config.requestTimeout, useSyncClient: true))
            } catch let error as ChatError where error.code == .tooLarge && pageSize > 1 {
                // A page of large messages: ask for smaller pages from the same point (not counted as a page).
                pageSize = max(1, pageSize / 10)
                continue
            } catch let error as ChatError where !error.isRetryable && error.code != .unauthorized {
                logger.warning(
                    "Could not fill a Matrix timeline gap; some messages may be missed",
                    metadata: ["matrix.room": "\(room)", "matrix.error": "\(error)", "matrix.recovered": "\(collected.count)"])
                return collected.reversed()
            }
            pages += 1
            let chunk = body["chunk"]?.array ?? []
            collected += chunk
            guard let next = body["end"]?.string, !chunk.isEmpty, next != from else {
                logger.info(
                    "Filled a Matrix timeline gap", metadata: ["matrix.room": "\(room)", "matrix.events": "\(collected.count)"])
                return collected.reversed()
            }
            from = next
        }
        logger.warning(
            "Matrix timeline gap larger than the fill limit; older messages in it are skipped",
            metadata: ["matrix.room": "\(room)", "matrix.recovered": "\(collected.count)"])
        return collected.reversed()
    }

    /// One event again, by id (`GET /rooms/{room}/event/{id}`), translated as a sync would; nil when the
    /// server has no such event, or it is not a message the bot answers.
    public func fetchEvent(_ id: String, in room: RoomID) async throws -> ChatEvent? {
        let session = try await currentSession()
        let body: JSON
        do {
            body = try await call(
                "GET", "/rooms/\(MatrixPath.encode(room.rawValue))/event/\(MatrixPath.encode(id))",
                policy: CallPolicy(
                    transientRetries: config.retry.requestRetries, timeout: config.requestTimeout,
                    watched: InFlight(.event, id)))
        } catch let error as ChatError where error.code == .rejected || error.code == .forbidden {
            return nil
        }
        var isDirect = directness(of: room)
        if isDirect == nil { isDirect = try await resolveDirectness(of: room) }
        let translator = SyncTranslator(me: session.userID)
        guard case .event(let event) = translator.translate(body, room: room, isDirectRoom: isDirect) else { return nil }
        return event
    }

    /// The `next_batch` after `cursor` without reading what lies between: a sync with a filter that lets
    /// nothing through.
    public func skipPast(cursor: String?) async throws -> String {
        var query: [(String, String)] = []
        if let cursor { query.append(("since", cursor)) }
        query += [("timeout", "0"), ("filter", Self.emptyFilter), ("set_presence", "offline")]
        let body = try await call(
            "GET", "/sync", query: query,
            policy: CallPolicy(transientRetries: config.retry.pollRetries, timeout: config.requestTimeout, useSyncClient: true))
        guard let next = body["next_batch"]?.string, !next.isEmpty else {
            throw ChatError(.badResponse, "GET /sync: no next_batch in the answer")
        }
        logger.warning("Skipped past a Matrix sync answer without reading it", metadata: ["matrix.since": "\(cursor ?? "-")"])
        return next
    }

    // MARK: Sending

    public func send(_ message: OutgoingMessage) async throws -> SentMessage {
        guard !message.txnID.isEmpty else { throw ChatError(.rejected, "a message needs a transaction id") }
        let (plain, html) = rendered(message.body)
        var content: [String: JSON] = [
            "msgtype": message.style == .notice ? "m.notice" : "m.text",
            "body": .string(plain),
            "format": "org.matrix.custom.html",
            "formatted_body": .string(html),
            // No mentions: the bot never pings anyone by accident.
            "m.mentions": .object([:]),
        ]
        if let attachment = message.attachment {
            content = try await fileContent(attachment, caption: message.body)
        }
        if let reply = message.inReplyTo {
            content["m.relates_to"] = ["m.in_reply_to": ["event_id": .string(reply)]]
        }
        // Encoded once: the size check's bytes are the request's body.
        var encoded = JSON.object(content).encoded
        if encoded.count > Self.contentLimit {
            content["format"] = nil
            content["formatted_body"] = nil
            let plain = JSON.object(content).encoded
            guard plain.count <= Self.contentLimit else {
                throw ChatError(
                    .rejected, "message too large for Matrix: \(plain.count) bytes, the limit is \(Self.contentLimit)")
            }
            logger.notice(
                "Message too large with HTML; sending plain text only",
                metadata: ["matrix.room": "\(message.room)", "matrix.bytes": "\(encoded.count)"])
            encoded = plain
        }
        let encodedSize = encoded.count
        let path =
            "/rooms/\(MatrixPath.encode(message.room.rawValue))/send/m.room.message/\(MatrixPath.encode(message.txnID))"
        let body = try await call("PUT", path, encodedBody: encoded, policy: sendPolicy)
        guard let eventID = body["event_id"]?.string else {
            throw ChatError(.badResponse, "PUT send: no event_id in the answer")
        }
        logger.debug(
            "Sent Matrix message",
            metadata: ["matrix.room": "\(message.room)", "matrix.event": "\(eventID)", "matrix.bytes": "\(encodedSize)"])
        return SentMessage(remoteID: eventID)
    }

    /// The text and HTML of a message's body, kept for the last body rendered: a burst's replies and an
    /// announcement's DMs send one text many times over (the sender hands over the same text for each).
    func rendered(_ body: RichText) -> (plain: String, html: String) {
        if let last = lastRendered.withLock({ $0 }), last.body == body { return (last.plain, last.html) }
        let rendering = (plain: body.plainText, html: body.html)
        lastRendered.withLock { $0 = (body, rendering.plain, rendering.html) }
        return rendering
    }

    /// Uploads the file to the media repository and returns the content of an `m.file` message for it.
    /// An upload is not idempotent: after a crash the file may be uploaded twice, but the message that
    /// points to it is sent with the same transaction id, so the person still gets it once.
    /// The caption goes in `body` (with `filename` set, clients show it as the caption).
    func fileContent(_ attachment: FileAttachment, caption: RichText) async throws -> [String: JSON] {
        let answer = try await call(
            "POST", "/upload", query: [("filename", attachment.filename)],
            upload: (attachment.data, attachment.mimeType),
            policy: CallPolicy(
                transientRetries: config.retry.requestRetries, timeout: config.requestTimeout + .seconds(30),
                api: MatrixPath.mediaAPI, rateLimitBudget: config.retry.maxSendRateLimitWait))
        guard let uri = answer["content_uri"]?.string, uri.hasPrefix("mxc://") else {
            throw ChatError(.badResponse, "POST upload: no content_uri in the answer")
        }
        return [
            "msgtype": "m.file",
            "body": .string(caption.isEmpty ? attachment.filename : caption.plainText),
            "filename": .string(attachment.filename),
            "url": .string(uri),
            "info": ["mimetype": .string(attachment.mimeType), "size": .number(Double(attachment.data.count))],
            "m.mentions": .object([:]),
        ]
    }

    // MARK: Rooms

    /// Whether a room is a direct chat, as far as this process knows: a room with more than two members
    /// (joined or invited) is not, whatever its invite said; rooms joined from a direct invite or created by
    /// the bot are; a room of exactly two members (the bot and one person) is too. Nil when the size is not
    /// known yet.
    func directness(of room: RoomID) -> Bool? {
        state.withLock { state -> Bool? in
            guard let joined = state.joinedMembers[room] else {
                return state.directRooms.contains(room) ? true : nil
            }
            let members = RoomMembership(joined: joined, invited: state.invitedMembers[room] ?? 0, others: [])
            if members.total > 2 { return false }
            return true
        }
    }

    /// The room's membership event for this sync, if its members changed. A room that now has a third
    /// member is no direct chat for this process any more: `openDirectRoom` will not hand it out again.
    func membershipChange(of timeline: SyncTranslator.Sync.Timeline, translator: SyncTranslator, now: Date) -> ChatEvent? {
        let known = state.withLock { ($0.joinedMembers[timeline.room], $0.invitedMembers[timeline.room]) }
        guard let event = translator.membership(of: timeline, known: known, now: now),
            case .membership(let members) = event.kind
        else { return nil }
        if members.total > 2 || members.others.count > 1 {
            state.withLock { state in
                state.directRooms.remove(timeline.room)
                state.creationTokens[timeline.room] = nil
            }
        }
        return event
    }

    /// Asks the server how many members a room has (once per room and process), for rooms the bot was
    /// in before this process knew them, e.g. after its database was restored.
    func resolveDirectness(of room: RoomID) async throws -> Bool? {
        let answer: JSON
        do {
            answer = try await call(
                "GET", "/rooms/\(MatrixPath.encode(room.rawValue))/joined_members",
                policy: CallPolicy(transientRetries: config.retry.pollRetries, timeout: config.requestTimeout, useSyncClient: true))
        } catch let error as ChatError where !error.isRetryable {
            logger.warning(
                "Could not read the members of a Matrix room", metadata: ["matrix.room": "\(room)", "error": "\(error)"])
            return nil
        }
        guard let members = answer["joined"]?.object else { return nil }
        state.withLock { $0.joinedMembers[room] = members.count }
        return directness(of: room)
    }


    /// The policy of the outbox sender's calls (send, join, leave): the request retries, and 429s slept out only
    /// within `maxSendRateLimitWait`.
    var sendPolicy: CallPolicy {
        CallPolicy(
            transientRetries: config.retry.requestRetries, timeout: config.requestTimeout,
            rateLimitBudget: config.retry.maxSendRateLimitWait)
    }

    public func join(_ room: RoomID) async throws {
        _ = try await call("POST", "/rooms/\(MatrixPath.encode(room.rawValue))/join", body: .object([:]), policy: sendPolicy)
        logger.info("Joined Matrix room", metadata: ["matrix.room": "\(room)"])
    }

    public func leave(_ room: RoomID) async throws {
        _ = try await call("POST", "/rooms/\(MatrixPath.encode(room.rawValue))/leave", body: .object([:]), policy: sendPolicy)
        state.withLock { state in
            state.directRooms.remove(room)
            state.creationTokens[room] = nil
        }
        logger.info("Left Matrix room", metadata: ["matrix.room": "\(room)"])
    }

    /// Creates a direct room (`trusted_private_chat`, `is_direct`) and invites `user`. Room creation is not
    /// idempotent, so it is retried only when the request surely did not arrive. The bot keeps its own
    /// persisted user → room map and calls this only when it has none; each call here is a new room.
    public func openDirectRoom(with user: UserID) async throws -> RoomID {
        try await openDirectRoom(
            with: user, creation: RoomCreation(token: UUID().uuidString.lowercased(), attemptedBefore: false))
    }

    /// The state event a room created by the bot carries: `{"token": …}`, the caller's creation token.
    static let creationEventType = "se.skav.room_creation"

    /// As `openDirectRoom(with:)`, with the room tagged by `creation.token` (a state event in `initial_state`).
    /// When an earlier attempt may have created it, the bot's joined rooms are searched for that token
    /// first (`/joined_rooms`, then each room's tag; rooms found without it are remembered), so a lost
    /// answer or a crash never yields a second room.
    public func openDirectRoom(with user: UserID, creation: RoomCreation) async throws -> RoomID {
        // The same creation asked again (the bot failed to record the room, say) is the same room. Looked up by
        // token, never by person: the bot asks only when it has no room for the person, and a room it has just
        // given up (one turned encrypted, say) must not come back, even before it is left.
        if !creation.token.isEmpty,
            let known = state.withLock({ $0.creationTokens.first { $0.value == creation.token }?.key })
        {
            return known
        }
        if creation.attemptedBefore, let found = try await findCreatedRoom(token: creation.token) {
            state.withLock { _ = $0.directRooms.insert(found) }
            logger.info(
                "Found the direct Matrix room an earlier attempt created", metadata: ["matrix.room": "\(found)"])
            return found
        }
        let tag: JSON = [
            "type": .string(Self.creationEventType), "state_key": "", "content": ["token": .string(creation.token)],
        ]
        let body = try await call(
            "POST", "/createRoom",
            body: [
                "preset": "trusted_private_chat", "is_direct": true, "invite": [.string(user.rawValue)],
                "initial_state": [tag],
            ],
            policy: CallPolicy(
                transientRetries: config.retry.requestRetries, idempotent: false, timeout: config.requestTimeout,
                rateLimitBudget: config.retry.maxSendRateLimitWait))
        guard let roomID = body["room_id"]?.string else {
            throw ChatError(.badResponse, "POST /createRoom: no room_id in the answer")
        }
        let room = RoomID(roomID)
        state.withLock { state in
            state.creationTokens[room] = creation.token
            state.directRooms.insert(room)
        }
        // Not the user id: logs outlive `glöm mig`.
        logger.info("Opened a direct Matrix room", metadata: ["matrix.room": "\(room)"])
        return room
    }

    /// The joined room tagged with `token` at creation, if any.
    func findCreatedRoom(token: String) async throws -> RoomID? {
        let policy = CallPolicy(transientRetries: config.retry.requestRetries, timeout: config.requestTimeout)
        let answer = try await call("GET", "/joined_rooms", policy: policy)
        guard let rooms = answer["joined_rooms"]?.array?.compactMap({ $0.string }) else {
            throw ChatError(.badResponse, "GET /joined_rooms: no joined_rooms in the answer")
        }
        for id in rooms {
            let room = RoomID(id)
            if let seen = state.withLock({ $0.creationTokens[room] }) {
                if seen == token { return room }
                continue
            }
            let tag: JSON
            do {
                tag = try await call(
                    "GET",
                    "/rooms/\(MatrixPath.encode(id))/state/\(MatrixPath.encode(Self.creationEventType))/",
                    policy: policy)
            } catch let error as ChatError where !error.isRetryable && error.code != .unauthorized {
                // M_NOT_FOUND: not a room the bot created with a token (or not readable): not this one.
                state.withLock { $0.creationTokens[room] = "" }
                continue
            }
            let found = tag["token"]?.string ?? ""
            state.withLock { $0.creationTokens[room] = found }
            if found == token { return room }
        }
        return nil
    }
}
