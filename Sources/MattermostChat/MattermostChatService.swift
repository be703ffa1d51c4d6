import Chat
import CrashGuard
import CurlHTTP
import Foundation
import Logging
import Synchronization

/// The Mattermost REST API (`/api/v4`) behind `ChatService`, for a bot account with a token.
///
/// - Receiving polls: the channel list (one request per `pollInterval` while nothing happens, whatever the
///   number of channels), then the change feed (`GET /channels/{id}/posts?since=`) of the channels whose
///   `last_post_at` moved; see `FeedCursor` for what the cursor holds and `PostFeed.skip` for what a new
///   message is. A full answer (1,000 rows) is completed by paging the channel's posts. A direct channel
///   a person opened is reported once as an invite and the membership of the two (`directChatsOpened`), so
///   the engine greets before the first word.
/// - Sending is idempotent by transaction id: `pending_post_id` (derived from it) covers a repeat within
///   the server's ~30 s; for anything older the channel's latest posts are searched for the bot's post
///   with `props.skav_txn` before posting again (the first send to a channel in a process, and any
///   transaction sent before without a confirmed answer).
/// - Who may talk: members of the configured team whose e-mail domain is in `allowedDomains`; posts of
///   anyone else are dropped here (the engine cannot tell a domain from a Mattermost user id).
/// - Polls go through `pollClient`, everything else through `sendClient`.
public final class MattermostChatService: ChatService {
    public let kind = ChatKind.mattermost

    /// `MaxPostSize` when the server does not say (Mattermost's default, in characters).
    public static let defaultMaxPostSize = 16_383
    /// Mattermost never takes less than this (older databases).
    public static let minimumMaxPostSize = 4_000
    /// A full change-feed answer: more rows may be waiting.
    static let feedCap = 1_000
    /// Posts per page when a full answer is completed by paging, and at most this many pages.
    static let pageSize = 200
    static let maxPages = 100
    /// What one search for the bot's earlier post reads: the channel's latest posts.
    static let searchSize = 200

    /// The limit is in characters (runes); the engine measures UTF-8 bytes, which are never fewer than the
    /// characters, so a message within `MaxPostSize` bytes is always within `MaxPostSize` characters.
    /// Until `connect` has read the server's limit it is Mattermost's default.
    public var capabilities: ChatCapabilities {
        ChatCapabilities(maxMessageBytes: state.withLock { $0.maxPostSize }, markup: .markdown, supportsFiles: true)
    }

    let config: MattermostConfig
    let pollClient: any HTTPClient
    let sendClient: any HTTPClient
    let logger: Logger
    let sleep: @Sendable (Duration) async throws -> Void
    let randomSource: @Sendable () -> UInt64
    let now: @Sendable () -> Date
    /// Monotonic time since an arbitrary origin: only for "has this much time passed" (when to read a
    /// channel once more), never for a watermark.
    let uptime: @Sendable () -> Duration

    struct Identity: Sendable, Equatable {
        var userID: String
        var teamID: String
    }

    struct Person: Sendable {
        var allowed: Bool
        var checkedAt: Date
    }

    struct State: Sendable {
        var identity: Identity?
        var maxPostSize = MattermostChatService.defaultMaxPostSize
        var directRoomByUser: [UserID: RoomID] = [:]
        /// Direct channels seen in the channel list (for `fetchEvent`).
        var directChannels: Set<String> = []
        var people: [String: Person] = [:]
        /// Channels whose latest posts this process has searched for the bot's earlier posts.
        var searchedChannels: Set<String> = []
        /// Transactions known to be on the server: txn → post id.
        var sentTxns: [String: String] = [:]
        /// Transactions this process posted without a confirmed answer.
        var unconfirmedTxns: Set<String> = []
        /// Thread roots of posts seen: post id → its root (itself for a root).
        var rootOf: [String: String] = [:]
        /// Warned once: the server hides e-mail addresses from the bot.
        var warnedHiddenEmail = false
        /// When (`uptime`) this process first saw each channel within the overlap look as it looks now: the
        /// server's clock stood at or past its `last_post_at` then.
        var firstSeen: [String: (fingerprint: PostFeed.Fingerprint, at: Duration)] = [:]
        /// The `create_at` of the bot's posts of this process, by channel, until a look at the channel
        /// list accounts for them (a read of the channel, or `Fingerprint.grew(onlyBy:to:)`).
        var ownPostStamps: [String: [Int64]] = [:]
        /// The previous round's channel list (what each channel looked like) and that round's floor: a
        /// channel then at or before the floor needed no read, so that look is known to be settled.
        var listed: [String: PostFeed.Fingerprint] = [:]
        var listedFloor: Int64 = .min
    }

    let state = Mutex(State())
    /// Bound of the in-memory maps above: past it a map is emptied (costing a look-up or search again).
    static let memoryCap = 10_000

    /// - Parameters:
    ///   - pollClient: carries the requests of `poll`.
    ///   - sendClient: carries everything else.
    ///   - sleep: waits between polls and retries; tests pass one that records and returns at once.
    ///   - random: the random source of the backoff jitter.
    ///   - now: the clock, for 429 dates and how long a person's look-up is trusted (never for watermarks).
    ///   - uptime: monotonic time, for when a channel is read once more; tests pass a virtual one.
    public init(
        config: MattermostConfig,
        pollClient: any HTTPClient,
        sendClient: any HTTPClient,
        logger: Logger,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        random: @escaping @Sendable () -> UInt64 = { UInt64.random(in: .min ... .max) },
        now: @escaping @Sendable () -> Date = { Date() },
        uptime: (@Sendable () -> Duration)? = nil
    ) {
        let origin = ContinuousClock.now
        self.uptime = uptime ?? { ContinuousClock.now - origin }
        self.config = config
        self.pollClient = pollClient
        self.sendClient = sendClient
        self.logger = logger
        self.sleep = sleep
        self.randomSource = random
        self.now = now
    }

    /// The overlap in milliseconds, at most a day.
    var overlapMilliseconds: Int64 { min(max(0, config.overlap.clampedMilliseconds), 86_400_000) }

    var requestPolicy: CallPolicy {
        CallPolicy(transientRetries: config.retry.requestRetries, timeout: config.requestTimeout)
    }

    var pollPolicy: CallPolicy {
        CallPolicy(
            transientRetries: config.retry.pollRetries, timeout: config.requestTimeout, usePollClient: true,
            waitOutRateLimits: true)
    }

    // MARK: Connecting

    /// Checks the token (`GET /users/me`), finds the team and reads the server's post size limit.
    public func connect() async throws -> UserID {
        let me = try await call("GET", "/users/me", policy: requestPolicy)
        guard let userID = me.json["id"]?.string, !userID.isEmpty else {
            throw ChatError(.badResponse, "GET /users/me: no id in the answer")
        }
        let team: Answer
        do {
            team = try await call("GET", "/teams/name/\(MattermostPath.encode(config.team))", policy: requestPolicy)
        } catch let error as ChatError where error.code == .rejected || error.code == .forbidden {
            throw ChatError(
                .rejected, "the Mattermost team '\(config.team)' was not found or the bot is not in it: \(error.message)",
                serverCode: error.serverCode)
        }
        guard let teamID = team.json["id"]?.string, !teamID.isEmpty else {
            throw ChatError(.badResponse, "GET /teams/name: no id in the answer")
        }
        let maxPostSize = await readMaxPostSize()
        state.withLock {
            $0.identity = Identity(userID: userID, teamID: teamID)
            $0.maxPostSize = maxPostSize
        }
        logger.info(
            "Connected to Mattermost", metadata: ["mattermost.team": "\(config.team)", "mattermost.max_post": "\(maxPostSize)"])
        return UserID(userID)
    }

    /// `MaxPostSize` of `GET /config/client?format=old` (a string there), at least 4,000; the default
    /// when the server does not say.
    func readMaxPostSize() async -> Int {
        do {
            let answer = try await call("GET", "/config/client", query: [("format", "old")], policy: requestPolicy)
            return Self.maxPostSize(answer.json["MaxPostSize"])
        } catch {
            logger.warning(
                "Could not read the Mattermost post size limit; assuming the default",
                metadata: ["error": "\(error)", "mattermost.max_post": "\(Self.defaultMaxPostSize)"])
            return Self.defaultMaxPostSize
        }
    }

    static func maxPostSize(_ value: JSON?) -> Int {
        let number = value?.string.flatMap { Double($0.trimmingCharacters(in: .whitespaces)) } ?? value?.number
        guard let number, let size = ServerNumber.count(number.rounded(.down), in: 0...Int(Int32.max)) else {
            return defaultMaxPostSize
        }
        // Anything below Mattermost's own minimum is not believed; nor is a limit larger than a sane post.
        return min(max(size, minimumMaxPostSize), 1 << 20)
    }

    func currentIdentity() async throws -> Identity {
        if let identity = state.withLock({ $0.identity }) { return identity }
        _ = try await connect()
        guard let identity = state.withLock({ $0.identity }) else {
            throw ChatError(.badResponse, "Mattermost: not connected")
        }
        return identity
    }

    // MARK: Receiving

    /// The bot's channels in the team, direct and group channels included.
    func listChannels(_ identity: Identity, watched: InFlight?) async throws -> (channels: [PostFeed.Channel], answer: Answer) {
        var policy = pollPolicy
        policy.watched = watched
        let answer = try await call(
            "GET", "/users/me/teams/\(MattermostPath.encode(identity.teamID))/channels", policy: policy)
        guard let channels = PostFeed.channels(answer.json) else {
            throw ChatError(.badResponse, "GET channels: the answer is not a list")
        }
        let direct = channels.filter(\.isDirect).map(\.id)
        state.withLock { state in
            if state.directChannels.count > Self.memoryCap { state.directChannels = [] }
            state.directChannels.formUnion(direct)
        }
        return (channels, answer)
    }

    public func poll(cursor: String?) async throws -> ChatBatch {
        let identity = try await currentIdentity()
        let watched = InFlight.sync(cursor: cursor)
        guard let cursor, var feed = FeedCursor(encoded: cursor) else {
            if cursor != nil {
                logger.error("The stored Mattermost cursor is not readable; starting from now (messages in between are not answered)")
            }
            // The first start: the server's "now" (the latest post it shows, or its clock), no history.
            return ChatBatch(events: [], cursor: try await cursorAtNow(after: nil, identity: identity, watched: watched))
        }
        let overlap = overlapMilliseconds
        let interval = config.pollInterval > .zero ? config.pollInterval : .milliseconds(100)
        // Computed in Double and clamped before the conversion: an absurd configured wait never traps.
        let rounds = Int(min(10_000, max(1, (config.pollWait / interval).rounded(.down))))
        for round in 1...rounds {
            try Task.checkCancellation()
            let events = try await pollRound(identity, feed: &feed, overlap: overlap, watched: watched)
            if !events.isEmpty || round == rounds {
                return ChatBatch(events: events, cursor: feed.encoded)
            }
            // Nothing for the bot (or only its own posts): the next look after the interval.
            try await sleep(interval)
        }
        return ChatBatch(events: [], cursor: feed.encoded)
    }

    /// One look at the channel list and the change feeds of the channels that moved. Returns the new
    /// messages (by creation time); updates `feed`.
    func pollRound(
        _ identity: Identity, feed: inout FeedCursor, overlap: Int64, watched: InFlight
    ) async throws -> [ChatEvent] {
        let (channels, _) = try await listChannels(identity, watched: watched)
        let floor = feed.watermark &- overlap
        let newsFloor = feed.newsFloor(overlap: overlap)
        // Direct channels not seen before, by `create_at` against the floor (a new one has no posts yet, so
        // `last_post_at` is 0): remembered in the cursor whether they are reported or not.
        let openedDirects = channels.filter { feed.isNewDirect($0, overlap: overlap) }
            .sorted { ($0.createAt, $0.id) < ($1.createAt, $1.id) }
        feed.directs.append(contentsOf: openedDirects.map { ($0.id, $0.createAt) })
        var recent = Dictionary(feed.recent.map { ($0.channel, $0) }, uniquingKeysWith: { _, last in last })
        // A channel's posts stamped up to its `last_post_at` are all visible an overlap after the server's
        // clock passed it; the server's clock passed it before this process first saw the channel look as
        // it does now. That moment is kept in memory (monotonic time: the rate of clocks agrees, their
        // settings need not); after a restart the channels not yet settled are read once more.
        let seenNow = uptime()
        let settleAfter = Duration.milliseconds(overlap) + .milliseconds(500)
        let inWindow = channels.filter { $0.lastPostAt > floor }
        let firstSeen = state.withLock { state -> [String: Duration] in
            var kept: [String: (fingerprint: PostFeed.Fingerprint, at: Duration)] = [:]
            for channel in inWindow {
                if let seen = state.firstSeen[channel.id], seen.fingerprint == channel.fingerprint {
                    kept[channel.id] = seen
                } else {
                    kept[channel.id] = (channel.fingerprint, seenNow)
                }
            }
            state.firstSeen = kept
            return kept.mapValues(\.at)
        }
        func settled(_ channel: PostFeed.Channel) -> Bool {
            seenNow - (firstSeen[channel.id] ?? seenNow) >= settleAfter
        }
        let (ownStamps, listed, listedFloor) = state.withLock { ($0.ownPostStamps, $0.listed, $0.listedFloor) }
        // Own posts each channel's look now accounts for: those up to its `last_post_at`.
        var accountedFor: [String: Int64] = [:]
        // Within the overlap a channel is read when it changed, and once more when it has looked the same
        // for an overlap: a post stamped before its last one but not visible to the first read is then. A
        // change that is only the bot's own posts is no change: the answers it sends make no reads.
        var moved: [PostFeed.Channel] = []
        for channel in inWindow {
            let before = listed[channel.id].flatMap { look in
                look.lastPostAt <= listedFloor ? FeedCursor.Recent(channel: channel.id, fingerprint: look, settled: true) : nil
            }
            guard let known = recent[channel.id] ?? before else {
                moved.append(channel)
                continue
            }
            if known.fingerprint == channel.fingerprint {
                if !known.settled && settled(channel) { moved.append(channel) }
            } else if let own = ownStamps[channel.id], known.fingerprint.grew(onlyBy: own, to: channel.fingerprint) {
                recent[channel.id] = FeedCursor.Recent(channel: channel.id, fingerprint: channel.fingerprint, settled: known.settled)
                accountedFor[channel.id] = channel.lastPostAt
            } else {
                moved.append(channel)
            }
        }
        moved.sort { $0.id < $1.id }
        var handled = Set(feed.handled.map(\.id))
        var candidates: [(post: PostFeed.Post, direct: Bool)] = []
        for channel in moved {
            guard let posts = try await readChannel(channel.id, since: floor, watched: watched) else { continue }
            var roots: [(String, String)] = []
            for post in posts.sorted(by: { ($0.createAt, $0.id) < ($1.createAt, $1.id) }) {
                roots.append((post.id, post.rootID.isEmpty ? post.id : post.rootID))
                if let skip = PostFeed.skip(post, me: identity.userID, floor: newsFloor, handled: handled.contains) {
                    if skip != .old && skip != .handled {
                        logger.trace("Mattermost post skipped", metadata: ["mattermost.post": "\(post.id)", "reason": "\(skip.rawValue)"])
                    }
                    continue
                }
                handled.insert(post.id)
                feed.handled.append((post.id, post.createAt))
                candidates.append((post, channel.isDirect))
            }
            recent[channel.id] = FeedCursor.Recent(channel: channel.id, fingerprint: channel.fingerprint, settled: settled(channel))
            accountedFor[channel.id] = channel.lastPostAt
            state.withLock { state in
                if state.rootOf.count > Self.memoryCap { state.rootOf = [:] }
                for (post, root) in roots { state.rootOf[post] = root }
            }
        }
        // A direct chat opened comes before its messages: the engine greets, then answers the first word.
        var events = try await directChatsOpened(openedDirects, identity: identity)
        for candidate in candidates.sorted(by: { ($0.post.createAt, $0.post.id) < ($1.post.createAt, $1.post.id) }) {
            guard try await mayTalk(candidate.post.userID, identity: identity) else {
                logger.notice(
                    "ignoring a Mattermost post from someone outside the allowed domains or the team",
                    metadata: ["mattermost.post": "\(candidate.post.id)"])
                continue
            }
            events.append(Self.event(for: candidate.post, isDirect: candidate.direct))
        }
        feed.recent = Array(recent.values)
        state.withLock { state in
            state.listed = Dictionary(channels.map { ($0.id, $0.fingerprint) }, uniquingKeysWith: { _, last in last })
            state.listedFloor = floor
            for (channel, upTo) in accountedFor {
                state.ownPostStamps[channel]?.removeAll { $0 <= upTo }
            }
            // Stamps the floor passed are no news either way (their channel is not read for them).
            if !state.ownPostStamps.isEmpty {
                state.ownPostStamps = state.ownPostStamps.compactMapValues { stamps in
                    let kept = stamps.filter { $0 > floor }
                    return kept.isEmpty ? nil : kept
                }
            }
        }
        // The greatest `last_post_at`: a time on the server's own clock (its `Date` header may come from a
        // proxy whose clock runs ahead, which would make new posts look old); and a direct channel's
        // `create_at`, so that the direct channels remembered are those of the last overlap only.
        feed.watermark = max(feed.watermark, Self.latestStamp(channels))
        feed.prune(overlap: overlap)
        return events
    }

    /// The greatest server time the channel list shows: `last_post_at`, and `create_at` of direct channels.
    static func latestStamp(_ channels: [PostFeed.Channel]) -> Int64 {
        channels.map { $0.isDirect ? max($0.lastPostAt, $0.createAt) : $0.lastPostAt }.max() ?? 0
    }

    /// What the engine takes for a person opening a direct chat with the bot (as a Matrix invite with
    /// `is_direct` and the bot's join would be): an `.invite` and the `.membership` of the two, the other
    /// member as sender, for each new direct channel that a person who may talk opened. Not for one the
    /// bot opened itself (`creator_id`, or `openDirectRoom` in this process): on Matrix the bot's own
    /// invite brings no greeting either. The ids derive from the channel id, so the engine drops a repeat.
    func directChatsOpened(_ channels: [PostFeed.Channel], identity: Identity) async throws -> [ChatEvent] {
        guard !channels.isEmpty else { return [] }
        let openedByBot = state.withLock { Set($0.directRoomByUser.values.map(\.rawValue)) }
        var events: [ChatEvent] = []
        for channel in channels {
            guard channel.creatorID != identity.userID, !openedByBot.contains(channel.id),
                let person = channel.partner(of: identity.userID)
            else {
                logger.debug(
                    "A new direct Mattermost channel the bot opened, or not a person's",
                    metadata: ["mattermost.channel": "\(channel.id)"])
                continue
            }
            guard try await mayTalk(person, identity: identity) else {
                logger.notice(
                    "ignoring a direct channel opened by someone outside the allowed domains or the team",
                    metadata: ["mattermost.channel": "\(channel.id)"])
                continue
            }
            logger.info("A person opened a direct Mattermost channel", metadata: ["mattermost.channel": "\(channel.id)"])
            events += Self.directChatEvents(channel, person: person)
        }
        return events
    }

    static func directChatEvents(_ channel: PostFeed.Channel, person: String) -> [ChatEvent] {
        let room = RoomID(channel.id)
        let sender = UserID(person)
        let at = ServerNumber.date(milliseconds: Double(channel.createAt)) ?? Date(timeIntervalSince1970: 0)
        return [
            ChatEvent(
                id: "mmdm:\(channel.id):invite", room: room, sender: sender, kind: .invite(isDirect: true, encrypted: false),
                timestamp: at, isDirectRoom: true),
            ChatEvent(
                id: "mmdm:\(channel.id):joined", room: room, sender: sender,
                kind: .membership(RoomMembership(joined: 2, invited: 0, others: [sender])), timestamp: at, isDirectRoom: true),
        ]
    }

    /// Every post of the channel updated after `since`: the change feed, completed by paging the
    /// channel's posts (newest first) when it came back full. Nil when the bot
    /// may not read the channel (any more).
    func readChannel(_ channel: String, since: Int64, watched: InFlight) async throws -> [PostFeed.Post]? {
        var policy = pollPolicy
        policy.watched = watched
        let path = "/channels/\(MattermostPath.encode(channel))/posts"
        let answer: Answer
        do {
            answer = try await call("GET", path, query: [("since", "\(max(1, since))")], policy: policy)
        } catch let error as ChatError where error.code == .forbidden || error.code == .rejected {
            logger.notice("Cannot read a Mattermost channel; skipped", metadata: ["mattermost.channel": "\(channel)", "error": "\(error)"])
            return nil
        }
        guard let (posts, rows) = PostFeed.posts(answer.json) else {
            throw ChatError(.badResponse, "GET posts: no posts in the answer")
        }
        guard rows >= Self.feedCap else { return posts }
        // A full answer is an arbitrary 1,000 of the rows: the new posts are all in the listing, newest
        // first; read it back to `since` (edits of older posts are no news, and need not be read). By page
        // number, not `before`: `before` takes posts strictly older than the anchor's millisecond, and a
        // burst puts many posts in one millisecond. A post saved meanwhile shifts the pages by one, which
        // reads a post twice, never misses one.
        var all = Dictionary(posts.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for page in 0..<Self.maxPages {
            let listing = try await call(
                "GET", path, query: [("page", "\(page)"), ("per_page", "\(Self.pageSize)")], policy: policy)
            guard let (pagePosts, _) = PostFeed.posts(listing.json) else {
                throw ChatError(.badResponse, "GET posts: no posts in the answer")
            }
            for post in pagePosts where all[post.id] == nil { all[post.id] = post }
            let order = PostFeed.order(listing.json)
            guard order.count >= Self.pageSize, let oldest = order.compactMap({ all[$0]?.createAt }).min(), oldest > since
            else { break }
            if page == Self.maxPages - 1 {
                logger.warning(
                    "More new posts in a Mattermost channel than one poll reads; older ones are skipped",
                    metadata: ["mattermost.channel": "\(channel)", "mattermost.read": "\(all.count)"])
            }
        }
        logger.info("Paged a full Mattermost change feed", metadata: ["mattermost.channel": "\(channel)", "mattermost.posts": "\(all.count)"])
        return Array(all.values)
    }

    static func event(for post: PostFeed.Post, isDirect: Bool?) -> ChatEvent {
        ChatEvent(
            id: post.id, room: RoomID(post.channelID), sender: UserID(post.userID), kind: .message(text: post.message),
            timestamp: ServerNumber.date(milliseconds: Double(post.createAt)) ?? Date(timeIntervalSince1970: 0),
            isDirectRoom: isDirect, inReplyTo: post.rootID.isEmpty ? nil : post.rootID)
    }

    /// Whether `user` may talk to the bot: an active person (no bot) in the configured team whose e-mail
    /// domain is allowed. Looked up once (`GET /users/{id}`, `GET /teams/{team}/members/{id}`) and trusted
    /// for `userCacheLifetime`.
    func mayTalk(_ user: String, identity: Identity) async throws -> Bool {
        let moment = now()
        if let known = state.withLock({ $0.people[user] }),
            moment.timeIntervalSince(known.checkedAt) < config.userCacheLifetime.timeInterval
        {
            return known.allowed
        }
        let allowed = try await lookUp(user, identity: identity)
        state.withLock { state in
            if state.people.count > Self.memoryCap { state.people = [:] }
            state.people[user] = Person(allowed: allowed, checkedAt: moment)
        }
        return allowed
    }

    private func lookUp(_ user: String, identity: Identity) async throws -> Bool {
        let answer: Answer
        do {
            answer = try await call("GET", "/users/\(MattermostPath.encode(user))", policy: pollPolicy)
        } catch let error as ChatError where error.code == .rejected || error.code == .forbidden {
            return false
        }
        let profile = answer.json
        if PostFeed.milliseconds(profile["delete_at"]).map({ $0 != 0 }) ?? false { return false }
        if profile["is_bot"]?.bool == true { return false }
        if !config.allowedDomains.isEmpty {
            let email = (profile["email"]?.string ?? "").lowercased()
            guard let at = email.lastIndex(of: "@") else {
                let warn = state.withLock { state -> Bool in
                    defer { state.warnedHiddenEmail = true }
                    return !state.warnedHiddenEmail
                }
                if warn {
                    logger.warning(
                        "Mattermost shows the bot no e-mail addresses, so nobody's domain can be checked: let the bot's account see them (System Console, Privacy: Show Email Address, or a role that may)")
                }
                return false
            }
            let domain = String(email[email.index(after: at)...])
            guard config.allowedDomains.contains(domain) else { return false }
        }
        do {
            let member = try await call(
                "GET", "/teams/\(MattermostPath.encode(identity.teamID))/members/\(MattermostPath.encode(user))",
                policy: pollPolicy)
            return PostFeed.milliseconds(member.json["delete_at"]).map { $0 == 0 } ?? true
        } catch let error as ChatError where error.serverCode == Self.noSuchRoute {
            // A server without this route (a stand-in): the team's member list, page by page (a bot may not
            // read another user's teams without the user-management permission).
            for page in 0..<100 {
                let members = try await call(
                    "GET", "/teams/\(MattermostPath.encode(identity.teamID))/members",
                    query: [("page", "\(page)"), ("per_page", "200")], policy: pollPolicy)
                let list = members.json.array ?? []
                if let member = list.first(where: { $0["user_id"]?.string == user }) {
                    return PostFeed.milliseconds(member["delete_at"]).map { $0 == 0 } ?? true
                }
                if list.count < 200 { break }
            }
            return false
        } catch let error as ChatError where error.code == .rejected || error.code == .forbidden {
            return false
        }
    }

    /// The error id of a 404 for a route the server does not have (not for a missing member).
    static let noSuchRoute = "api.context.404.app_error"

    /// One post again, by id, as a poll would report it; nil when there is no such post or it is not a
    /// message the bot answers.
    public func fetchEvent(_ id: String, in room: RoomID) async throws -> ChatEvent? {
        let identity = try await currentIdentity()
        let answer: Answer
        do {
            answer = try await call(
                "GET", "/posts/\(MattermostPath.encode(id))",
                policy: CallPolicy(
                    transientRetries: config.retry.requestRetries, timeout: config.requestTimeout,
                    watched: InFlight(.event, id)))
        } catch let error as ChatError where error.code == .rejected || error.code == .forbidden {
            return nil
        }
        guard let post = PostFeed.Post(answer.json), post.channelID == room.rawValue,
            PostFeed.skip(post, me: identity.userID, floor: -1, handled: { _ in false }) == nil,
            try await mayTalk(post.userID, identity: identity)
        else { return nil }
        let direct = state.withLock { $0.directChannels.contains(room.rawValue) }
        return Self.event(for: post, isDirect: direct ? true : nil)
    }

    /// A cursor at the server's "now": everything created until then is history, and the channels within
    /// the overlap are taken as read (they are read again only when they change). "Now" is the latest
    /// post the bot can see, or the server's `Date` less a second when that is later (a bot in no
    /// channel yet must not take a channel's whole history for news when it is added to one); a `Date`
    /// ahead of the server's clock costs at most the posts of those first seconds.
    func cursorAtNow(after cursor: String?, identity: Identity, watched: InFlight?) async throws -> String {
        var feed = cursor.flatMap(FeedCursor.init(encoded:)) ?? FeedCursor(watermark: 0)
        let (channels, answer) = try await listChannels(identity, watched: watched)
        feed.watermark = max(
            feed.watermark, Self.latestStamp(channels), answer.serverMilliseconds.map { $0 &- 1_000 } ?? 0)
        feed.start = feed.watermark
        let overlap = overlapMilliseconds
        feed.recent = channels.filter { $0.lastPostAt > feed.watermark &- overlap }
            .map { FeedCursor.Recent(channel: $0.id, fingerprint: $0.fingerprint, settled: true) }
        feed.prune(overlap: overlap)
        return feed.encoded
    }

    /// A cursor past whatever the feed holds now, without reading it (see `cursorAtNow`).
    public func skipPast(cursor: String?) async throws -> String {
        let identity = try await currentIdentity()
        let next = try await cursorAtNow(after: cursor, identity: identity, watched: nil)
        logger.warning("Skipped past a Mattermost change-feed answer without reading it")
        return next
    }

    // MARK: Sending

    /// The `pending_post_id` of a transaction: the server drops a second post with the same one for
    /// about 30 s. Derived (two FNV-1a hashes), so it is the same after a restart.
    static func pendingPostID(_ txn: String) -> String {
        "skav" + StableHash.hex(txn) + StableHash.hex(String(txn.reversed()) + "\u{0}skav")
    }

    /// Sends the message as one post, or as several when its Markdown exceeds `MaxPostSize` (the engine
    /// splits digests itself; anything else that is too long is cut at paragraph, line or word
    /// boundaries). Part *k* > 1 has the transaction id `txn#k`, so every part is sent exactly once; the
    /// first part's post id is the message's.
    public func send(_ message: OutgoingMessage) async throws -> SentMessage {
        let txn = message.txnID
        guard !txn.isEmpty else { throw ChatError(.rejected, "a message needs a transaction id") }
        let identity = try await currentIdentity()
        let channel = message.room.rawValue
        let text = message.attachment != nil && message.body.isEmpty ? "" : message.body.markdown
        let parts = Self.split(text, limit: state.withLock { $0.maxPostSize })
        var root: String?
        if let reply = message.inReplyTo { root = try await threadRoot(of: reply) }
        var first: String?
        for (index, part) in parts.enumerated() {
            let id = try await sendPart(
                txn: index == 0 ? txn : "\(txn)#\(index + 1)", channel: channel, text: part, root: root,
                attachment: index == 0 ? message.attachment : nil, identity: identity)
            if first == nil { first = id }
        }
        guard let first else { throw ChatError(.rejected, "nothing to send") }
        return SentMessage(remoteID: first)
    }

    /// One post of a transaction, exactly once: known, found among the channel's latest posts, or posted.
    private func sendPart(
        txn: String, channel: String, text: String, root: String?, attachment: FileAttachment?, identity: Identity
    ) async throws -> String {
        if let known = state.withLock({ $0.sentTxns[txn] }) { return known }
        let mustSearch = state.withLock { !$0.searchedChannels.contains(channel) || $0.unconfirmedTxns.contains(txn) }
        if mustSearch, let found = try await findOwnPost(txn: txn, channel: channel, identity: identity) {
            logger.info(
                "Found the bot's earlier post of a transaction; not posting it again",
                metadata: ["mattermost.channel": "\(channel)", "mattermost.post": "\(found)"])
            return found
        }
        var post: [String: JSON] = [
            "channel_id": .string(channel),
            "message": .string(text),
            "pending_post_id": .string(Self.pendingPostID(txn)),
            "props": ["skav_txn": .string(txn)],
        ]
        if let root { post["root_id"] = .string(root) }
        if let attachment {
            let file = try await upload(attachment, channel: channel)
            post["file_ids"] = [.string(file)]
        }
        state.withLock { state in
            if state.unconfirmedTxns.count > Self.memoryCap { state.unconfirmedTxns = [] }
            state.unconfirmedTxns.insert(txn)
        }
        // Not retried after a timeout or a 5xx (the post may have been saved): the outbox tries again
        // later, and then this transaction is searched for first. A repeat while the first is still being
        // saved (500 deduplicate pending) is retried at once with the same `pending_post_id`.
        let answer: Answer
        do {
            answer = try await call(
                "POST", "/posts", body: .object(post),
                policy: CallPolicy(transientRetries: config.retry.requestRetries, idempotent: false, timeout: config.requestTimeout))
        } catch let error as ChatError where error.code != .transient && error.code != .badResponse && error.code != .cancelled {
            // Refused (429, 4xx): surely not saved, so the next try needs no search first.
            _ = state.withLock { $0.unconfirmedTxns.remove(txn) }
            throw error
        }
        guard let id = answer.json["id"]?.string, !id.isEmpty else {
            throw ChatError(.badResponse, "POST /posts: no id in the answer")
        }
        remember(txn: txn, post: id)
        if let stamp = PostFeed.milliseconds(answer.json["create_at"]) {
            state.withLock { state in
                if state.ownPostStamps.count > Self.memoryCap { state.ownPostStamps = [:] }
                state.ownPostStamps[channel, default: []].append(stamp)
            }
        }
        logger.debug("Sent Mattermost post", metadata: ["mattermost.channel": "\(channel)", "mattermost.post": "\(id)"])
        return id
    }

    /// `text` in pieces of at most `limit` characters (Unicode scalars, which Mattermost's rune count
    /// equals): cut after the last blank line, else line break, else space in the second half of a piece,
    /// else hard, never right after a Markdown escape's backslash. Always at least one piece.
    static func split(_ text: String, limit: Int) -> [String] {
        let limit = max(2, limit)
        var scalars = Array(text.unicodeScalars)
        var parts: [String] = []
        while scalars.count > limit {
            var cut = limit
            let half = limit / 2
            func lastIndex(after minimum: Int, where match: (Int) -> Bool) -> Int? {
                var index = limit
                while index > minimum {
                    if match(index) { return index }
                    index -= 1
                }
                return nil
            }
            if let paragraph = lastIndex(after: half, where: { scalars[$0 - 1] == "\n" && $0 >= 2 && scalars[$0 - 2] == "\n" }) {
                cut = paragraph
            } else if let line = lastIndex(after: half, where: { scalars[$0 - 1] == "\n" }) {
                cut = line
            } else if let space = lastIndex(after: half, where: { scalars[$0 - 1] == " " }) {
                cut = space
            } else if scalars[cut - 1] == "\\" {
                cut -= 1
            }
            var piece = String(String.UnicodeScalarView(scalars[..<cut]))
            while piece.hasSuffix("\n") || piece.hasSuffix(" ") { piece.removeLast() }
            if !piece.isEmpty { parts.append(piece) }
            scalars.removeFirst(cut)
            while scalars.first == "\n" { scalars.removeFirst() }
        }
        if !scalars.isEmpty || parts.isEmpty { parts.append(String(String.UnicodeScalarView(scalars))) }
        return parts
    }

    private func remember(txn: String, post: String) {
        state.withLock { state in
            if state.sentTxns.count > Self.memoryCap {
                // Forgetting what was sent costs a search in each channel again, never a duplicate.
                state.sentTxns = [:]
                state.searchedChannels = []
            }
            state.sentTxns[txn] = post
            state.unconfirmedTxns.remove(txn)
        }
    }

    /// The bot's post of `txn` among the channel's latest posts, if there is one. Every transaction of the
    /// bot found there is remembered, so one search per channel and process covers the sends of the
    /// previous run.
    func findOwnPost(txn: String, channel: String, identity: Identity) async throws -> String? {
        let answer = try await call(
            "GET", "/channels/\(MattermostPath.encode(channel))/posts",
            query: [("page", "0"), ("per_page", "\(Self.searchSize)")], policy: requestPolicy)
        guard let (posts, _) = PostFeed.posts(answer.json) else {
            throw ChatError(.badResponse, "GET posts: no posts in the answer")
        }
        let ours = posts.compactMap { post -> (String, String)? in
            guard post.userID == identity.userID, post.deleteAt == 0, post.originalID.isEmpty, let txn = post.txn else { return nil }
            return (txn, post.id)
        }
        for (found, post) in ours { remember(txn: found, post: post) }
        return state.withLock { state in
            state.searchedChannels.insert(channel)
            return state.sentTxns[txn]
        }
    }

    /// `root_id` must name a thread's root: the root of the thread `post` is in (itself for a root); nil
    /// when the post is gone (the answer then starts no thread).
    func threadRoot(of post: String) async throws -> String? {
        if let root = state.withLock({ $0.rootOf[post] }) { return root }
        do {
            let answer = try await call("GET", "/posts/\(MattermostPath.encode(post))", policy: requestPolicy)
            let root = answer.json["root_id"]?.string ?? ""
            return root.isEmpty ? post : root
        } catch let error as ChatError where error.code == .rejected || error.code == .forbidden {
            return nil
        }
    }

    /// `POST /files` (multipart: `channel_id`, `files`); returns the file id for the post's `file_ids`.
    /// An upload is not idempotent: after a crash a file may be uploaded twice, but the post that shows it
    /// is made once.
    func upload(_ attachment: FileAttachment, channel: String) async throws -> String {
        var form = MultipartForm()
        form.addField("channel_id", channel)
        form.addFile("files", filename: attachment.filename, contentType: attachment.mimeType, data: attachment.data)
        let answer = try await call(
            "POST", "/files", upload: (form.body, form.contentType),
            policy: CallPolicy(
                transientRetries: config.retry.requestRetries, idempotent: false, timeout: config.requestTimeout + .seconds(30)))
        guard let id = answer.json["file_infos"]?.array?.first?["id"]?.string, !id.isEmpty else {
            throw ChatError(.badResponse, "POST /files: no file id in the answer")
        }
        return id
    }

    // MARK: Channels

    /// The direct channel with `user` (`POST /channels/direct`, which returns the existing one or makes
    /// it: idempotent, so no creation token is needed), cached for the process.
    public func openDirectRoom(with user: UserID) async throws -> RoomID {
        if let known = state.withLock({ $0.directRoomByUser[user] }) { return known }
        let identity = try await currentIdentity()
        let answer = try await call(
            "POST", "/channels/direct", body: [.string(identity.userID), .string(user.rawValue)], policy: requestPolicy)
        guard let id = answer.json["id"]?.string, !id.isEmpty else {
            throw ChatError(.badResponse, "POST /channels/direct: no id in the answer")
        }
        let room = RoomID(id)
        state.withLock { state in
            if state.directRoomByUser.count > Self.memoryCap { state.directRoomByUser = [:] }
            state.directRoomByUser[user] = room
            state.directChannels.insert(id)
        }
        logger.info("Opened a direct Mattermost channel", metadata: ["mattermost.channel": "\(room)"])
        return room
    }

    /// For `skav doctor`: a channel's display name and whether the bot is in it.
    public func checkChannel(_ room: RoomID) async throws -> (name: String, isMember: Bool) {
        let identity = try await currentIdentity()
        let channel = try await call("GET", "/channels/\(MattermostPath.encode(room.rawValue))", policy: requestPolicy)
        let name = channel.json["display_name"]?.string ?? channel.json["name"]?.string ?? room.rawValue
        do {
            _ = try await call(
                "GET", "/channels/\(MattermostPath.encode(room.rawValue))/members/\(MattermostPath.encode(identity.userID))",
                policy: requestPolicy)
            return (name, true)
        } catch let error as ChatError where error.code == .rejected {
            return (name, false)
        }
    }

    /// Adds the bot to a channel. A direct channel has its two members from the start and takes no
    /// others: joining one is done already (known from the channel list, or asked when the server refuses).
    public func join(_ room: RoomID) async throws {
        if state.withLock({ $0.directChannels.contains(room.rawValue) }) { return }
        let identity = try await currentIdentity()
        do {
            _ = try await call(
                "POST", "/channels/\(MattermostPath.encode(room.rawValue))/members",
                body: ["user_id": .string(identity.userID)], policy: requestPolicy)
        } catch let error as ChatError where error.code == .rejected || error.code == .forbidden {
            let channel = try? await call("GET", "/channels/\(MattermostPath.encode(room.rawValue))", policy: requestPolicy)
            guard channel?.json["type"]?.string == "D" else { throw error }
            state.withLock { _ = $0.directChannels.insert(room.rawValue) }
            return
        }
        logger.info("Joined Mattermost channel", metadata: ["mattermost.channel": "\(room)"])
    }

    public func leave(_ room: RoomID) async throws {
        let identity = try await currentIdentity()
        do {
            _ = try await call(
                "DELETE",
                "/channels/\(MattermostPath.encode(room.rawValue))/members/\(MattermostPath.encode(identity.userID))",
                policy: requestPolicy)
        } catch let error as ChatError where error.code == .rejected && error.message.contains("HTTP 404") {
            // Not a member (any more): what leaving wanted.
        }
        state.withLock { state in
            state.directRoomByUser = state.directRoomByUser.filter { $0.value != room }
        }
        logger.info("Left Mattermost channel", metadata: ["mattermost.channel": "\(room)"])
    }
}
