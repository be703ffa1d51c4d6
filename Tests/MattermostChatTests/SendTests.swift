import Chat
import CurlHTTP
import Foundation
import SkavTesting
import Testing

@testable import MattermostChat

@Suite("Mattermost sending")
struct SendTests {
    let dm = "dmanna00000000000000000000"

    @Test("a post: channel, Markdown escaped, pending_post_id from the txn, props.skav_txn")
    func post() async throws {
        let h = Harness()
        h.server.addChannel(dm)
        _ = try await h.service.connect()
        let body = RichText([.strong("Tack!"), .text(" Din idé *stjärna* @channel [länk](x)")])
        let sent = try await h.service.send(OutgoingMessage(txnID: "ev1.reply", room: RoomID(dm), body: body))
        let posts = h.requests.filter { $0.method == "POST" && $0.path == "/posts" }
        let request = try #require(posts.first)
        let json = try #require(request.json)
        #expect(json["channel_id"]?.string == dm)
        #expect(json["message"]?.string == "**Tack\\!** Din idé \\*stjärna\\* @\u{2060}channel \\[länk\\]\\(x\\)")
        #expect(json["pending_post_id"]?.string == MattermostChatService.pendingPostID("ev1.reply"))
        #expect(json["props"]?["skav_txn"]?.string == "ev1.reply")
        #expect(json["root_id"] == nil)
        #expect(sent.remoteID.hasPrefix("sent"))
        // The same txn again in this process: the server is not asked again.
        let again = try await h.service.send(OutgoingMessage(txnID: "ev1.reply", room: RoomID(dm), body: body))
        #expect(again == sent)
        #expect(h.requests.filter { $0.method == "POST" }.count == 1)
        #expect(MattermostChatService.pendingPostID("ev1.reply") == MattermostChatService.pendingPostID("ev1.reply"))
        #expect(MattermostChatService.pendingPostID("ev1.reply") != MattermostChatService.pendingPostID("ev2.reply"))
    }

    @Test("a reply goes to the thread's root")
    func reply() async throws {
        let h = Harness()
        let town = h.server.addChannel("town0000000000000000000000", type: "O")
        let root = h.server.post(town, by: botID, "utmaning")
        let answer = h.server.post(town, by: anna, "svar", root: root)
        _ = try await h.service.connect()
        _ = try await h.service.send(
            OutgoingMessage(txnID: "t1", room: RoomID(town), body: "tack", inReplyTo: answer))
        _ = try await h.service.send(OutgoingMessage(txnID: "t2", room: RoomID(town), body: "tack", inReplyTo: root))
        let posts = h.requests.filter { $0.method == "POST" && $0.path == "/posts" }.compactMap(\.json)
        #expect(posts.map { $0["root_id"]?.string } == [root, root])
        // A reply to a post that is gone starts no thread.
        _ = try await h.service.send(OutgoingMessage(txnID: "t3", room: RoomID(town), body: "x", inReplyTo: "gone000000000000000000000a"))
        let last = try #require(h.requests.last(where: { $0.method == "POST" })?.json)
        #expect(last["root_id"] == nil)
    }

    @Test("500 deduplicate pending: asked again with the same pending_post_id, one post")
    func dedupePending() async throws {
        let h = Harness()
        h.server.addChannel(dm)
        _ = try await h.service.connect()
        // The first search of the channel, then the pending answer, then the server's own behaviour.
        h.client.enqueue(
            .json(200, ["order": [], "posts": .object([:])]),
            .raw(500, #"{"id":"api.post.deduplicate_create_post.pending","message":"Post rejected by server","status_code":500}"#))
        let sent = try await h.service.send(OutgoingMessage(txnID: "dup1", room: RoomID(dm), body: "hej"))
        let posts = h.requests.filter { $0.method == "POST" && $0.path == "/posts" }
        #expect(posts.count == 2)
        #expect(Set(posts.compactMap { $0.json?["pending_post_id"]?.string }).count == 1)
        #expect(h.server.visiblePosts.filter { $0.user == botID }.count == 1)
        #expect(sent.remoteID == h.server.visiblePosts.last?.id)
        #expect(h.sleeper.durations.count == 1)
    }

    @Test("restart, then the outbox sends the same entry again: the bot's post is found, not posted twice")
    func restartFindsOwnPost() async throws {
        let server = MiniMattermost()
        server.addChannel(dm)
        let before = Harness(server: server)
        _ = try await before.service.connect()
        let first = try await before.service.send(OutgoingMessage(txnID: "ev9.reply", room: RoomID(dm), body: "svar"))
        // Long after the pending_post_id window, a new process (its answer was lost, or it died before
        // marking the entry sent).
        server.state.withLock { state in
            for index in state.posts.indices { state.posts[index].pendingPostID = "" }
        }
        let after = Harness(server: server)
        _ = try await after.service.connect()
        let again = try await after.service.send(OutgoingMessage(txnID: "ev9.reply", room: RoomID(dm), body: "svar"))
        #expect(again == first)
        #expect(after.requests.filter { $0.method == "POST" }.isEmpty)
        #expect(server.visiblePosts.filter { $0.user == botID }.count == 1)
        // A new entry in the same channel: no second search, one post.
        _ = try await after.service.send(OutgoingMessage(txnID: "ev10.reply", room: RoomID(dm), body: "nästa"))
        #expect(after.requests.filter { $0.query["per_page"] != nil }.count == 1)
        #expect(server.visiblePosts.filter { $0.user == botID }.count == 2)
    }

    /// A harness connected, with one post already sent in the DM.
    func warmedUp() async throws -> Harness {
        let h = Harness()
        h.server.addChannel(dm)
        _ = try await h.service.connect()
        _ = try await h.service.send(OutgoingMessage(txnID: "warmup", room: RoomID(dm), body: "a"))
        return h
    }

    @Test("a send whose answer was lost is searched for before it is posted again")
    func lostAnswer() async throws {
        let h = try await warmedUp()
        // The post arrives, its answer does not (a timeout is not retried inside send).
        let server = h.server
        h.client.enqueue(.failure(.timedOut("no answer")))
        await #expect(throws: ChatError.self) {
            try await h.service.send(OutgoingMessage(txnID: "lost", room: RoomID(dm), body: "b"))
        }
        // The server did save it (the fake did not see the request: save it as the real one would have).
        server.post(dm, by: botID, "b", props: ["skav_txn": "lost"])
        let retried = try await h.service.send(OutgoingMessage(txnID: "lost", room: RoomID(dm), body: "b"))
        #expect(server.visiblePosts.filter { $0.user == botID }.map(\.id).contains(retried.remoteID))
        #expect(server.visiblePosts.filter { $0.user == botID }.count == 2)
    }

    @Test("429 in a send: .rateLimited at once with the wait, from either header style; never slept out")
    func rateLimitedSend() async throws {
        let h = try await warmedUp()
        let cases: [([String: String], Duration)] = [
            (["Retry-After": "7", "X-Ratelimit-Limit": "10", "X-Ratelimit-Remaining": "0"], .seconds(7)),
            (["X-Ratelimit-Reset": "3"], .seconds(3)),
            // Epoch seconds, against the server's Date (2023-11-14 22:13:20 GMT = 1,700,000,000).
            (["X-Ratelimit-Reset": "1700000012", "Date": "Tue, 14 Nov 2023 22:13:20 GMT"], .seconds(12)),
            (["Retry-After": "9223372036854775807"], .seconds(3_600)),
            (["X-Ratelimit-Reset": "1e400"], .seconds(0)),
        ]
        for (index, (headers, wait)) in cases.enumerated() {
            h.client.enqueue(.raw(429, "limit exceeded\n", headers: headers))
            let error = await #expect(throws: ChatError.self) {
                try await h.service.send(OutgoingMessage(txnID: "rl\(index)", room: RoomID(dm), body: "b"))
            }
            #expect(error?.code == .rateLimited)
            if index < 4 { #expect(error?.retryAfter == wait, "case \(index)") }
        }
        #expect(h.sleeper.durations.isEmpty)
    }

    @Test("429 while polling is waited out, clamped")
    func rateLimitedPoll() async throws {
        let h = Harness()
        h.server.addChannel(dm)
        let cursor = try await h.started()
        h.client.enqueue(.raw(429, "limit exceeded", headers: ["X-Ratelimit-Reset": "2"]))
        _ = try await h.service.poll(cursor: cursor)
        #expect(h.sleeper.durations.first == .seconds(2))
    }

    @Test("files: multipart upload with channel_id and files, then file_ids on the post")
    func file() async throws {
        let h = Harness()
        h.server.addChannel(dm)
        _ = try await h.service.connect()
        let data = Data("{\"ideas\":[]}".utf8)
        _ = try await h.service.send(
            OutgoingMessage(
                txnID: "export1", room: RoomID(dm), body: "Din data",
                attachment: FileAttachment(filename: "skav.json", mimeType: "application/json", data: data)))
        let upload = try #require(h.requests.first { $0.path == "/files" })
        let contentType = try #require(upload.header("Content-Type"))
        #expect(contentType.hasPrefix("multipart/form-data; boundary="))
        let text = String(decoding: try #require(upload.body), as: UTF8.self)
        #expect(text.contains("Content-Disposition: form-data; name=\"channel_id\"\r\n\r\n\(dm)\r\n"))
        #expect(text.contains("name=\"files\"; filename=\"skav.json\"\r\nContent-Type: application/json\r\n\r\n{\"ideas\":[]}\r\n"))
        let post = try #require(h.requests.last { $0.path == "/posts" }?.json)
        #expect(post["file_ids"] == ["file1"])
        #expect(post["message"]?.string == "Din data")
    }

    @Test("a message over MaxPostSize goes as several posts, each exactly once")
    func tooLong() async throws {
        let h = Harness()
        h.server.state.withLock { $0.maxPostSize = "4000" }
        h.server.addChannel(dm)
        _ = try await h.service.connect()
        _ = try await h.service.send(OutgoingMessage(txnID: "fits", room: RoomID(dm), body: RichText(plain: String(repeating: "å", count: 4_000))))
        #expect(h.server.visiblePosts.count == 1)
        let paragraph = String(repeating: "ord ", count: 300) + "slut."
        let body = RichText.paragraphs(Array(repeating: RichText(plain: paragraph), count: 12))
        let sent = try await h.service.send(OutgoingMessage(txnID: "long", room: RoomID(dm), body: body))
        let posts = h.server.visiblePosts.dropFirst()
        #expect(posts.count == 4)
        #expect(posts.first?.id == sent.remoteID)
        #expect(posts.allSatisfy { $0.message.unicodeScalars.count <= 4_000 && $0.message.hasSuffix("slut.") })
        #expect(posts.map(\.message).joined(separator: "\n\n") == body.markdown)
        #expect(posts.map { $0.props["skav_txn"]?.string } == ["long", "long#2", "long#3", "long#4"])
        // After a restart half-way (parts 1 and 2 on the server), the rest is sent, nothing twice.
        h.server.state.withLock { state in
            state.posts.removeLast(2)
            for index in state.posts.indices { state.posts[index].pendingPostID = "" }
        }
        let restarted = Harness(server: h.server)
        _ = try await restarted.service.connect()
        let again = try await restarted.service.send(OutgoingMessage(txnID: "long", room: RoomID(dm), body: body))
        #expect(again == sent)
        #expect(h.server.visiblePosts.dropFirst().map { $0.props["skav_txn"]?.string } == ["long", "long#2", "long#3", "long#4"])
    }

    @Test("splitting: paragraphs, lines, words, never after an escape's backslash; nothing lost")
    func splitting() {
        #expect(MattermostChatService.split("", limit: 10) == [""])
        #expect(MattermostChatService.split("kort", limit: 10) == ["kort"])
        #expect(MattermostChatService.split("aaaa bbbb cccc", limit: 10) == ["aaaa bbbb", "cccc"])
        #expect(MattermostChatService.split("aaaaaa\nbb\n\ncccccc", limit: 10) == ["aaaaaa\nbb", "cccccc"])
        #expect(MattermostChatService.split("abcdefghi\\*rest", limit: 10) == ["abcdefghi", "\\*rest"])
        var random = SplitMix64(seed: 99)
        let alphabet = Array("ab \n\\*åé😀".unicodeScalars)
        for _ in 0..<300 {
            let length = Int(random.next() % 400)
            let text = String(String.UnicodeScalarView((0..<length).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }))
            let limit = 2 + Int(random.next() % 60)
            let parts = MattermostChatService.split(text, limit: limit)
            #expect(parts.allSatisfy { $0.unicodeScalars.count <= limit })
            let kept = parts.joined().unicodeScalars.filter { $0 != "\n" && $0 != " " }
            #expect(String(String.UnicodeScalarView(kept)) == String(String.UnicodeScalarView(text.unicodeScalars.filter { $0 != "\n" && $0 != " " })))
        }
    }

    @Test("direct channels: both ids, cached; 403 is .forbidden")
    func directChannel() async throws {
        let h = Harness()
        _ = try await h.service.connect()
        let room = try await h.service.openDirectRoom(with: UserID(anna))
        let again = try await h.service.openDirectRoom(with: UserID(anna))
        #expect(room == again)
        let creations = h.requests.filter { $0.path == "/channels/direct" }
        #expect(creations.count == 1)
        #expect(creations.first?.json == [.string(botID), .string(anna)])
        h.client.enqueue(.raw(403, #"{"id":"api.context.permissions.app_error","message":"You do not have the appropriate permissions.","status_code":403}"#))
        let error = await #expect(throws: ChatError.self) { try await h.service.openDirectRoom(with: UserID(bertil)) }
        #expect(error?.code == .forbidden)
        #expect(error?.serverCode == "api.context.permissions.app_error")
    }

    @Test("join and leave: the bot's membership; leaving a channel it is not in is done")
    func joinLeave() async throws {
        let h = Harness(script: [])
        _ = try await h.service.connect()
        h.client.enqueue(.json(201, ["channel_id": "c1", "user_id": .string(botID)]), .json(200, ["status": "OK"]))
        try await h.service.join("c1")
        try await h.service.leave("c1")
        let requests = h.requests.suffix(2)
        #expect(requests.map(\.method) == ["POST", "DELETE"])
        #expect(requests.map(\.path) == ["/channels/c1/members", "/channels/c1/members/\(botID)"])
        #expect(requests.first?.json == ["user_id": .string(botID)])
        h.client.enqueue(.raw(404, #"{"id":"app.channel.get_member.missing.app_error","status_code":404}"#))
        try await h.service.leave("c2")
    }
}
