import Chat
import CurlHTTP
import Foundation
import SkavTesting
import Testing

@testable import MatrixChat

/// Issue 11.2: the adapter reports who is in a room when that changes, so the bot can tell a direct chat
/// from a room someone else has joined.
@Suite("Matrix room membership")
struct MembershipTests {
    static func member(_ id: String, _ user: String, _ membership: String, by sender: String, ts: Int) -> String {
        #"{"type":"m.room.member","event_id":"\#(id)","sender":"\#(sender)","state_key":"\#(user)","origin_server_ts":\#(ts),"content":{"membership":"\#(membership)"}}"#
    }

    @Test("a third person joining a direct chat is reported, and the room is no direct chat any more")
    func thirdPersonJoins() async throws {
        let room = "!dmFromAnna:example.org"
        let events = [
            Self.member("$inv", "@cecilia:example.org", "invite", by: "@anna:example.org", ts: 1_700_000_500_000),
            #"{"type":"m.room.message","event_id":"$m","sender":"@anna:example.org","origin_server_ts":1700000500500,"content":{"msgtype":"m.text","body":"hej"}}"#,
            Self.member("$cj", "@cecilia:example.org", "join", by: "@cecilia:example.org", ts: 1_700_000_501_000),
        ].joined(separator: ",")
        let sync = #"{"next_batch":"s3","rooms":{"join":{"\#(room)":{"summary":{"m.joined_member_count":3,"m.invited_member_count":0,"m.heroes":["@anna:example.org","@cecilia:example.org"]},"timeline":{"events":[\#(events)]}}}}}"#
        let h = try await connected(sync: [.json(200, "sync_initial"), .raw(200, sync)])
        let first = try await h.service.poll(cursor: nil)
        h.send.enqueue(.raw(200, #"{"room_id":"\#(room)"}"#))
        try await h.service.join(RoomID(room))
        let batch = try await h.service.poll(cursor: first.cursor)
        let membership = try #require(batch.events.first)
        #expect(
            membership.kind
                == .membership(RoomMembership(joined: 3, invited: 0, others: ["@anna:example.org", "@cecilia:example.org"])))
        #expect(membership.sender == "@cecilia:example.org", "who made the last change")
        #expect(batch.events.dropFirst().map(\.id) == ["$m"])
        #expect(batch.events.dropFirst().allSatisfy { $0.isDirectRoom == false }, "not direct, whatever the invite said")
        // The inviter's direct chat is no longer this room: a new one is created when needed.
        h.send.enqueue(.raw(200, #"{"room_id":"!fresh:example.org"}"#))
        #expect(try await h.service.openDirectRoom(with: "@anna:example.org") == "!fresh:example.org")
    }

    @Test("no membership event without a membership change; a counted change without a summary uses the last counts")
    func onlyOnChange() {
        let translator = SyncTranslator(me: testUser)
        let message = try! JSON.parse(
            Data(#"{"type":"m.room.message","event_id":"$m","sender":"@anna:hs","origin_server_ts":1000,"content":{"msgtype":"m.text","body":"x"}}"#.utf8))
        let quiet = SyncTranslator.Sync.Timeline(
            room: "!r:hs", events: [message], limited: false, prevBatch: nil, joinedMembers: 2, invitedMembers: 0)
        #expect(translator.membership(of: quiet, known: (2, 0), now: Date()) == nil)
        let leave = try! JSON.parse(Data(Self.member("$l", "@bo:hs", "leave", by: "@bo:hs", ts: 2000).utf8))
        let change = SyncTranslator.Sync.Timeline(
            room: "!r:hs", events: [leave], limited: false, prevBatch: nil, joinedMembers: nil, invitedMembers: nil)
        let event = translator.membership(of: change, known: (2, nil), now: Date())
        #expect(event?.kind == .membership(RoomMembership(joined: 2, invited: 0, others: [])))
        #expect(translator.membership(of: change, known: (nil, nil), now: Date()) == nil, "no count, nothing to say")
        #expect(event?.id == translator.membership(of: change, known: (2, nil), now: Date())?.id, "stable id")
    }

    @Test("a createRoom whose answer was lost is found by its token on the retry, not created twice")
    func lostCreateRoomAnswer() async throws {
        let h = try await connected(sync: [])
        h.send.enqueue(.failure(HTTPError(.timedOut, "the answer never came")))
        let creation = RoomCreation(token: "tok-1", attemptedBefore: false)
        await #expect(throws: ChatError.self) { try await h.service.openDirectRoom(with: "@anna:example.org", creation: creation) }
        let sent = try #require(h.send.requests.last?.json)
        #expect(sent["initial_state"] == [["type": "se.skav.room_creation", "state_key": "", "content": ["token": "tok-1"]]])
        // The retry: the server did create the room. It is found among the joined rooms by its tag.
        h.send.enqueue(
            .raw(200, #"{"joined_rooms":["!other:example.org","!made:example.org"]}"#),
            .raw(404, #"{"errcode":"M_NOT_FOUND","error":"Event not found."}"#),
            .raw(200, #"{"token":"tok-1"}"#))
        let retry = RoomCreation(token: "tok-1", attemptedBefore: true)
        #expect(try await h.service.openDirectRoom(with: "@anna:example.org", creation: retry) == "!made:example.org")
        #expect(h.send.requests.filter { $0.path == "/createRoom" }.count == 1, "one room, one invite")
        #expect(
            h.send.requests.suffix(3).map(\.path) == [
                "/joined_rooms", "/rooms/%21other%3Aexample.org/state/se.skav.room_creation/",
                "/rooms/%21made%3Aexample.org/state/se.skav.room_creation/",
            ])
        // Remembered: the same creation again gets the same room without asking.
        let asked = h.send.requests.count
        #expect(try await h.service.openDirectRoom(with: "@anna:example.org", creation: retry) == "!made:example.org")
        #expect(h.send.requests.count == asked)
    }

    @Test("a retry that finds no tagged room creates one")
    func retryWithoutRoomCreates() async throws {
        let h = try await connected(sync: [])
        h.send.enqueue(.raw(200, #"{"joined_rooms":[]}"#), .json(200, "create_room"))
        let retry = RoomCreation(token: "tok-2", attemptedBefore: true)
        #expect(try await h.service.openDirectRoom(with: "@anna:example.org", creation: retry) == "!dmWithAnna:example.org")
    }
}
