import Chat
import Foundation
@testable import MatrixChat
import Testing

/// The recorded `/sync` answers of the Matrix tests.
private let fixtures: [Data] = {
    let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("MatrixChatTests/Fixtures", isDirectory: true)
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
    return names.filter { $0.hasPrefix("sync_") && $0.hasSuffix(".json") }.sorted()
        .compactMap { try? Data(contentsOf: directory.appendingPathComponent($0)) }
}()

private let me = "@skav:example.org"

extension Rng {
    /// A JSON value of any type, often an awkward one.
    mutating func jsonValue(depth: Int = 0) -> JSON {
        switch int(0..<12) {
        case 0: return .null
        case 1: return .bool(chance(0.5))
        case 2: return .number(pick([0, -0.0, -1, 1e300, -1e300, 1e-300, 9_007_199_254_740_992, 9.007199254740994e15, 1.5, 4e18, -9.3e18, 1e19]))
        case 3: return .number(Double(int(-1_000_000...1_000_000)))
        case 4: return .string("")
        case 5: return .string(text())
        case 6: return .string(pick([me, "@anna:example.org", "$event", "!room:example.org", "m.room.message", "m.text",
                                     "m.room.member", "invite", "join", "m.replace", "m.room.encrypted", "> quote\n\nreply"]))
        case 7:
            let count = chance(0.05) ? int(1_000...20_000) : int(1...200)
            return .string(String(repeating: pick(["a", "ö", "\u{0}", "👩‍💻", "\"", "\\"]), count: count))
        case 8 where depth < 4: return .array((0..<int(0...4)).map { _ in jsonValue(depth: depth + 1) })
        case 9 where depth < 4:
            return .object(Dictionary(
                (0..<int(0...4)).map { _ in (pick(Self.keys), jsonValue(depth: depth + 1)) }, uniquingKeysWith: { a, _ in a }))
        default: return .string(randomScalars(int(0...20)))
        }
    }

    static let keys = [
        "event_id", "sender", "type", "origin_server_ts", "content", "msgtype", "body", "unsigned", "m.relates_to",
        "rel_type", "m.in_reply_to", "redacted_because", "state_key", "membership", "is_direct", "invite_state", "events",
        "timeline", "limited", "prev_batch", "summary", "m.joined_member_count", "m.invited_member_count", "rooms", "join",
        "invite", "next_batch", "prev_content", "", "\u{0}",
    ]

    /// The value with one random node deleted, duplicated or replaced.
    mutating func mutate(_ value: JSON, depth: Int = 0) -> JSON {
        switch value {
        case .object(var object) where !object.isEmpty && (depth < 2 || chance(0.7)):
            let key = pick(object.keys.sorted())
            switch int(0..<10) {
            case 0: object[key] = nil
            case 1: object[pick(Self.keys)] = object[key]
            case 2: object[key] = jsonValue()
            default: object[key] = mutate(object[key]!, depth: depth + 1)
            }
            return .object(object)
        case .array(var array) where !array.isEmpty && (depth < 2 || chance(0.7)):
            let index = int(0..<array.count)
            switch int(0..<10) {
            case 0: array.remove(at: index)
            case 1: array.insert(array[index], at: int(0...array.count))
            case 2: array[index] = jsonValue()
            default: array[index] = mutate(array[index], depth: depth + 1)
            }
            return .array(array)
        default:
            return chance(0.5) ? jsonValue() : value
        }
    }

    /// Bytes with flips, cuts, insertions of invalid UTF-8 and escapes.
    mutating func mutateBytes(_ data: Data) -> Data {
        var bytes = [UInt8](data)
        for _ in 0..<int(1...4) {
            let at = bytes.isEmpty ? 0 : int(0..<bytes.count)
            switch int(0..<8) {
            case 0 where !bytes.isEmpty: bytes[at] ^= UInt8(1 << int(0..<8))
            case 1 where !bytes.isEmpty: bytes[at] = UInt8(int(0...255))
            case 2: bytes = Array(bytes.prefix(at))
            case 3:
                bytes.insert(contentsOf: pick([[0xC3], [0xFF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC0, 0xAF], [0x00]]), at: at)
            case 4: bytes.insert(contentsOf: Array(pick([#"\ud800"#, #"\udc00\ud800"#, #"\u0000"#, #"\"#, #"""#, "{", "[", "]", "}", ",", ":", "1e999", "-", "tru"]).utf8), at: at)
            case 5 where !bytes.isEmpty: bytes.remove(at: at)
            default:
                if !bytes.isEmpty {
                    let end = min(bytes.count, at + int(1...40))
                    bytes.insert(contentsOf: bytes[at..<end], at: int(0...bytes.count))
                }
            }
        }
        return Data(bytes)
    }
}

/// Parses and translates as the adapter does, and checks what comes out.
private func feed(_ data: Data) throws {
    guard let json = try? JSON.parse(data) else { return }
    _ = json.encoded
    try translateAll(json)
    // Read as the adapter reads it (the bot's own messages' contents left out): the same events.
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let events = SyncDecoding.events(fromSyncBody: data, me: me, now: now)
    let whole = SyncDecoding.events(fromSyncBody: data, me: me, now: now, skippingOwnContent: false)
    try require(whole == nil || events == whole, "leaving the bot's own contents out changed the events")
}

private func translateAll(_ json: JSON) throws {
    let translator = SyncTranslator(me: me)
    // Any value may be handed to the translator as an event, too.
    try check(translator.translate(json, room: RoomID("!r:example.org"), isDirectRoom: nil), room: RoomID("!r:example.org"))
    guard let sync = SyncTranslator.parse(json) else { return }
    try require(!sync.nextBatch.isEmpty, "empty next_batch accepted")
    var lists: [[ChatEvent]] = []
    for timeline in sync.timelines {
        let translations = translator.translate(timeline: timeline.events, room: timeline.room, isDirectRoom: nil)
        try require(translations.count == timeline.events.count, "translations lost events")
        var events: [ChatEvent] = []
        for translation in translations {
            try check(translation, room: timeline.room)
            if case .event(let event) = translation { events.append(event) }
        }
        _ = translator.containsMessages(timeline.events)
        lists.append(events)
    }
    let merged = SyncTranslator.merge(lists)
    try require(merged.count == lists.reduce(0) { $0 + $1.count }, "merge lost events")
    for (room, value) in zip(sync.inviteRooms, sync.invites) {
        if let invite = translator.invite(room: room, value, now: Date(timeIntervalSince1970: 0)) {
            try check(.event(invite), room: room)
        }
    }
}

private func check(_ translation: SyncTranslator.Translation, room: RoomID) throws {
    guard case .event(let event) = translation else { return }
    try require(!event.id.isEmpty, "an event without an id: \(event)")
    try require(!event.sender.rawValue.isEmpty, "an event without a sender: \(event)")
    try require(event.sender.rawValue != me, "the bot's own event reported: \(event)")
    try require(event.room == room, "event in the wrong room: \(event)")
}

@Suite("fuzz: sync JSON decoding")
struct SyncFuzzTests {
    /// Found by the nightly fuzz run (seed 1795348249): `Int(1e300)` trapped and took the bot down.
    /// Found by the nightly fuzz run (seed 1795348249, case 47306): an empty event id passed as an event.
    @Test("an event or invite with an empty id or sender is malformed, not an event")
    func emptyIdsAndSenders() {
        let translator = SyncTranslator(me: me)
        let room = RoomID("!r:hs")
        func event(id: String, sender: String) -> JSON {
            ["type": "m.room.message", "event_id": .string(id), "sender": .string(sender), "origin_server_ts": 1000,
             "content": ["msgtype": "m.text", "body": "hej"]]
        }
        #expect(translator.translate(event(id: "", sender: "@anna:hs"), room: room, isDirectRoom: nil) == .skipped(.malformed))
        #expect(translator.translate(event(id: "$e", sender: ""), room: room, isDirectRoom: nil) == .skipped(.malformed))
        func invite(id: String, sender: String) -> JSON {
            ["invite_state": ["events": [
                ["type": "m.room.member", "state_key": .string(me), "sender": .string(sender), "event_id": .string(id),
                 "content": ["membership": "invite"]],
            ]]]
        }
        let now = Date(timeIntervalSince1970: 0)
        #expect(translator.invite(room: room, invite(id: "$i", sender: ""), now: now) == nil)
        #expect(translator.invite(room: room, invite(id: "", sender: "@anna:hs"), now: now)?.id == "invite:" + StableHash.hex("!r:hs\u{0}@anna:hs"))
    }

    @Test("member counts out of Int's range or not whole are no counts, not a crash")
    func hugeMemberCounts() throws {
        let body = try JSON.parse(Data(#"""
            {"next_batch": "s1", "rooms": {"join": {"!r:hs": {"summary": {"m.joined_member_count": 1e300,
             "m.invited_member_count": -1e300}, "timeline": {"events": []}},
             "!s:hs": {"summary": {"m.joined_member_count": 2.5, "m.invited_member_count": 3}}}}}
            """#.utf8))
        let sync = try #require(SyncTranslator.parse(body))
        #expect(sync.timelines.map(\.joinedMembers) == [nil, nil])
        #expect(sync.timelines.map(\.invitedMembers) == [nil, 3])
    }

    @Test("mutated sync fixtures and random bytes never crash and give consistent events")
    func mutatedFixtures() async throws {
        try #require(fixtures.count >= 3, "sync fixtures not found")
        let parsed = fixtures.compactMap { try? JSON.parse($0) }
        try #require(parsed.count == fixtures.count)
        await fuzz("sync-json", defaultCases: 1_000) { rng, _ in
            switch rng.int(0..<10) {
            case 0..<4:
                // Byte-level damage.
                try feed(rng.mutateBytes(rng.pick(fixtures)))
            case 4..<8:
                // Structural damage, then through the bytes again.
                var value = rng.pick(parsed)
                for _ in 0..<rng.int(1...6) { value = rng.mutate(value) }
                try translateAll(value)
                try feed(value.encoded)
            case 8:
                // Deep nesting.
                let depth = rng.chance(0.05) ? rng.int(100...2_000) : rng.int(1...100)
                let open = rng.chance(0.5) ? "[" : "{\"a\":"
                let close = open == "[" ? "]" : "}"
                let text = String(repeating: open, count: depth) + "1" + String(repeating: close, count: rng.chance(0.9) ? depth : depth / 2)
                try feed(Data(text.utf8))
            default:
                // Random bytes.
                let count = rng.int(0...2_000)
                try feed(Data((0..<count).map { _ in UInt8(rng.int(0...255)) }))
            }
        }
    }
}
