import Chat
import CurlHTTP
import Foundation
import SkavTesting
import Testing

@testable import MattermostChat

/// A person opening a direct channel with the bot is reported as the engine expects a new direct chat
/// (an invite and the membership of the two), once, so the greeting comes before the first word.
@Suite("Mattermost direct chats opened")
struct DirectChatTests {
    /// A server as a real one answers: a channel without posts has `last_post_at` 0.
    static func realistic() -> Harness {
        let h = Harness()
        h.server.state.withLock {
            $0.emptyChannelsAtZero = true
            $0.clock = 1_700_000_020_000
        }
        return h
    }

    /// A realistic server, the bot connected and polled once two seconds ago: the harness and that cursor.
    static func startedEarlier() async throws -> (Harness, String) {
        let h = realistic()
        let cursor = try await h.started()
        h.server.tick(2_000)
        return (h, cursor)
    }

    @Test("a new direct channel: one invite and one membership, the person as sender; never again")
    func newDirectChannel() async throws {
        let (h, cursor) = try await Self.startedEarlier()
        let dm = h.server.addDirect("dmanna00000000000000000000", with: anna)
        let createdAt = try #require(h.server.state.withLock { $0.channels.last?.createAt })
        let batch = try await h.service.poll(cursor: cursor)
        let at = Date(timeIntervalSince1970: Double(createdAt) / 1_000)
        #expect(
            batch.events == [
                ChatEvent(
                    id: "mmdm:\(dm):invite", room: RoomID(dm), sender: UserID(anna),
                    kind: .invite(isDirect: true, encrypted: false), timestamp: at, isDirectRoom: true),
                ChatEvent(
                    id: "mmdm:\(dm):joined", room: RoomID(dm), sender: UserID(anna),
                    kind: .membership(RoomMembership(joined: 2, invited: 0, others: [UserID(anna)])), timestamp: at,
                    isDirectRoom: true),
            ])
        // Polled again, within the overlap and long after it: nothing.
        var next = try await h.service.poll(cursor: batch.cursor)
        #expect(next.events.isEmpty)
        h.server.tick(60_000)
        next = try await h.service.poll(cursor: next.cursor)
        #expect(next.events.isEmpty)
        // A restart with the stored cursor (a new process, nothing in memory): nothing.
        let restarted = Harness(server: h.server)
        _ = try await restarted.service.connect()
        #expect(try await restarted.service.poll(cursor: batch.cursor).events.isEmpty)
        // A crash before the batch was committed: the old cursor again gives the same ids (the engine's
        // processed-event check drops them when they were handled).
        let crashed = Harness(server: h.server)
        _ = try await crashed.service.connect()
        #expect(try await crashed.service.poll(cursor: cursor).events.map(\.id) == batch.events.map(\.id))
        // The cursor remembers the channel while it lies within the overlap of the newest stamp, no longer.
        #expect(FeedCursor(encoded: next.cursor)?.directs.map(\.id) == [dm])
        let word = h.server.post(dm, by: anna, "nu skriver jag")
        next = try await h.service.poll(cursor: next.cursor)
        #expect(next.events.map(\.id) == [word])
        #expect(FeedCursor(encoded: next.cursor)?.directs.isEmpty == true)
    }

    @Test("opened and written in within one poll: the invite and membership come before the message")
    func openedAndWritten() async throws {
        let (h, cursor) = try await Self.startedEarlier()
        let dm = h.server.addDirect("dmanna00000000000000000000", with: anna)
        let first = h.server.post(dm, by: anna, "hej, jag har en idé")
        let batch = try await h.service.poll(cursor: cursor)
        #expect(batch.events.map(\.id) == ["mmdm:\(dm):invite", "mmdm:\(dm):joined", first])
        let again = try await h.service.poll(cursor: batch.cursor)
        #expect(again.events.isEmpty)
    }

    @Test("first start: the direct channels that exist are history, even the newest")
    func firstStart() async throws {
        let h = Self.realistic()
        h.server.addDirect("dmanna00000000000000000000", with: anna)
        // The server's Date says a second before the channel was made (a proxy's clock running behind).
        h.server.state.withLock { $0.date = MiniMattermost.httpDate(milliseconds: $0.clock - 1_000) }
        let cursor = try await h.started()
        h.server.tick(10)
        let batch = try await h.service.poll(cursor: cursor)
        #expect(batch.events.isEmpty)
    }

    @Test("a direct channel opened by someone who may not talk to the bot: nothing, and no look-up again")
    func notAllowed() async throws {
        let (h, cursor) = try await Self.startedEarlier()
        h.server.addDirect("dmbert00000000000000000000", with: bertil)  // bertil@annat.se
        h.server.addDirect("dmcarl00000000000000000000", with: "carl000000000000000000000a")  // no such user
        let batch = try await h.service.poll(cursor: cursor)
        #expect(batch.events.isEmpty)
        h.client.resetRequests()
        let next = try await h.service.poll(cursor: batch.cursor)
        #expect(next.events.isEmpty)
        #expect(h.requests.allSatisfy { $0.path == "/users/me/teams/\(teamID)/channels" })
        #expect(h.logs.all.contains { $0.contains("outside the allowed domains") })
    }

    @Test("a direct channel the bot opened itself brings no greeting (as its own invite on Matrix)")
    func openedByTheBot() async throws {
        let (h, cursor) = try await Self.startedEarlier()
        _ = try await h.service.openDirectRoom(with: UserID(anna))
        #expect(try await h.service.poll(cursor: cursor).events.isEmpty)
        // After a restart the channel's creator_id says so.
        let restarted = Harness(server: h.server)
        _ = try await restarted.service.connect()
        #expect(try await restarted.service.poll(cursor: cursor).events.isEmpty)
    }

    @Test("2,000 existing direct channels: none is news, at the start or after")
    func manyExisting() async throws {
        let h = Self.realistic()
        for index in 0..<2_000 {
            h.server.addDirect(String(format: "dm%024d", index), with: String(format: "u%025d", index))
            h.server.tick(100)
        }
        var cursor = try await h.started()
        for _ in 0..<3 {
            h.server.tick(2_000)
            let batch = try await h.service.poll(cursor: cursor)
            #expect(batch.events.isEmpty)
            cursor = batch.cursor
        }
        #expect(cursor.utf8.count < 400)
        // One more is opened: only it.
        let dm = h.server.addDirect("dmanna00000000000000000000", with: anna)
        let batch = try await h.service.poll(cursor: cursor)
        #expect(batch.events.map(\.id) == ["mmdm:\(dm):invite", "mmdm:\(dm):joined"])
    }

    @Test("600 direct channels opened at once: each reported once; the cursor stays bounded")
    func burst() async throws {
        let h = Self.realistic()
        h.server.state.withLock { state in
            for index in 0..<600 { state.emails[String(format: "p%025d", index)] = "p\(index)@kommun.se" }
            state.teamMembers.formUnion((0..<600).map { String(format: "p%025d", $0) })
        }
        var cursor = try await h.started()
        h.server.tick(2_000)
        for index in 0..<600 { h.server.addDirect(String(format: "dm%024d", index), with: String(format: "p%025d", index)) }
        var ids: [String] = []
        for _ in 0..<4 {
            let batch = try await h.service.poll(cursor: cursor)
            ids += batch.events.map(\.id)
            cursor = batch.cursor
            h.server.tick(1_000)
        }
        #expect(ids.count == 1_200)
        #expect(Set(ids).count == 1_200)
        let feed = try #require(FeedCursor(encoded: cursor))
        #expect(feed.directs.count <= FeedCursor.maxDirects)
    }

    @Test("joining a direct channel is done already: no request, or none that fails")
    func joinDirect() async throws {
        let (h, cursor) = try await Self.startedEarlier()
        let dm = h.server.addDirect("dmanna00000000000000000000", with: anna)
        _ = try await h.service.poll(cursor: cursor)
        h.client.resetRequests()
        try await h.service.join(RoomID(dm))
        #expect(h.requests.isEmpty)
        // A new process that has not listed its channels yet: the server refuses, the channel is a DM.
        let restarted = Harness(server: h.server)
        _ = try await restarted.service.connect()
        try await restarted.service.join(RoomID(dm))
        #expect(restarted.requests.suffix(2).map(\.path) == ["/channels/\(dm)/members", "/channels/\(dm)"])
        // Another channel is joined as before; a refusal there stays one.
        h.server.addChannel("town0000000000000000000000", type: "O")
        try await restarted.service.join("town0000000000000000000000")
        restarted.client.enqueue(.raw(403, #"{"id":"api.context.permissions.app_error","status_code":403}"#))
        await #expect(throws: ChatError.self) { try await restarted.service.join("secret000000000000000000aa") }
    }

    @Test("the cursor keeps the direct channels and their floor across encoding; odd names are no person's")
    func cursorAndNames() throws {
        var feed = FeedCursor(watermark: 1_000)
        feed.directs = [("a", 900), ("b", 950)]
        feed.directFloor = 800
        #expect(FeedCursor(encoded: feed.encoded) == feed)
        #expect(!FeedCursor(watermark: 5).encoded.contains("\"d\""))
        func channel(_ name: String, type: String = "D") -> PostFeed.Channel? {
            PostFeed.Channel(["id": "c", "type": .string(type), "name": .string(name), "create_at": .number(1e300)])
        }
        #expect(channel("\(anna)__\(botID)")?.partner(of: botID) == anna)
        #expect(channel("\(botID)__\(anna)")?.partner(of: botID) == anna)
        #expect(channel("\(botID)__\(botID)")?.partner(of: botID) == nil)
        #expect(channel("\(anna)__\(bertil)")?.partner(of: botID) == nil)
        #expect(channel("\(anna)__\(botID)__x")?.partner(of: botID) == nil)
        #expect(channel("__\(botID)")?.partner(of: botID) == nil)
        #expect(channel("\(anna)__\(botID)", type: "G")?.partner(of: botID) == nil)
        #expect(channel("x")?.createAt == PostFeed.latestMilliseconds)
    }
}
