import Chat
import CurlHTTP
import Foundation
import SkavTesting
import Testing

@testable import MatrixChat

private func date(_ ms: Int64) -> Date { Date(timeIntervalSince1970: Double(ms) / 1000) }

@Suite("Matrix sync")
struct SyncTests {
    @Test("first sync: cursor and pending invites only, never the history")
    func firstSync() async throws {
        let h = try await connected(sync: [.json(200, "sync_initial")])
        let batch = try await h.service.poll(cursor: nil)
        #expect(batch.cursor == "s72594_4483_1934_1_1_1_1_1_1")
        #expect(
            batch.events == [
                ChatEvent(
                    id: "$invite1", room: "!dmFromAnna:example.org", sender: "@anna:example.org",
                    kind: .invite(isDirect: true, encrypted: false), timestamp: date(1_700_000_100_000), isDirectRoom: true),
                ChatEvent(
                    id: "invite:6bb719db3638da9e", room: "!secret:example.org",
                    sender: "@bertil:example.org", kind: .invite(isDirect: false, encrypted: true),
                    timestamp: Date(timeIntervalSince1970: 1_800_000_000), isDirectRoom: false),
            ])
        #expect(batch.events.allSatisfy { !$0.id.contains("@") }, "stand-in ids never carry a user id")
        let request = try #require(h.sync.requests.first)
        #expect(request.path == "/sync")
        #expect(request.query["since"] == nil)
        #expect(request.query["timeout"] == "0")
        #expect(request.query["set_presence"] == "offline")
        let filter = try JSON.parse(Data(try #require(request.query["filter"]).utf8))
        #expect(filter["presence"] == ["types": []])
        #expect(filter["room"]?["state"]?["lazy_load_members"] == true)
    }

    @Test("long poll: since, timeout 30000, filter, offline presence, HTTP deadline beyond the sync timeout")
    func longPollRequest() async throws {
        let h = try await connected(sync: [.raw(200, #"{"next_batch":"s2"}"#)])
        let batch = try await h.service.poll(cursor: "s1")
        #expect(batch == ChatBatch(events: [], cursor: "s2"))
        let request = try #require(h.sync.requests.first)
        #expect(request.method == "GET")
        #expect(request.query["since"] == "s1")
        #expect(request.query["timeout"] == "30000")
        #expect(request.query["set_presence"] == "offline")
        #expect(request.timeout == .seconds(45))
        let filter = try JSON.parse(Data(try #require(request.query["filter"]).utf8))
        #expect(filter["room"]?["timeline"]?["limit"] == 50)
        #expect(filter["room"]?["ephemeral"] == ["types": []])
        #expect(filter["account_data"] == ["types": []])
        // The long poll never goes through the send client.
        #expect(h.send.requests.map(\.path) == ["/account/whoami"])
    }

    @Test("messages are translated and everything the bot must ignore is dropped, in server order")
    func translation() async throws {
        let h = try await connected(sync: [.json(200, "sync_messages")])
        let batch = try await h.service.poll(cursor: "s72594")
        #expect(batch.cursor == "s72595_4483_1935_1_1_1_1_1_1")
        // The summary says the DM has two members (the bot and Anna): a direct chat.
        let dm = RoomID("!dm:example.org")
        let anna = UserID("@anna:example.org")
        #expect(
            batch.events == [
                ChatEvent(id: "$m1", room: dm, sender: anna, kind: .message(text: "Kaffemaskinen läcker igen"), timestamp: date(1_700_000_001_000), isDirectRoom: true),
                ChatEvent(id: "$enc", room: dm, sender: anna, kind: .unreadable, timestamp: date(1_700_000_006_000), isDirectRoom: true),
                ChatEvent(
                    id: "$g1", room: "!group:example.org", sender: "@bertil:example.org",
                    kind: .message(text: "idé: bättre skyltning"), timestamp: date(1_700_000_006_500), isDirectRoom: false),
                ChatEvent(
                    id: "$reply", room: dm, sender: anna, kind: .message(text: "2"), timestamp: date(1_700_000_007_000),
                    isDirectRoom: true, inReplyTo: "$botQuestion"),
                ChatEvent(id: "$emote", room: dm, sender: anna, kind: .message(text: "suckar över skrivaren"), timestamp: date(1_700_000_008_000), isDirectRoom: true),
                ChatEvent(id: "$last", room: dm, sender: anna, kind: .message(text: "klar"), timestamp: date(1_700_000_014_000), isDirectRoom: true),
            ])
    }

    @Test("a room of unknown size is looked up once: two members make it a direct chat")
    func unknownRoomSizeIsLookedUp() async throws {
        let sync = #"{"next_batch":"s3","rooms":{"join":{"!old:example.org":{"timeline":{"events":[{"type":"m.room.message","event_id":"$x","sender":"@anna:example.org","origin_server_ts":1700000000000,"content":{"msgtype":"m.text","body":"hej"}}]}}}}}"#
        let h = try await connected(sync: [
            .raw(200, sync), .raw(200, #"{"joined":{"@anna:example.org":{},"@skav:example.org":{}}}"#),
            .raw(200, sync.replacingOccurrences(of: "s3", with: "s4").replacingOccurrences(of: "$x", with: "$y")),
        ])
        let first = try await h.service.poll(cursor: "s2")
        #expect(first.events.map(\.isDirectRoom) == [true])
        let second = try await h.service.poll(cursor: "s3")
        #expect(second.events.map(\.isDirectRoom) == [true])
        let lookups = h.sync.requests.filter { $0.path.hasSuffix("/joined_members") }
        #expect(lookups.map(\.path) == ["/rooms/%21old%3Aexample.org/joined_members"], "asked once, then remembered")
    }

    @Test("each ignore rule on its own")
    func ignoreRules() {
        let translator = SyncTranslator(me: testUser)
        let room = RoomID("!r:hs")
        func event(_ content: JSON, sender: String = "@anna:hs", type: String = "m.room.message", unsigned: JSON? = nil) -> JSON {
            var object: [String: JSON] = [
                "type": .string(type), "event_id": "$e", "sender": .string(sender), "origin_server_ts": 1000, "content": content,
            ]
            if let unsigned { object["unsigned"] = unsigned }
            return .object(object)
        }
        let text: JSON = ["msgtype": "m.text", "body": "hej"]
        #expect(translator.translate(event(text, sender: testUser), room: room, isDirectRoom: nil) == .skipped(.own))
        #expect(
            translator.translate(event(["msgtype": "m.notice", "body": "x"]), room: room, isDirectRoom: nil) == .skipped(.notice))
        #expect(
            translator.translate(
                event(["msgtype": "m.text", "body": "* x", "m.relates_to": ["rel_type": "m.replace", "event_id": "$a"]]),
                room: room, isDirectRoom: nil) == .skipped(.edit))
        #expect(
            translator.translate(event(text, unsigned: ["redacted_because": ["type": "m.room.redaction"]]), room: room, isDirectRoom: nil)
                == .skipped(.redacted))
        #expect(translator.translate(event([:]), room: room, isDirectRoom: nil) == .skipped(.redacted))
        #expect(translator.translate(event("not an object"), room: room, isDirectRoom: nil) == .skipped(.redacted))
        #expect(
            translator.translate(event(["algorithm": "m.megolm.v1.aes-sha2"], type: "m.room.encrypted"), room: room, isDirectRoom: true)
                == .event(ChatEvent(id: "$e", room: room, sender: "@anna:hs", kind: .unreadable, timestamp: date(1000), isDirectRoom: true)))
        #expect(
            translator.translate(event(["algorithm": "x"], sender: testUser, type: "m.room.encrypted"), room: room, isDirectRoom: nil)
                == .skipped(.own))
        #expect(translator.translate(.string("garbage"), room: room, isDirectRoom: nil) == .skipped(.malformed))
        #expect(translator.translate(event(text, type: "m.sticker"), room: room, isDirectRoom: nil) == .skipped(.unsupportedType))
    }

    @Test("reply fallback is stripped only when it is a real fallback")
    func replyFallback() {
        #expect(SyncTranslator.strippingReplyFallback("> <@a:hs> quoted\n> more\n\nmy answer\nline 2") == "my answer\nline 2")
        #expect(SyncTranslator.strippingReplyFallback("> just a quote without blank line") == "> just a quote without blank line")
        #expect(SyncTranslator.strippingReplyFallback("plain reply") == "plain reply")
    }

    @Test("a limited timeline is filled backwards from prev_batch to the previous cursor")
    func gapFilled() async throws {
        let h = try await connected(sync: [
            .json(200, "sync_limited"), .json(200, "messages_gap_page1"), .json(200, "messages_gap_page2"),
            .json(200, "messages_gap_end"),
        ])
        let batch = try await h.service.poll(cursor: "s79999_1")
        #expect(batch.cursor == "s80000_1")
        #expect(batch.events.map(\.id) == ["$gap1", "$gap3", "$t1"])
        let fills = h.sync.requests.dropFirst()
        #expect(fills.count == 3)
        #expect(fills.allSatisfy { $0.path == "/rooms/%21busy%3Aexample.org/messages" })
        #expect(fills.map { $0.query["from"] } == ["t_prev_busy", "t_page2", "t_page3"])
        #expect(fills.allSatisfy { $0.query["to"] == "s79999_1" && $0.query["dir"] == "b" })
    }

    @Test("a gap larger than the fill limit is accepted with a warning")
    func gapTooLarge() async throws {
        let h = Harness(sync: [.json(200, "sync_limited"), .json(200, "messages_gap_page1")], send: [.json(200, "whoami")]) {
            $0.gapFillMaxPages = 1
        }
        let batch = try await h.service.poll(cursor: "s79999_1")
        #expect(batch.events.map(\.id) == ["$gap3", "$t1"])
        #expect(h.logs.all.contains { $0.contains("larger than the fill limit") })
    }

    @Test("a gap that cannot be filled (permanent error) is logged, the timeline still delivered")
    func gapFillRefused() async throws {
        let h = try await connected(sync: [.json(200, "sync_limited"), .json(403, "error_forbidden")])
        let batch = try await h.service.poll(cursor: "s79999_1")
        #expect(batch.events.map(\.id) == ["$t1"])
        #expect(h.logs.all.contains { $0.contains("Could not fill") })
    }

    @Test("freshly joined room: history before the invite is dropped, what came after it is kept")
    func freshJoin() async throws {
        let h = try await connected(sync: [.json(200, "sync_initial"), .json(200, "sync_joined")])
        let first = try await h.service.poll(cursor: nil)
        #expect(first.events.count == 2)
        h.send.enqueue(.raw(200, #"{"room_id":"!dmFromAnna:example.org"}"#))
        try await h.service.join("!dmFromAnna:example.org")
        let batch = try await h.service.poll(cursor: first.cursor)
        // First the room's members (the bot's join changed them), then the messages after the invite.
        #expect(batch.events.first?.kind == .membership(RoomMembership(joined: 2, invited: 0, others: ["@anna:example.org"])))
        #expect(batch.events.first?.timestamp == date(1_700_000_400_000), "dated like the timeline's first event")
        #expect(batch.events.dropFirst().map(\.id) == ["$hej", "$after"])
        #expect(batch.events.dropFirst().allSatisfy { $0.isDirectRoom == true })
        // No gap filling into history for a room just joined.
        #expect(h.sync.requests.count == 2)
        // A direct chat, as the invite said and its two members confirm.
        #expect(h.service.directness(of: "!dmFromAnna:example.org") == true)
        #expect(h.send.requests.map(\.path) == ["/account/whoami", "/rooms/%21dmFromAnna%3Aexample.org/join"])
    }

    @Test("a malformed sync answer is a bad response, never a crash", arguments: [
        #"{"next_batch": "s1", "rooms": {"join": {"!r:hs": {"timeline": {"events": [{"type": "m.room.mess"#,
        "",
        "[]",
        #"{"rooms": {}}"#,
        #"{"next_batch": 42}"#,
        "<html>502 Bad Gateway</html>",
        "\u{FEFF}{",
    ])
    func malformed(body: String) async throws {
        let h = try await connected(sync: [.raw(200, body)])
        let error = await #expect(throws: ChatError.self) { try await h.service.poll(cursor: "s0") }
        #expect(error?.code == .badResponse)
    }

    @Test("odd but well-formed shapes are tolerated")
    func tolerated() async throws {
        let body = #"""
            {"next_batch": "s9", "rooms": {"join": {"!r:hs": {"timeline": "nope"}, "!q:hs": {"timeline": {"events": [1, null, {"type": 3}]}}},
             "invite": {"!i:hs": {"invite_state": {"events": "x"}}, "!j:hs": {}}, "leave": []}, "extra": [1, 2.5, true, null]}
            """#
        let h = try await connected(sync: [.raw(200, body)])
        let batch = try await h.service.poll(cursor: "s8")
        #expect(batch == ChatBatch(events: [], cursor: "s9"))
    }

    @Test("cancelling a long poll ends it at once with CancellationError, without retrying")
    func cancellation() async throws {
        let h = try await connected(sync: [.hang])
        let started = ContinuousClock.now
        let task = Task { try await h.service.poll(cursor: "s1") }
        try await waitUntil("the long poll is at the server") { h.sync.requests.count == 1 }
        task.cancel()
        let result = await task.result
        #expect(ContinuousClock.now - started < .seconds(10), "well before any retry or timeout")
        #expect(throws: CancellationError.self) { try result.get() }
        #expect(h.sync.requests.count == 1)
        #expect(h.sleeper.durations.isEmpty)
    }

    @Test("HTTPError.cancelled from the client is a CancellationError, never retried")
    func clientCancelled() async throws {
        let h = try await connected(sync: [.failure(.cancelled)])
        await #expect(throws: CancellationError.self) { try await h.service.poll(cursor: "s1") }
        #expect(h.sync.requests.count == 1)
    }
}

/// The long poll's filter is stored on the server once and named by its id (its JSON in every URL was
/// about a tenth of a message's CPU); whenever that does not work, the filter goes inline.
@Suite("Matrix stored sync filter")
struct StoredFilterTests {
    func filterJSON(_ request: HTTPRequest) throws -> JSON {
        try JSON.parse(Data(try #require(request.query["filter"]).utf8))
    }

    @Test("stored once, then named by id; the first sync and a reduced limit go inline")
    func storedOnce() async throws {
        let h = try await connected(
            send: [.raw(200, #"{"filter_id":"7"}"#)],
            sync: [.raw(200, #"{"next_batch":"s1"}"#), .raw(200, #"{"next_batch":"s2"}"#), .raw(200, #"{"next_batch":"s3"}"#)],
            configure: { $0.storesSyncFilter = true })
        _ = try await h.service.poll(cursor: nil)
        _ = try await h.service.poll(cursor: "s1")
        _ = try await h.service.poll(cursor: "s2")
        #expect(try filterJSON(h.sync.requests[0])["room"]?["timeline"]?["limit"] == 1)
        #expect(h.sync.requests[1].query["filter"] == "7")
        #expect(h.sync.requests[2].query["filter"] == "7")
        let store = try #require(h.send.requests.last)
        #expect(store.method == "POST")
        #expect(store.path == "/user/%40skav%3Aexample.org/filter")
        #expect(try #require(store.json)["room"]?["timeline"]?["limit"] == 50)
        #expect(try #require(store.json) == (try JSON.parse(Data(MatrixChatService.syncFilter(limit: 50).utf8))))
        #expect(h.send.requests.count == 2, "whoami, then the filter once")
    }

    @Test("a server that will not store it: inline, one warning, tried again only after a while")
    func refused() async throws {
        let h = try await connected(
            send: [.raw(400, #"{"errcode":"M_UNRECOGNIZED","error":"no"}"#)],
            sync: [.raw(200, #"{"next_batch":"s2"}"#), .raw(200, #"{"next_batch":"s3"}"#)],
            configure: { $0.storesSyncFilter = true })
        _ = try await h.service.poll(cursor: "s1")
        _ = try await h.service.poll(cursor: "s2")
        #expect(try filterJSON(h.sync.requests[0])["room"]?["timeline"]?["limit"] == 50)
        #expect(try filterJSON(h.sync.requests[1])["room"]?["timeline"]?["limit"] == 50)
        #expect(h.send.requests.count == 2, "one attempt within the retry interval")
        #expect(h.logs.all.filter { $0.contains("did not store the sync filter") }.count == 1)
    }

    @Test("an answer without a usable id: inline")
    func unusableID() async throws {
        for answer in [#"{}"#, #"{"filter_id":""}"#, #"{"filter_id":"a b"}"#, #"{"filter_id":42}"#] {
            let h = try await connected(
                send: [.raw(200, answer)], sync: [.raw(200, #"{"next_batch":"s2"}"#)], configure: { $0.storesSyncFilter = true })
            _ = try await h.service.poll(cursor: "s1")
            #expect(try filterJSON(h.sync.requests[0])["room"]?["timeline"]?["limit"] == 50, "\(answer)")
        }
    }

    @Test("a sync refused with the stored id is asked again at once inline, and so are the next ones for a while")
    func forgotten() async throws {
        let h = try await connected(
            send: [.raw(200, #"{"filter_id":"7"}"#)],
            sync: [
                .raw(400, #"{"errcode":"M_INVALID_PARAM","error":"Invalid filter ID"}"#), .raw(200, #"{"next_batch":"s2"}"#),
                .raw(200, #"{"next_batch":"s3"}"#),
            ],
            configure: { $0.storesSyncFilter = true })
        #expect(try await h.service.poll(cursor: "s1").cursor == "s2")
        #expect(try await h.service.poll(cursor: "s2").cursor == "s3")
        #expect(h.sync.requests[0].query["filter"] == "7")
        #expect(try filterJSON(h.sync.requests[1])["room"]?["timeline"]?["limit"] == 50)
        #expect(try filterJSON(h.sync.requests[2])["room"]?["timeline"]?["limit"] == 50)
        #expect(h.send.requests.count == 2, "not stored again within the retry interval")
        #expect(h.logs.all.contains { $0.contains("refused the stored sync filter") })
    }

    @Test("an inline filter refused after the stored one was: an error, as before")
    func refusedTwice() async throws {
        let refusal = ScriptedHTTPClient.Reply.raw(400, #"{"errcode":"M_INVALID_PARAM","error":"no"}"#)
        let h = try await connected(
            send: [.raw(200, #"{"filter_id":"7"}"#)], sync: [refusal, refusal], configure: { $0.storesSyncFilter = true })
        await #expect(throws: ChatError.self) { _ = try await h.service.poll(cursor: "s1") }
        #expect(h.sync.requests.count == 2)
    }
}

/// The sync filter's `event_fields`: the server sends only those fields of each event, so every decision the
/// translator makes must come out the same on an event cut to them.
@Suite("Matrix sync filter: the event fields")
struct EventFieldsTests {
    /// The spec's reading of a field: dot-separated names, `\.` a literal dot.
    static func path(_ field: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var escaped = false
        for character in field {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "." {
                parts.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        return parts + [current]
    }

    /// The event with only the named fields, as Synapse cuts it (`only_fields`).
    static func cut(_ event: JSON, to fields: [String]) -> JSON {
        func copy(_ source: JSON, into target: inout [String: JSON], _ path: ArraySlice<String>) {
            guard let key = path.first, case .object(let object) = source, let value = object[key] else { return }
            if path.count == 1 {
                target[key] = value
                return
            }
            var inner: [String: JSON] = if case .object(let existing)? = target[key] { existing.dictionary } else { [:] }
            copy(value, into: &inner, path.dropFirst())
            target[key] = .object(inner)
        }
        guard case .object = event else { return event }
        var result: [String: JSON] = [:]
        for field in fields { copy(event, into: &result, path(field)[...]) }
        return .object(result)
    }

    static func events() throws -> [JSON] {
        var events: [JSON] = []
        for name in ["sync_initial", "sync_joined", "sync_limited", "sync_messages"] {
            let answer = try JSON.parse(fixture(name))
            for (_, room) in answer["rooms"]?["join"]?.object ?? [:] {
                events += room["timeline"]?["events"]?.array ?? []
                events += room["state"]?["events"]?.array ?? []
            }
        }
        func event(_ type: String, _ content: JSON, sender: String = "@anna:hs", extra: [String: JSON] = [:]) -> JSON {
            .object([
                "type": .string(type), "event_id": "$e", "sender": .string(sender), "origin_server_ts": 1000, "content": content,
                "unsigned": ["age": 5, "transaction_id": "t1"],
            ].merging(extra) { $1 })
        }
        let html: JSON = ["msgtype": "m.text", "body": "hej", "format": "org.matrix.custom.html", "formatted_body": "<b>hej</b>"]
        events += [
            event("m.room.message", html), event("m.room.message", html, sender: testUser),
            event("m.room.message", ["msgtype": "m.notice", "body": "x"]),
            event("m.room.message", ["msgtype": "m.emote", "body": "vinkar"]),
            event("m.room.message", ["msgtype": "m.image", "body": "bild.png", "url": "mxc://hs/x"]),
            event("m.room.message", ["msgtype": "m.text", "body": "* x", "m.relates_to": ["rel_type": "m.replace", "event_id": "$a"]]),
            event("m.room.message", [
                "msgtype": "m.text", "body": "> <@b:hs> fråga\n\nsvar", "m.relates_to": ["m.in_reply_to": ["event_id": "$q"]],
            ]),
            event("m.room.message", [:], extra: ["unsigned": ["redacted_because": ["type": "m.room.redaction"]]]),
            event("m.room.message", ["body": "utan msgtype"]),
            event("m.room.encrypted", ["algorithm": "m.megolm.v1.aes-sha2", "ciphertext": "abc", "session_id": "s"]),
            event("m.room.encrypted", ["algorithm": "m.megolm.v1.aes-sha2", "ciphertext": "abc"], sender: testUser),
            event("m.sticker", ["body": "klistermärke", "url": "mxc://hs/y"]),
            event("m.room.member", ["membership": "join"], sender: testUser, extra: [
                "state_key": .string(testUser), "unsigned": ["prev_content": ["membership": "invite"], "age": 1],
            ]),
            event("m.room.member", ["membership": "join", "displayname": "Skav"], sender: testUser, extra: [
                "state_key": .string(testUser), "prev_content": ["membership": "join"],
            ]),
            event("m.room.member", ["membership": "invite", "is_direct": true], extra: ["state_key": .string(testUser)]),
            event("m.room.member", ["membership": "leave"], extra: ["state_key": "@anna:hs"]),
        ]
        return events
    }

    @Test("every event the translator decides on is decided the same when cut to the filter's fields")
    func cutEventsTranslateTheSame() throws {
        let translator = SyncTranslator(me: testUser)
        let fields = MatrixChatService.eventFields
        let events = try Self.events()
        #expect(events.count > 20)
        for event in events {
            let cut = Self.cut(event, to: fields)
            for isDirect in [nil, true, false] as [Bool?] {
                #expect(
                    translator.translate(cut, room: RoomID("!r:hs"), isDirectRoom: isDirect)
                        == translator.translate(event, room: RoomID("!r:hs"), isDirectRoom: isDirect), "\(event)")
            }
            #expect(translator.isOwnFreshJoin(cut) == translator.isOwnFreshJoin(event), "\(event)")
            #expect(translator.isOwnInvite(cut) == translator.isOwnInvite(event), "\(event)")
        }
        // The whole timeline too: the history cut after a fresh join falls where it fell.
        #expect(translator.historyCutoff(events.map { Self.cut($0, to: fields) }) == translator.historyCutoff(events))
        // The cut drops what the bot never reads: HTML, the age, the ciphertext.
        let message = try #require(events.first { $0["content"]?["formatted_body"] != nil })
        #expect(Self.cut(message, to: fields)["content"]?["formatted_body"] == nil)
        #expect(Self.cut(message, to: fields)["content"]?["body"] != nil)
    }

    @Test("the filter names the fields, a dot inside a name escaped")
    func theFilterNamesTheFields() throws {
        let filter = try JSON.parse(Data(MatrixChatService.syncFilter(limit: 50).utf8))
        #expect(filter["event_fields"]?.array?.compactMap(\.string) == MatrixChatService.eventFields)
        #expect(Self.path(#"content.m\.relates_to"#) == ["content", "m.relates_to"])
        #expect(MatrixChatService.eventFields.contains(#"content.m\.relates_to"#))
    }

    /// What the adapter's decoding leaves out (the bot's own contents, `SyncTranslator.unreadParts`) changes
    /// no event of any recorded answer, also with every unread part put into every room and the top (the
    /// recorded answers of a running bot carry few of them); the unread parts, and only they, are left out of
    /// the tree. None of them is a key the translation reads.
    @Test("the parts of an answer left out of its decoding change no event")
    func unreadPartsChangeNothing() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let unread: JSON = ["events": [["type": "m.typing", "content": ["user_ids": ["@anna:example.org"]]]]]
        func withUnreadParts(_ json: JSON) -> JSON {
            guard case .object(var top) = json else { return json }
            for part in SyncTranslator.unreadParts { top[part] = unread }
            if case .object(var rooms)? = top["rooms"], case .object(var joined)? = rooms["join"] {
                for (room, value) in joined {
                    guard case .object(var fields) = value else { continue }
                    for part in SyncTranslator.unreadParts { fields[part] = unread }
                    fields["unread_notifications"] = ["highlight_count": 0, "notification_count": 2]
                    joined[room] = .object(fields)
                }
                rooms["join"] = .object(joined)
                top["rooms"] = .object(rooms)
            }
            return .object(top)
        }
        // The tree as the scanner leaves it: every unread part whose value is an object or an array taken out.
        func stripped(_ json: JSON) -> JSON {
            switch json {
            case .array(let values): return .array(values.map(stripped))
            case .object(let object):
                var kept: [String: JSON] = [:]
                for (key, value) in object where !(SyncTranslator.unreadParts.contains(key) && (value.object != nil || value.array != nil)) {
                    kept[key] = stripped(value)
                }
                return .object(JSONObject(kept))
            default: return json
            }
        }
        let partsOnly = JSON.SkippedContent(type: "", sender: "", members: SyncTranslator.unreadParts)
        var changed = 0
        for name in ["sync_initial", "sync_joined", "sync_limited", "sync_messages"] {
            let recorded = try JSON.parse(fixture(name))
            for document in [recorded, withUnreadParts(recorded)] {
                let data = Data(document.encoded)
                let events = try #require(SyncDecoding.events(fromSyncBody: data, me: testUser, now: now), "\(name)")
                #expect(events == SyncDecoding.events(fromSyncBody: data, me: testUser, now: now, skippingOwnContent: false), "\(name)")
                let read = try JSON.parse(data, skipping: partsOnly)
                #expect(read == stripped(document), "\(name)")
                if read != document { changed += 1 }
            }
        }
        #expect(changed >= 4)  // every answer with the parts put in: not vacuous
        let read: Set<String> = [
            "next_batch", "rooms", "join", "invite", "leave", "timeline", "events", "limited", "prev_batch", "summary",
            "m.heroes", "m.joined_member_count", "m.invited_member_count", "state", "invite_state", "content",
            "unsigned", "type", "sender", "state_key", "event_id", "origin_server_ts", "membership", "is_direct",
            "redacted_because", "prev_content", "m.relates_to", "rel_type", "m.in_reply_to", "msgtype", "body",
            "algorithm",
        ]
        #expect(read.isDisjoint(with: SyncTranslator.unreadParts))
        #expect(!MatrixChatService.eventFields.contains { SyncTranslator.unreadParts.contains(String($0.split(separator: ".")[0])) })
    }
}
