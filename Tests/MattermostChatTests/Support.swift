import Chat
import CurlHTTP
import Foundation
import Logging
import Synchronization
import SkavTesting
import Testing

@testable import MattermostChat


extension ScriptedHTTPClient.Reply {
    static func json(_ status: Int = 200, _ value: JSON, headers: [String: String] = [:]) -> Self {
        .data(status, value.encoded, headers: headers)
    }
}

extension HTTPRequest {
    /// The path after `/api/v4`, without the query.
    var path: String {
        let after = url.components(separatedBy: "/api/v4").dropFirst().joined(separator: "/api/v4")
        return after.split(separator: "?", maxSplits: 1).first.map(String.init) ?? after
    }



    var json: JSON? { body.flatMap { try? JSON.parse($0) } }
}

let botID = "bot0000000000000000000000a"
let teamID = "team000000000000000000000a"
let anna = "anna000000000000000000000a"
let bertil = "bertil0000000000000000000a"
let token = "mmtoken_SECRET_value"

/// A small in-memory Mattermost: channels, posts, users, with the change feed's behaviour (rows with
/// `update_at > since`, at most 1,000, in a shuffled order, thread roots of the rows added), the paged
/// listing (newest first, `before`), `pending_post_id` de-duplication, and posts that are not visible yet.
final class MiniMattermost: Sendable {
    struct Post: Sendable {
        var id: String
        var channel: String
        var user: String
        var message: String
        var createAt: Int64
        var updateAt: Int64
        var deleteAt: Int64 = 0
        var rootID = ""
        var originalID = ""
        var type = ""
        var props: JSON = .object([:])
        var pendingPostID = ""
        /// False: saved but not committed (or not on the replica) yet: no read shows it.
        var visible = true

        var json: JSON {
            [
                "id": .string(id), "channel_id": .string(channel), "user_id": .string(user), "message": .string(message),
                "create_at": .number(Double(createAt)), "update_at": .number(Double(updateAt)),
                "delete_at": .number(Double(deleteAt)), "edit_at": 0, "root_id": .string(rootID),
                "original_id": .string(originalID), "type": .string(type), "props": props,
                "pending_post_id": .string(pendingPostID),
            ]
        }
    }

    struct Channel: Sendable {
        var id: String
        var type: String
        var createAt: Int64
        var name: String = ""
        var creator: String = ""
    }

    struct State: Sendable {
        var channels: [Channel] = []
        var posts: [Post] = []
        var clock: Int64 = 1_700_000_020_000
        /// The `Date` header of channel-list answers; by default the clock's, in whole seconds.
        var date: String?
        var emails: [String: String] = [:]
        var teamMembers: Set<String> = []
        var nextID = 0
        var seed: UInt64 = 7
        var maxPostSize = "16383"
        /// Channel-list answers with `total_msg_count` (a real server sends it).
        var sendsTotals = true
        /// `last_post_at` and `total_msg_count` move when a post is stamped, before it is visible (a read
        /// from a replica that is behind the one the channel list came from).
        var countsInvisible = false
        /// No `GET /teams/{id}/members/{user}` (the e2e fake): the member list instead.
        var noMemberRoute = false
        var uploads = 0
        /// `last_post_at` 0 for a channel without posts (a real server); otherwise its `create_at`.
        var emptyChannelsAtZero = false
    }

    let state = Mutex(State())

    init() {
        state.withLock {
            $0.emails = [anna: "anna@kommun.se", bertil: "bertil@annat.se", botID: "bot@kommun.se"]
            $0.teamMembers = [anna, bertil, botID]
        }
    }

    @discardableResult
    func tick(_ ms: Int64 = 10) -> Int64 {
        state.withLock {
            $0.clock += ms
            return $0.clock
        }
    }

    @discardableResult
    func addChannel(_ id: String, type: String = "D") -> String {
        state.withLock { state in
            state.clock += 1
            state.channels.append(Channel(id: id, type: type, createAt: state.clock))
        }
        return id
    }

    /// The direct channel of `person` and the bot as `POST /channels/direct` makes it: named
    /// `<idA>__<idB>`, `creator_id` the first id of the request (`opener`).
    @discardableResult
    func addDirect(_ id: String, with person: String, openedBy opener: String? = nil) -> String {
        state.withLock { state in
            state.clock += 1
            state.channels.append(
                Channel(
                    id: id, type: "D", createAt: state.clock, name: [person, botID].sorted().joined(separator: "__"),
                    creator: opener ?? person))
        }
        return id
    }

    @discardableResult
    func post(
        _ channel: String, by user: String, _ message: String, root: String = "", type: String = "",
        props: JSON = .object([:]), visible: Bool = true, at time: Int64? = nil
    ) -> String {
        state.withLock { state in
            state.clock += 10
            state.nextID += 1
            let id = String(format: "post%022d", state.nextID)
            let stamp = time ?? state.clock
            state.posts.append(
                Post(
                    id: id, channel: channel, user: user, message: message, createAt: stamp, updateAt: stamp, rootID: root,
                    type: type, props: props, visible: visible))
            if !root.isEmpty, let index = state.posts.firstIndex(where: { $0.id == root }) {
                // A root's update_at moves when it gets a reply (it comes back in the feed).
                state.posts[index].updateAt = state.clock
            }
            return id
        }
    }

    func mutate(_ id: String, _ change: @Sendable (inout Post, Int64) -> Void) {
        state.withLock { state in
            state.clock += 10
            if let index = state.posts.firstIndex(where: { $0.id == id }) { change(&state.posts[index], state.clock) }
        }
    }

    /// An edit as Mattermost makes it: the post gets the new text and `update_at`, and a history row (a
    /// copy with a new id and `original_id`) is saved.
    func edit(_ id: String, to text: String) {
        state.withLock { state in
            state.clock += 10
            guard let index = state.posts.firstIndex(where: { $0.id == id }) else { return }
            var history = state.posts[index]
            state.nextID += 1
            history.id = String(format: "hist%022d", state.nextID)
            history.originalID = id
            history.updateAt = state.clock
            history.deleteAt = state.clock
            state.posts.append(history)
            state.posts[index].message = text
            state.posts[index].updateAt = state.clock
        }
    }

    var visiblePosts: [Post] { state.withLock { $0.posts.filter(\.visible) } }

    func channelJSON(_ channel: Channel, _ state: State) -> JSON {
        let posts = state.posts.filter { ($0.visible || state.countsInvisible) && $0.channel == channel.id && $0.originalID.isEmpty }
        // last_post_at: the greatest stamp of a post saved (deletes and reactions do not move it).
        let last = posts.map(\.createAt).max() ?? (state.emptyChannelsAtZero ? 0 : channel.createAt)
        var json: [String: JSON] = [
            "id": .string(channel.id), "type": .string(channel.type), "team_id": channel.type == "D" ? "" : .string(teamID),
            "name": .string(channel.name), "create_at": .number(Double(channel.createAt)), "update_at": .number(Double(channel.createAt)),
            "delete_at": 0, "last_post_at": .number(Double(last)), "creator_id": .string(channel.creator),
        ]
        if state.sendsTotals { json["total_msg_count"] = .number(Double(posts.count)) }
        return .object(json)
    }

    static func httpDate(milliseconds: Int64) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds / 1000)))
    }

    func handle(_ request: HTTPRequest) -> ScriptedHTTPClient.Reply {
        let path = request.path
        let parts = path.split(separator: "/").map(String.init)
        return state.withLock { state -> ScriptedHTTPClient.Reply in
            let dateHeader = ["Date": state.date ?? Self.httpDate(milliseconds: state.clock)]
            switch (request.method, parts.count, parts.first) {
            case ("GET", 2, "users") where parts[1] == "me":
                return .json(200, ["id": .string(botID), "username": "skav"])
            case ("GET", 3, "teams") where parts[1] == "name":
                return .json(200, ["id": .string(teamID), "name": .string(parts[2])])
            case ("GET", 2, "config"):
                return .json(200, ["MaxPostSize": .string(state.maxPostSize)])
            case ("GET", 5, "users") where parts[4] == "channels":
                return .json(200, .array(state.channels.map { channelJSON($0, state) }), headers: dateHeader)
            case ("GET", 2, "users"):
                guard let email = state.emails[parts[1]] else { return .raw(404, #"{"id":"app.user.missing_account.const"}"#) }
                return .json(200, ["id": .string(parts[1]), "email": .string(email), "delete_at": 0])
            case ("GET", 4, "teams") where parts[2] == "members" && state.noMemberRoute:
                return .raw(404, #"{"id":"api.context.404.app_error","message":"Sorry, we could not find the page."}"#)
            case ("GET", 3, "teams") where parts[2] == "members":
                let page = Int(request.query["page"] ?? "0") ?? 0
                let members = state.teamMembers.sorted().dropFirst(page * 200).prefix(200)
                return .json(200, .array(members.map { ["team_id": .string(teamID), "user_id": .string($0), "delete_at": 0] }))
            case ("GET", 4, "teams") where parts[2] == "members":
                guard state.teamMembers.contains(parts[3]) else { return .raw(404, #"{"id":"app.team.get_member.missing.app_error"}"#) }
                return .json(200, ["team_id": .string(teamID), "user_id": .string(parts[3]), "delete_at": 0])
            case ("GET", 3, "channels") where parts[2] == "posts":
                let channel = parts[1]
                let query = request.query
                let visible = state.posts.filter { $0.visible && $0.channel == channel }
                if let sinceText = query["since"], let since = Int64(sinceText) {
                    var rows = visible.filter { $0.updateAt > since }
                    var random = SplitMix64(seed: state.seed)
                    state.seed &+= 1
                    rows.shuffle(using: &random)
                    rows = Array(rows.prefix(1_000))
                    var posts: [String: JSON] = [:]
                    for row in rows { posts[row.id] = row.json }
                    for row in rows where !row.rootID.isEmpty {
                        if let root = visible.first(where: { $0.id == row.rootID }) { posts[root.id] = root.json }
                    }
                    return .json(200, ["order": .array(rows.map { .string($0.id) }), "posts": .object(posts)])
                }
                let perPage = Int(query["per_page"] ?? "60") ?? 60
                let page = Int(query["page"] ?? "0") ?? 0
                var listing = visible.filter { $0.deleteAt == 0 && $0.originalID.isEmpty }
                    .sorted { ($0.createAt, $0.id) > ($1.createAt, $1.id) }
                if let before = query["before"], let index = listing.firstIndex(where: { $0.id == before }) {
                    listing = Array(listing[(index + 1)...])
                }
                let slice = Array(listing.dropFirst(page * perPage).prefix(perPage))
                var posts: [String: JSON] = [:]
                for row in slice { posts[row.id] = row.json }
                return .json(200, ["order": .array(slice.map { .string($0.id) }), "posts": .object(posts)])
            case ("GET", 2, "posts"):
                guard let post = state.posts.first(where: { $0.id == parts[1] && $0.visible }) else {
                    return .raw(404, #"{"id":"app.post.get.app_error","status_code":404}"#)
                }
                return .json(200, post.json)
            case ("POST", 1, "posts"):
                guard let body = request.json, let channel = body["channel_id"]?.string else { return .raw(400, "{}") }
                let pending = body["pending_post_id"]?.string ?? ""
                if !pending.isEmpty, let existing = state.posts.first(where: { $0.pendingPostID == pending }) {
                    return .json(201, existing.json)
                }
                state.clock += 10
                state.nextID += 1
                let id = String(format: "sent%022d", state.nextID)
                state.posts.append(
                    Post(
                        id: id, channel: channel, user: botID, message: body["message"]?.string ?? "", createAt: state.clock,
                        updateAt: state.clock, rootID: body["root_id"]?.string ?? "", props: body["props"] ?? .object([:]),
                        pendingPostID: pending))
                return .json(201, state.posts[state.posts.count - 1].json)
            case ("GET", 2, "channels"):
                guard let channel = state.channels.first(where: { $0.id == parts[1] }) else {
                    return .raw(404, #"{"id":"app.channel.get.existing.app_error","status_code":404}"#)
                }
                return .json(200, channelJSON(channel, state))
            case ("POST", 3, "channels") where parts[2] == "members":
                if state.channels.first(where: { $0.id == parts[1] })?.type == "D" {
                    return .raw(400, #"{"id":"api.channel.add_user.to.channel.failed.deleted.app_error","status_code":400}"#)
                }
                return .json(201, ["channel_id": .string(parts[1]), "user_id": .string(botID)])
            case ("POST", 2, "channels") where parts[1] == "direct":
                guard let ids = request.json?.array?.compactMap(\.string), ids.count == 2 else { return .raw(400, "{}") }
                let name = ids.sorted().joined(separator: "__")
                if let existing = state.channels.first(where: { $0.name == name }) {
                    return .json(201, channelJSON(existing, state))
                }
                state.clock += 1
                let channel = Channel(
                    id: "dm" + String(ids.sorted()[0].prefix(12)) + String(ids.sorted()[1].prefix(12)), type: "D", createAt: state.clock,
                    name: name, creator: ids[0])
                state.channels.append(channel)
                return .json(201, channelJSON(channel, state))
            case ("POST", 1, "files"):
                state.uploads += 1
                return .json(201, ["file_infos": [["id": .string("file\(state.uploads)")]], "client_ids": []])
            default:
                return .raw(404, #"{"id":"api.context.404.app_error","message":"Sorry, we could not find the page."}"#)
            }
        }
    }
}

/// A service wired to a `MiniMattermost` (or a script first).
struct Harness {
    let server: MiniMattermost
    let client: ScriptedHTTPClient
    let logs = LogRecorder()
    let sleeper = SleepRecorder()
    let service: MattermostChatService

    init(
        server: MiniMattermost = MiniMattermost(), script: [ScriptedHTTPClient.Reply] = [],
        configure: (inout MattermostConfig) -> Void = { _ in }
    ) {
        self.server = server
        client = ScriptedHTTPClient(script) { [server] in server.handle($0) }
        var config = MattermostConfig(
            url: "https://mm.example.org/", team: "kommunen", allowedDomains: ["kommun.se"], token: token,
            pollInterval: .seconds(1), pollWait: .seconds(3))
        configure(&config)
        service = MattermostChatService(
            config: config, pollClient: client, sendClient: client, logger: logs.logger, sleep: sleeper.function,
            random: SplitMix64.source(seed: 42), now: { Date(timeIntervalSince1970: 1_700_000_000) }, uptime: sleeper.uptime)
    }

    var requests: [HTTPRequest] { client.requests }

    /// Connects and takes the first start's cursor.
    func started() async throws -> String {
        _ = try await service.connect()
        return try await service.poll(cursor: nil).cursor
    }

    /// Anna's direct channel, then `started()`: the channel and the cursor to poll from.
    func startedWithAnnasChannel() async throws -> (channel: String, cursor: String) {
        let channel = server.addChannel("dmanna00000000000000000000")
        return (channel, try await started())
    }
}

extension ChatBatch {
    var texts: [String] {
        events.compactMap { event in
            if case .message(let text) = event.kind { return text }
            return nil
        }
    }
}
