import Chat
import Foundation

/// Turns `/sync` answers into chat events. Pure: no I/O, no clock (time comes in), no state of its own
/// beyond what the caller passes, so every rule is tested on recorded JSON.
struct SyncTranslator: Sendable {
    /// The bot's own user id: its events are never reported.
    var me: String

    /// Why an event was dropped; for debug logs and tests.
    enum Skip: String, Sendable, Equatable {
        case malformed, own, notice, edit, redacted, unsupportedType, unsupportedMsgtype, history
    }

    enum Translation: Sendable, Equatable {
        case event(ChatEvent)
        case skipped(Skip)
    }

    /// The parts of one sync answer the adapter acts on.
    struct Sync: Sendable {
        struct Timeline: Sendable {
            var room: RoomID
            var events: [JSON]
            var limited: Bool
            var prevBatch: String?
            var joinedMembers: Int?
            var invitedMembers: Int?
            /// `m.heroes` of the summary: members other than the bot (all of them in a small room).
            var heroes: [String]? = nil
            /// Whether the `state` block (state changes a gappy timeline left out) holds membership events.
            var membersInState = false
        }

        var nextBatch: String
        var invites: [JSON]
        var inviteRooms: [RoomID]
        var timelines: [Timeline]
    }

    /// What a `/sync` answer's decoding leaves out: the content of the bot's own messages (every reply comes
    /// back in the next answer; nothing reads its text: `translate` skips it by sender), and the parts of an
    /// answer and of each room that nothing reads (`unreadParts`).
    static func ownMessages(of me: String) -> JSON.SkippedContent {
        JSON.SkippedContent(type: "m.room.message", sender: me, members: unreadParts)
    }

    /// The members of a `/sync` answer (top level, or a room's) that the bot never reads, left out of its
    /// decoding wherever they are: the filter asks for none of their events, but every joined room of every
    /// answer still carries `ephemeral`, `account_data` and `unread_notifications`, a few objects and arrays
    /// each (about a quarter of the nodes of a room with one new message). No key of this list may be read
    /// anywhere in a `/sync` answer (`EventFieldsTests.unreadPartsChangeNothing` checks the list against the keys
    /// the translation reads, and that no recorded answer's events change).
    static let unreadParts = [
        "ephemeral", "account_data", "unread_notifications", "unread_thread_notifications", "presence", "to_device",
        "device_lists", "device_one_time_keys_count", "device_unused_fallback_key_types",
    ]

    /// Reads the shape of a sync answer. Only `next_batch` is required; everything else is optional.
    static func parse(_ body: JSON) -> Sync? {
        guard let nextBatch = body["next_batch"]?.string, !nextBatch.isEmpty else { return nil }
        let rooms = body["rooms"]
        var timelines: [Sync.Timeline] = []
        for (room, value) in (rooms?["join"]?.object ?? [:]).sorted(by: { $0.key < $1.key }) {
            let timeline = value["timeline"]
            let summary = value["summary"]
            timelines.append(
                Sync.Timeline(
                    room: RoomID(room),
                    events: timeline?["events"]?.array ?? [],
                    limited: timeline?["limited"]?.bool ?? false,
                    prevBatch: timeline?["prev_batch"]?.string,
                    // A count like 1e300, -1 or 2.5 from the server is no count (`Int(_:)` would trap).
                    joinedMembers: summary?["m.joined_member_count"]?.number.flatMap { ServerNumber.count($0) },
                    invitedMembers: summary?["m.invited_member_count"]?.number.flatMap { ServerNumber.count($0) },
                    heroes: summary?["m.heroes"]?.array?.compactMap { $0.string },
                    membersInState: (value["state"]?["events"]?.array ?? []).contains { $0["type"]?.string == "m.room.member" }
                ))
        }
        let invites = (rooms?["invite"]?.object ?? [:]).sorted(by: { $0.key < $1.key })
        return Sync(
            nextBatch: nextBatch,
            invites: invites.map { $0.value },
            inviteRooms: invites.map { RoomID($0.key) },
            timelines: timelines
        )
    }

    /// The invite of the bot to `room`, from the room's `invite_state`, or nil when there is none.
    func invite(room: RoomID, _ value: JSON, now: Date) -> ChatEvent? {
        let events = value["invite_state"]?["events"]?.array ?? []
        let encrypted = events.contains { $0["type"]?.string == "m.room.encryption" }
        // The last membership event for the bot that says "invite" (Synapse appends the full invite event).
        guard
            let member = events.last(where: {
                $0["type"]?.string == "m.room.member" && $0["state_key"]?.string == me
                    && $0["content"]?["membership"]?.string == "invite"
            }),
            let sender = member["sender"]?.string, !sender.isEmpty
        else { return nil }
        let isDirect = member["content"]?["is_direct"]?.bool ?? false
        // Stripped state may lack event_id and origin_server_ts; synthesise stable stand-ins. The id is a
        // hash, so the inviter's user id is not written into the bot's tables by way of an event id.
        let id =
            member["event_id"]?.string.flatMap { $0.isEmpty ? nil : $0 }
            ?? "invite:" + StableHash.hex("\(room.rawValue)\u{0}\(sender)")
        let timestamp = member["origin_server_ts"]?.number.flatMap { ServerNumber.date(milliseconds: $0) } ?? now
        return ChatEvent(
            id: id, room: room, sender: UserID(sender), kind: .invite(isDirect: isDirect, encrypted: encrypted),
            timestamp: timestamp, isDirectRoom: isDirect)
    }

    /// Translates one timeline event.
    func translate(_ event: JSON, room: RoomID, isDirectRoom: Bool?) -> Translation {
        guard let id = event["event_id"]?.string, !id.isEmpty, let sender = event["sender"]?.string, !sender.isEmpty,
            let type = event["type"]?.string, let timestamp = event["origin_server_ts"]?.number.flatMap(ServerNumber.date(milliseconds:))
        else { return .skipped(.malformed) }
        if sender == me { return .skipped(.own) }
        guard type == "m.room.message" || type == "m.room.encrypted" else { return .skipped(.unsupportedType) }
        if event["unsigned"]?["redacted_because"] != nil { return .skipped(.redacted) }
        guard let content = event["content"]?.object, !content.isEmpty else { return .skipped(.redacted) }
        let relation = content["m.relates_to"]
        if relation?["rel_type"]?.string == "m.replace" { return .skipped(.edit) }
        let inReplyTo = relation?["m.in_reply_to"]?["event_id"]?.string
        if type == "m.room.encrypted" {
            return .event(
                ChatEvent(
                    id: id, room: room, sender: UserID(sender), kind: .unreadable, timestamp: timestamp,
                    isDirectRoom: isDirectRoom, inReplyTo: inReplyTo))
        }
        switch content["msgtype"]?.string {
        case "m.text", "m.emote": break
        case "m.notice": return .skipped(.notice)
        default: return .skipped(.unsupportedMsgtype)
        }
        guard let body = content["body"]?.string else { return .skipped(.malformed) }
        let text = inReplyTo == nil ? body : Self.strippingReplyFallback(body)
        return .event(
            ChatEvent(
                id: id, room: room, sender: UserID(sender), kind: .message(text: text), timestamp: timestamp,
                isDirectRoom: isDirectRoom, inReplyTo: inReplyTo))
    }

    /// The room's members after this sync when the sync changed them (a membership event in the timeline or
    /// in the state block), or nil. `joined`/`invited` are the summary's counts, else the last ones known
    /// (`known`); without a joined count there is nothing to report. The members other than the bot are the
    /// summary's heroes plus whoever the timeline shows joining or invited. The event is stable for the same
    /// sync answer (its id hashes the last membership event and the result), dated like the room's first
    /// timeline event so that it is handled before the room's messages.
    func membership(of timeline: Sync.Timeline, known: (joined: Int?, invited: Int?), now: Date) -> ChatEvent? {
        let memberEvents = timeline.events.filter {
            $0["type"]?.string == "m.room.member" && !($0["state_key"]?.string ?? "").isEmpty
        }
        guard !memberEvents.isEmpty || timeline.membersInState else { return nil }
        guard let joined = timeline.joinedMembers ?? known.joined, joined >= 0 else { return nil }
        let invited = max(0, timeline.invitedMembers ?? known.invited ?? 0)
        var latest: [String: String] = [:]
        for event in memberEvents {
            if let user = event["state_key"]?.string { latest[user] = event["content"]?["membership"]?.string ?? "" }
        }
        var others = Set((timeline.heroes ?? []).filter { !$0.isEmpty && $0 != me })
        for (user, membership) in latest where user != me {
            if membership == "join" || membership == "invite" { others.insert(user) } else if timeline.heroes == nil { others.remove(user) }
        }
        let sortedOthers = others.sorted()
        let last = memberEvents.last
        let sender = last?["sender"]?.string.flatMap { $0.isEmpty ? nil : $0 } ?? me
        let anchor = last?["event_id"]?.string ?? ""
        let id = "members:" + StableHash.hex(
            "\(timeline.room.rawValue)\u{0}\(anchor)\u{0}\(joined)/\(invited)\u{0}\(sortedOthers.joined(separator: ","))")
        let firstTimestamp = timeline.events.lazy.compactMap { $0["origin_server_ts"]?.number }.first
        let timestamp = firstTimestamp.map { Date(timeIntervalSince1970: $0 / 1000) } ?? now
        return ChatEvent(
            id: id, room: timeline.room, sender: UserID(sender),
            kind: .membership(RoomMembership(joined: joined, invited: invited, others: sortedOthers.map { UserID($0) })),
            timestamp: timestamp)
    }

    /// Older clients quote the replied-to message in `body` as `> ` lines followed by a blank line
    /// (the reply fallback); the bot wants only what the person wrote.
    static func strippingReplyFallback(_ body: String) -> String {
        guard body.hasPrefix("> ") || body.hasPrefix(">\n") else { return body }
        let lines = body.split(separator: "\n", omittingEmptySubsequences: false)
        var index = 0
        while index < lines.count, lines[index].hasPrefix(">") { index += 1 }
        guard index < lines.count, lines[index].isEmpty else { return body }
        return lines[(index + 1)...].joined(separator: "\n")
    }

    /// True for the bot's own membership event that makes it a member anew (not a profile change).
    func isOwnFreshJoin(_ event: JSON) -> Bool {
        guard event["type"]?.string == "m.room.member", event["state_key"]?.string == me,
            event["content"]?["membership"]?.string == "join"
        else { return false }
        let previous =
            event["unsigned"]?["prev_content"]?["membership"]?.string
            ?? event["prev_content"]?["membership"]?.string
        return previous != "join"
    }

    func isOwnInvite(_ event: JSON) -> Bool {
        event["type"]?.string == "m.room.member" && event["state_key"]?.string == me
            && event["content"]?["membership"]?.string == "invite"
    }

    /// The index of the first timeline event that is not history, for a room the bot has just joined.
    /// A freshly joined room's timeline starts with history from before the bot was there; the bot must
    /// not answer that, but it should answer what was written to it between its invite and its join
    /// (a person often writes the first DM message before the bot has joined). So: everything after the
    /// bot's last invite that precedes its join counts; without a visible invite, everything after the
    /// join. Returns nil when the timeline holds no fresh join (nothing to cut).
    /// Whether any of the events is something the bot would act on.
    func containsMessages(_ events: [JSON]) -> Bool {
        events.contains { event in
            if case .event = translate(event, room: RoomID(""), isDirectRoom: nil) { return true }
            return false
        }
    }

    func historyCutoff(_ events: [JSON]) -> Int? {
        guard let join = events.lastIndex(where: isOwnFreshJoin) else { return nil }
        if let invite = events[..<join].lastIndex(where: isOwnInvite) { return invite + 1 }
        return join + 1
    }

    /// Translates a room's timeline in order, dropping history before a fresh join.
    func translate(timeline events: [JSON], room: RoomID, isDirectRoom: Bool?) -> [Translation] {
        let cutoff = historyCutoff(events) ?? 0
        return events.enumerated().map { index, event in
            let translation = translate(event, room: room, isDirectRoom: isDirectRoom)
            if index < cutoff, case .event = translation { return .skipped(.history) }
            return translation
        }
    }

    /// Merges per-room event lists into one list ordered by server time, keeping each room's own order
    /// (the server's) intact.
    static func merge(_ lists: [[ChatEvent]]) -> [ChatEvent] {
        var heads = Array(repeating: 0, count: lists.count)
        var out: [ChatEvent] = []
        out.reserveCapacity(lists.reduce(0) { $0 + $1.count })
        while true {
            var best: Int?
            for (index, list) in lists.enumerated() where heads[index] < list.count {
                if let current = best {
                    if list[heads[index]].timestamp < lists[current][heads[current]].timestamp { best = index }
                } else {
                    best = index
                }
            }
            guard let chosen = best else { return out }
            out.append(lists[chosen][heads[chosen]])
            heads[chosen] += 1
        }
    }
}

/// The pure part of `MatrixChatService.poll`: a `/sync` body parsed and translated into chat events
/// (the bot's invites, then every room's timeline merged by server time), without gap filling or member
/// look-ups. Nil when the body is not a sync answer. For the fuzzer (`Tests/Fuzz`) and tools.
public enum SyncDecoding {
    /// `skippingOwnContent`: decoded as the adapter decodes it, the content of the bot's own messages left
    /// out (`SyncTranslator.ownMessages`); else read whole.
    public static func events(fromSyncBody body: Data, me: String, now: Date, skippingOwnContent: Bool = true) -> [ChatEvent]? {
        let skipped = skippingOwnContent ? SyncTranslator.ownMessages(of: me) : nil
        guard let json = try? JSON.parse(body, skipping: skipped), let sync = SyncTranslator.parse(json) else { return nil }
        let translator = SyncTranslator(me: me)
        let invites = zip(sync.inviteRooms, sync.invites).compactMap { room, value in
            translator.invite(room: room, value, now: now)
        }
        let lists = sync.timelines.map { timeline in
            translator.translate(timeline: timeline.events, room: timeline.room, isDirectRoom: nil).compactMap {
                translation -> ChatEvent? in
                if case .event(let event) = translation { return event }
                return nil
            }
        }
        return invites + SyncTranslator.merge(lists)
    }

    /// What a Matrix error body says (errcode, error, `retry_after_ms` clamped to a wait), as the adapter reads it.
    public static func errorSummary(fromErrorBody body: Data) -> (summary: String, retryAfter: Duration?) {
        let error = MatrixErrorBody(body)
        return (error.summary, error.retryAfterMs.flatMap { ServerNumber.wait(milliseconds: $0) })
    }
}
