import Chat
import CurlHTTP
import Foundation
import SkavTesting
import Testing

@testable import MatrixChat

/// Issue 10: a server's numbers go through `ServerNumber` before any arithmetic.
@Suite("Matrix: absurd numbers from the server")
struct ServerNumberTests {
    @Test("origin_server_ts huge, negative or fractional is clamped to 1970…9999, never a crash")
    func timestamps() {
        let translator = SyncTranslator(me: "@skav:hs")
        func event(_ ts: JSON) -> JSON {
            ["type": "m.room.message", "event_id": "$e", "sender": "@anna:hs", "origin_server_ts": ts,
             "content": ["msgtype": "m.text", "body": "hej"]]
        }
        func timestamp(_ ts: JSON) -> Date? {
            if case .event(let translated) = translator.translate(event(ts), room: "!r:hs", isDirectRoom: true) {
                return translated.timestamp
            }
            return nil
        }
        #expect(timestamp(.number(1e300)) == ServerNumber.latestDate)
        #expect(timestamp(.number(9.3e18)) == ServerNumber.latestDate)
        #expect(timestamp(.number(-5)) == Date(timeIntervalSince1970: 0))
        #expect(timestamp(.number(-1e300)) == Date(timeIntervalSince1970: 0))
        #expect(timestamp(.number(1_700_000_000_123.5)) == Date(timeIntervalSince1970: 1_700_000_000.1235))
        #expect(timestamp(.string("1700000000000")) == nil, "not a number: malformed")
    }

    @Test("member counts past Int32 (9e18 + 9e18 once overflowed in the directness check) are no counts")
    func hugeMemberCounts() async throws {
        let body = """
            {"next_batch": "s2", "rooms": {"join": {"!big:example.org": {
              "summary": {"m.joined_member_count": 9e18, "m.invited_member_count": 9e18},
              "timeline": {"events": [{"type": "m.room.message", "event_id": "$m", "sender": "@anna:example.org",
                "origin_server_ts": 1e300, "content": {"msgtype": "m.text", "body": "hej"}}]}}}}}
            """
        let h = try await connected(sync: [
            .raw(200, body), .raw(200, #"{"joined":{"@anna:example.org":{},"@skav:example.org":{}}}"#),
        ])
        let batch = try await h.service.poll(cursor: "s1")
        #expect(batch.events.map(\.id) == ["$m"])
        #expect(batch.events.first?.timestamp == ServerNumber.latestDate)
        // The absurd counts were dropped, so the room's size was asked of the server: two members, a DM.
        #expect(batch.events.first?.isDirectRoom == true)
    }
}
