import Chat
import CurlHTTP
import Foundation

/// The pure part of reading Mattermost: posts and channels decoded from JSON, the rule that says which
/// post is a new message, and the cursor. No I/O and no clock, so every rule is tested on plain JSON,
/// and nothing a server answers can trap (every number is clamped, every field optional).
enum PostFeed {
    /// The latest server time taken: the end of year 9999, in milliseconds.
    static let latestMilliseconds: Int64 = 253_402_300_799_999

    /// A server time in milliseconds (`create_at`, `update_at`, …), clamped to 0…year 9999; nil when it
    /// is no number.
    static func milliseconds(_ value: Double) -> Int64? {
        guard value.isFinite else { return nil }
        let clamped = min(max(0, value.rounded(.down)), Double(latestMilliseconds))
        return Int64(clamped)
    }

    static func milliseconds(_ json: JSON?) -> Int64? {
        json?.number.flatMap(milliseconds)
    }

    /// One post as the adapter reads it.
    struct Post: Sendable, Equatable {
        var id: String
        var channelID: String
        var userID: String
        var rootID: String
        var message: String
        var type: String
        var createAt: Int64
        var updateAt: Int64
        var deleteAt: Int64
        var originalID: String
        var fromBot: Bool
        /// `props.skav_txn`: the transaction id the bot sent it with.
        var txn: String?

        /// Reads a post; nil when it lacks an id, a channel, a user or a creation time.
        init?(_ json: JSON) {
            guard let id = json["id"]?.string, !id.isEmpty, id.utf8.count <= 128,
                let channel = json["channel_id"]?.string, !channel.isEmpty,
                let user = json["user_id"]?.string, !user.isEmpty,
                let createAt = PostFeed.milliseconds(json["create_at"])
            else { return nil }
            self.id = id
            channelID = channel
            userID = user
            rootID = json["root_id"]?.string ?? ""
            message = json["message"]?.string ?? ""
            type = json["type"]?.string ?? ""
            self.createAt = createAt
            updateAt = PostFeed.milliseconds(json["update_at"]) ?? createAt
            deleteAt = PostFeed.milliseconds(json["delete_at"]) ?? 0
            originalID = json["original_id"]?.string ?? ""
            let props = json["props"]
            fromBot = props?["from_bot"]?.string == "true" || props?["from_bot"]?.bool == true
                || props?["from_webhook"]?.string == "true"
            txn = props?["skav_txn"]?.string
        }
    }

    /// The posts of a `GET /channels/{id}/posts` answer (`{order, posts}`), in no particular order, and
    /// how many rows the answer held (the cap is 1,000). Nil when the answer has no `posts` object.
    static func posts(_ body: JSON) -> (posts: [Post], rows: Int)? {
        guard let posts = body["posts"]?.object else { return nil }
        let order = body["order"]?.array?.count ?? 0
        return (posts.values.compactMap(Post.init), max(order, posts.count))
    }

    /// The ids of `order`, newest first in a paged listing.
    static func order(_ body: JSON) -> [String] {
        body["order"]?.array?.compactMap { $0.string } ?? []
    }

    /// Why a post is not a new message; nil when it is one.
    enum Skip: String, Sendable, Equatable {
        case deleted, history, own, bot, system, empty, old, handled
    }

    /// The rule: a new message is a post whose id was not handled before, that is not deleted, not an
    /// edit-history row, not the bot's own, not from a bot or webhook, not a system post, and that was
    /// created after `floor` (the earlier poll's watermark less the overlap: anything older was seen
    /// then, so an edit, reaction or reply that brings an old post back is not news). `create_at` alone
    /// never decides: a post created after `floor` is new unless `handled` holds it.
    static func skip(_ post: Post, me: String, floor: Int64, handled: (String) -> Bool) -> Skip? {
        if post.deleteAt != 0 { return .deleted }
        if !post.originalID.isEmpty { return .history }
        if post.userID == me { return .own }
        if post.fromBot { return .bot }
        if !post.type.isEmpty { return .system }
        if post.createAt <= floor { return .old }
        if handled(post.id) { return .handled }
        if post.message.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return .empty }
        return nil
    }

    /// One channel of the bot's channel list.
    struct Channel: Sendable, Equatable {
        var id: String
        /// `D` direct, `G` group, `O` open, `P` private.
        var type: String
        var lastPostAt: Int64
        /// `total_msg_count`: grows with every post saved, also one stamped before the last post
        /// (`last_post_at` keeps the greatest stamp, so it alone would not move). Nil when not given.
        var totalMessages: Int64?
        var deleteAt: Int64
        /// `create_at` (0 when not given). A new direct channel has `last_post_at` 0 until its first post:
        /// only this says when it was made.
        var createAt: Int64
        /// `name`: `<idA>__<idB>` for a direct channel.
        var name: String
        /// `creator_id`: the first id of `POST /channels/direct` for a direct channel ("" on old servers).
        var creatorID: String

        init?(_ json: JSON) {
            guard let id = json["id"]?.string, !id.isEmpty, id.utf8.count <= 128 else { return nil }
            self.id = id
            type = json["type"]?.string ?? ""
            lastPostAt = PostFeed.milliseconds(json["last_post_at"]) ?? 0
            totalMessages = PostFeed.milliseconds(json["total_msg_count"])
            deleteAt = PostFeed.milliseconds(json["delete_at"]) ?? 0
            createAt = PostFeed.milliseconds(json["create_at"]) ?? 0
            name = json["name"]?.string ?? ""
            creatorID = json["creator_id"]?.string ?? ""
        }

        var isDirect: Bool { type == "D" }

        /// The other member of a direct channel of `me`, from its name `<idA>__<idB>`; nil for any other
        /// channel, a name that is not two ids with `me` among them, or `me`'s channel with itself.
        func partner(of me: String) -> String? {
            guard isDirect, name.utf8.count <= 260 else { return nil }
            let ids = name.components(separatedBy: "__")
            guard ids.count == 2, ids.allSatisfy({ !$0.isEmpty }), ids.contains(me), ids[0] != ids[1] else { return nil }
            return ids[0] == me ? ids[1] : ids[0]
        }

        /// What must change for the channel to be read again while it is within the overlap.
        var fingerprint: Fingerprint { Fingerprint(lastPostAt: lastPostAt, totalMessages: totalMessages) }
    }

    struct Fingerprint: Sendable, Equatable {
        var lastPostAt: Int64
        var totalMessages: Int64?

        /// Whether the change from `self` to `now` is the bot's own posts alone: `own` holds the
        /// `create_at` of the posts this process made in the channel. True when the count grew by exactly
        /// the number of those stamped after `self`, and the latest of them is the channel's
        /// `last_post_at`. Any other post saved meanwhile adds to the count, also one stamped earlier and
        /// visible late (the server counts it when it becomes visible, which moves the fingerprint again);
        /// an edit adds nothing to the count, but Skav reports no edits. Without counts, never.
        func grew(onlyBy own: [Int64], to now: Fingerprint) -> Bool {
            guard let before = totalMessages, let after = now.totalMessages else { return false }
            let new = own.filter { $0 > lastPostAt }
            guard let latest = new.max() else { return false }
            return latest == now.lastPostAt && after &- before == Int64(new.count)
        }
    }

    static func channels(_ body: JSON) -> [Channel]? {
        guard let array = body.array else { return nil }
        return array.compactMap(Channel.init)
    }
}

/// What `poll` keeps between answers, encoded as the opaque cursor the engine stores with the batch's
/// effects. Its size depends on how much happened within the overlap, never on the number of channels:
///
/// - `watermark`: the server's time up to which every post has been seen — the greatest `last_post_at`
///   of the channel list (the first start may take the server's `Date` instead); never the local clock.
///   A poll reads a channel again only when its `last_post_at` lies past
///   `watermark − overlap`, with `since = watermark − overlap`; a post created before that was seen by
///   an earlier poll (a post is visible within the overlap of its stamp), so it is no news.
/// - `start`: posts created at or before it are history (the first start, `skipPast`).
/// - `recent`: the channels read whose `last_post_at` still lies within the overlap, with what they
///   looked like then (`last_post_at`, `total_msg_count`): they are read again when that changes, and
///   once more when they have looked the same for an overlap (a post stamped earlier may have been
///   invisible to the first read: a replica behind, a commit after the stamp), so a change costs two
///   reads at most and an idle bot makes one request (the channel list) per interval. A change that is
///   only the bot's own posts of this process costs no read (`Fingerprint.grew(onlyBy:to:)`): an
///   answer does not make its channel be read.
/// - `handled`: the posts reported whose `create_at` still lies within the overlap, so a post seen
///   again there is not reported twice.
/// - `directs`: the direct channels found new (created after the news floor) whose `create_at` still
///   lies within the overlap, so a channel seen again there is not reported as opened twice. A direct
///   channel's `create_at` moves the watermark like a post, so this holds the channels of the last
///   overlap only, however many there are; `directFloor`: past the cap the oldest go, and no direct
///   channel created at or before the newest of them is new any more (a greeting missed, never repeated).
///
/// The lists are capped (`maxRecent`, `maxHandled`, `maxDirects`): past the cap the oldest go, which
/// costs a channel read again or a post reported again (the engine drops an event id it has processed),
/// never a miss.
struct FeedCursor: Sendable, Equatable {
    struct Recent: Sendable, Equatable {
        var channel: String
        var fingerprint: PostFeed.Fingerprint
        /// Whether the last read came at least `overlap` after the server's clock passed the channel's
        /// `last_post_at`: every post stamped up to then was visible to it, so the channel needs no read
        /// until it changes. Until then it is read once more when that time has come.
        var settled: Bool

        init(channel: String, fingerprint: PostFeed.Fingerprint, settled: Bool = true) {
            self.channel = channel
            self.fingerprint = fingerprint
            self.settled = settled
        }
    }

    var watermark: Int64
    /// Posts created at or before this are history (the first start's "now", or where `skipPast` went):
    /// never news, even when they turn up late within the overlap.
    var start: Int64 = 0
    var recent: [Recent] = []
    /// Post id and its `create_at`.
    var handled: [(id: String, createAt: Int64)] = []
    /// Direct channel id and its `create_at`: found new (and reported when its person may talk).
    var directs: [(id: String, createAt: Int64)] = []
    /// Direct channels created at or before this are no news (raised when `directs` overflows).
    var directFloor: Int64 = 0

    static let maxRecent = 512
    static let maxHandled = 2_000
    static let maxDirects = 512

    init(watermark: Int64, start: Int64 = 0, recent: [Recent] = [], handled: [(id: String, createAt: Int64)] = []) {
        self.watermark = watermark
        self.start = start
        self.recent = recent
        self.handled = handled
    }

    static func == (a: FeedCursor, b: FeedCursor) -> Bool {
        a.watermark == b.watermark && a.start == b.start && a.recent == b.recent && a.handled.map(\.id) == b.handled.map(\.id)
            && a.handled.map(\.createAt) == b.handled.map(\.createAt) && a.directs.map(\.id) == b.directs.map(\.id)
            && a.directs.map(\.createAt) == b.directs.map(\.createAt) && a.directFloor == b.directFloor
    }

    /// Drops what lies before `watermark − overlap` and what exceeds the caps (oldest first).
    mutating func prune(overlap: Int64) {
        let floor = watermark &- overlap
        recent.removeAll { $0.fingerprint.lastPostAt <= floor }
        if recent.count > Self.maxRecent {
            recent.sort { $0.fingerprint.lastPostAt > $1.fingerprint.lastPostAt }
            recent.removeLast(recent.count - Self.maxRecent)
        }
        recent.sort { $0.channel < $1.channel }
        handled.removeAll { $0.createAt <= floor }
        handled.sort { ($0.createAt, $0.id) < ($1.createAt, $1.id) }
        if handled.count > Self.maxHandled { handled.removeFirst(handled.count - Self.maxHandled) }
        directs.removeAll { $0.createAt <= floor || $0.createAt <= directFloor }
        directs.sort { ($0.createAt, $0.id) < ($1.createAt, $1.id) }
        if directs.count > Self.maxDirects {
            let dropped = directs.prefix(directs.count - Self.maxDirects)
            directFloor = max(directFloor, dropped.map(\.createAt).max() ?? directFloor)
            directs.removeAll { $0.createAt <= directFloor }
        }
    }

    /// Below this nothing is news: the start, or the watermark less the overlap.
    func newsFloor(overlap: Int64) -> Int64 { max(watermark &- overlap, start) }

    /// Whether a direct channel is one not seen before: created after the news floor (and `directFloor`),
    /// and not in `directs`.
    func isNewDirect(_ channel: PostFeed.Channel, overlap: Int64) -> Bool {
        channel.isDirect && channel.deleteAt == 0 && channel.createAt > max(newsFloor(overlap: overlap), directFloor)
            && !directs.contains { $0.id == channel.id }
    }

    /// `mm1:` and compact JSON: `{"w":…,"s":…,"r":[[channel,last_post_at,total|null,settled]…],"h":[[id,create_at]…]}`,
    /// and `"d":[[channel,create_at]…]` and `"df":…` when there are direct channels to remember.
    var encoded: String {
        let r: [JSON] = recent.map {
            [.string($0.channel), .number(Double($0.fingerprint.lastPostAt)),
             $0.fingerprint.totalMessages.map { .number(Double($0)) } ?? .null, .bool($0.settled)]
        }
        let h: [JSON] = handled.map { [.string($0.id), .number(Double($0.createAt))] }
        var fields: [String: JSON] = ["w": .number(Double(watermark)), "s": .number(Double(start)), "r": .array(r), "h": .array(h)]
        if !directs.isEmpty { fields["d"] = .array(directs.map { [.string($0.id), .number(Double($0.createAt))] }) }
        if directFloor > 0 { fields["df"] = .number(Double(directFloor)) }
        return "mm1:" + JSON.object(fields).encodedString
    }

    /// Reads a cursor; nil when it is not one of ours.
    init?(encoded text: String) {
        guard text.hasPrefix("mm1:"), text.utf8.count <= 1 << 20,
            let json = try? JSON.parse(Data(text.utf8.dropFirst(4))),
            let watermark = PostFeed.milliseconds(json["w"])
        else { return nil }
        self.watermark = watermark
        start = PostFeed.milliseconds(json["s"]) ?? 0
        for item in json["r"]?.array ?? [] {
            guard let fields = item.array, fields.count >= 2, let channel = fields[0].string,
                let last = PostFeed.milliseconds(fields[1])
            else { continue }
            let total = fields.count > 2 ? PostFeed.milliseconds(fields[2]) : nil
            let settled = fields.count > 3 ? fields[3].bool ?? false : false
            recent.append(
                Recent(
                    channel: channel, fingerprint: PostFeed.Fingerprint(lastPostAt: last, totalMessages: total), settled: settled))
        }
        for item in json["h"]?.array ?? [] {
            guard let fields = item.array, fields.count >= 2, let id = fields[0].string,
                let createAt = PostFeed.milliseconds(fields[1])
            else { continue }
            handled.append((id, createAt))
        }
        for item in json["d"]?.array ?? [] {
            guard let fields = item.array, fields.count >= 2, let id = fields[0].string,
                let createAt = PostFeed.milliseconds(fields[1])
            else { continue }
            directs.append((id, createAt))
        }
        directFloor = PostFeed.milliseconds(json["df"]) ?? 0
    }
}

/// The pure decoding of a change-feed answer, for the fuzzer and property tests: the new messages of a
/// `GET /channels/{id}/posts` body for a bot `me`, given the floor. Never traps.
public enum MattermostFeedDecoding {
    public static func newMessages(fromPostsBody body: Data, me: String, floor: Int64) -> [ChatEvent]? {
        guard let json = try? JSON.parse(body), let (posts, _) = PostFeed.posts(json) else { return nil }
        return posts.filter { PostFeed.skip($0, me: me, floor: floor, handled: { _ in false }) == nil }
            .sorted { ($0.createAt, $0.id) < ($1.createAt, $1.id) }
            .map { MattermostChatService.event(for: $0, isDirect: nil) }
    }

    /// The channels of a channel-list body, as (id, type, last_post_at); nil when it is no list.
    public static func channels(fromBody body: Data) -> [(id: String, type: String, lastPostAt: Int64)]? {
        guard let json = try? JSON.parse(body), let channels = PostFeed.channels(json) else { return nil }
        return channels.map { ($0.id, $0.type, $0.lastPostAt) }
    }

    /// What a Mattermost error answer says and how long a 429 asks to wait, as the adapter reads them.
    public static func errorSummary(status: Int, headers: [String: String], body: Data, now: Date) -> (summary: String, retryAfter: Duration?) {
        let lowered = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { _, last in last })
        let response = HTTPResponse(status: status, headers: lowered, body: body)
        return (MattermostErrorBody(body).summary, rateLimitWait(response, now: now))
    }
}
