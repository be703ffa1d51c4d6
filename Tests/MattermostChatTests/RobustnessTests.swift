import Chat
import CurlHTTP
import Foundation
import Synchronization
import SkavTesting
import Testing

@testable import MattermostChat

@Suite("Mattermost answers that must never trap")
struct RobustnessTests {
    static let feed = #"""
        {"order":["p1","p2","p3"],"posts":{
        "p1":{"id":"p1","channel_id":"c1","user_id":"u1","message":"hej","create_at":1700000000001,"update_at":1700000000001,"delete_at":0,"root_id":"","original_id":"","type":"","props":{}},
        "p2":{"id":"p2","channel_id":"c1","user_id":"u1","message":"svar","create_at":1700000000002,"update_at":1700000000009,"delete_at":0,"root_id":"p1","original_id":"","type":"","props":{"from_bot":"false"}},
        "p3":{"id":"p3","channel_id":"c1","user_id":"u2","message":"x","create_at":1700000000003,"update_at":1700000000003,"delete_at":0,"root_id":"","original_id":"","type":"","props":{"from_bot":"true"}}
        },"next_post_id":"","prev_post_id":""}
        """#

    @Test("the decoder: what it takes and what it drops")
    func decoder() throws {
        let events = try #require(MattermostFeedDecoding.newMessages(fromPostsBody: Data(Self.feed.utf8), me: "bot", floor: 0))
        #expect(events.map(\.id) == ["p1", "p2"])
        #expect(events.map(\.inReplyTo) == [nil, "p1"])
        #expect(MattermostFeedDecoding.newMessages(fromPostsBody: Data("[]".utf8), me: "bot", floor: 0) == nil)
        #expect(MattermostFeedDecoding.newMessages(fromPostsBody: Data("{\"posts\":{}}".utf8), me: "bot", floor: 0) == [])
    }

    @Test("huge, negative, fractional and missing numbers are clamped or the post is dropped")
    func hugeNumbers() throws {
        let body = #"""
            {"order":[],"posts":{
            "a":{"id":"a","channel_id":"c","user_id":"u","message":"1","create_at":1e300,"update_at":-5,"delete_at":0},
            "b":{"id":"b","channel_id":"c","user_id":"u","message":"2","create_at":-1e300,"delete_at":1e-300},
            "c":{"id":"c","channel_id":"c","user_id":"u","message":"3","create_at":"soon"},
            "d":{"id":"d","channel_id":"c","user_id":"u","message":"4","create_at":12.75,"delete_at":-0.0},
            "e":{"id":"e","channel_id":"c","user_id":"u","message":"5","create_at":9223372036854775807,"delete_at":null},
            "f":{"id":7,"channel_id":"c","user_id":"u","message":"6","create_at":1},
            "g":"not a post", "h":null, "i":[1,2]
            }}
            """#
        let events = try #require(MattermostFeedDecoding.newMessages(fromPostsBody: Data(body.utf8), me: "bot", floor: -1))
        #expect(events.map(\.id) == ["b", "d", "a", "e"])
        #expect(events.first { $0.id == "a" }?.timestamp == ServerNumber.latestDate)
        let channels = MattermostFeedDecoding.channels(
            fromBody: Data(#"[{"id":"c","type":"D","last_post_at":1e999999},{"id":"d","last_post_at":-3,"total_msg_count":1e300},{"type":"O"},7]"#.utf8))
        #expect(channels?.map(\.id) == ["c", "d"] || channels == nil)
        #expect(PostFeed.milliseconds(.infinity) == nil)
        #expect(PostFeed.milliseconds(-.infinity) == nil)
        #expect(PostFeed.milliseconds(1e300) == PostFeed.latestMilliseconds)
    }

    @Test("malformed answers from the server are .badResponse, never a trap")
    func malformedAnswers() async throws {
        let h = Harness()
        let (dm, cursor) = try await h.startedWithAnnasChannel()
        h.server.post(dm, by: anna, "hej")
        for body in ["{", "null", "\"x\"", "{\"posts\":7}", "[1,2]"] {
            h.client.enqueue(.raw(200, "[" + "{\"id\":\"dmanna00000000000000000000\",\"type\":\"D\",\"last_post_at\":1800000000000}" + "]"), .raw(200, body))
            await #expect(throws: ChatError.self) { _ = try await h.service.poll(cursor: cursor) }
        }
        h.client.enqueue(.raw(200, "{\"not\":\"a list\"}"))
        let error = await #expect(throws: ChatError.self) { _ = try await h.service.poll(cursor: cursor) }
        #expect(error?.code == .badResponse)
        // Error bodies of any shape.
        for body in ["", "<html>", "{\"id\":7}", String(repeating: "x", count: 100_000)] {
            h.client.enqueue(.raw(400, body))
            let rejected = await #expect(throws: ChatError.self) {
                try await h.service.send(OutgoingMessage(txnID: "t\(body.count)", room: RoomID(dm), body: "a"))
            }
            #expect(rejected?.code == .rejected)
        }
    }

    @Test("cursors of any shape are read or refused, never a trap")
    func cursors() {
        let good = FeedCursor(
            watermark: 1_700_000_000_000,
            recent: [.init(channel: "c1", fingerprint: .init(lastPostAt: 1_699_999_999_000, totalMessages: 4))],
            handled: [("p1", 1_699_999_999_500)])
        #expect(FeedCursor(encoded: good.encoded) == good)
        for text in [
            "", "mm1:", "mm1:{}", "mm1:{\"w\":1e999}", "mm1:{\"w\":-5,\"r\":[[1,2,3],[\"c\"],null],\"h\":[[\"p\",\"x\"]]}",
            "mm1:[]", "s12345", "mm1:{\"w\":12,\"h\":{\"a\":1}}",
        ] {
            _ = FeedCursor(encoded: text)
        }
        #expect(FeedCursor(encoded: "mm1:{\"w\":-5}")?.watermark == 0)
    }

    @Test("property: random mutations of feed, channel and cursor JSON never trap (seeded)", arguments: [1, 2, 3, 4])
    func mutations(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        let seeds = [
            Self.feed,
            #"[{"id":"c","type":"D","team_id":"","last_post_at":1700000000000,"total_msg_count":3,"delete_at":0}]"#,
            FeedCursor(watermark: 5, recent: [.init(channel: "c", fingerprint: .init(lastPostAt: 4, totalMessages: nil))], handled: [("p", 3)]).encoded,
        ]
        let tokens = [
            "1e309", "-1e309", "9223372036854775808", "-9223372036854775809", "0.5", "-0", "null", "true", "\"\"", "[]", "{}",
            "\"\\ud800\"", "\"true\"", "1E+400", "[[[[[[[[[[]]]]]]]]]]", "\"p1\"", "\"\u{0}\"",
        ]
        for _ in 0..<400 {
            var bytes = Array(seeds[Int(random.next() % UInt64(seeds.count))].utf8)
            for _ in 0..<(1 + Int(random.next() % 6)) {
                guard !bytes.isEmpty else { break }
                let at = Int(random.next() % UInt64(bytes.count))
                switch random.next() % 5 {
                case 0: bytes.remove(at: at)
                case 1: bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: at)
                case 2: bytes[at] = UInt8(truncatingIfNeeded: random.next())
                case 3: bytes.insert(contentsOf: Array(tokens[Int(random.next() % UInt64(tokens.count))].utf8), at: at)
                default:
                    // Replace a number with a token: the likeliest way to a trapping conversion.
                    if let digit = bytes[at...].firstIndex(where: { (0x30...0x39).contains($0) }) {
                        var end = digit
                        while end < bytes.count, (0x30...0x39).contains(bytes[end]) { end += 1 }
                        bytes.replaceSubrange(digit..<end, with: Array(tokens[Int(random.next() % UInt64(tokens.count))].utf8))
                    }
                }
            }
            let data = Data(bytes)
            _ = MattermostFeedDecoding.newMessages(fromPostsBody: data, me: "u2", floor: Int64(bitPattern: random.next()) >> 20)
            _ = MattermostFeedDecoding.channels(fromBody: data)
            _ = FeedCursor(encoded: String(decoding: data, as: UTF8.self))
            _ = MattermostFeedDecoding.errorSummary(
                status: 429, headers: ["X-Ratelimit-Reset": String(decoding: data.prefix(30), as: UTF8.self), "Retry-After": "1e999"],
                body: data, now: Date())
        }
    }
}

@Suite("Mattermost: a server answering garbage")
struct HostileServerTests {
    /// Every answer of a working fake, randomly mutated (bytes dropped, replaced, numbers swapped for
    /// absurd ones, statuses changed): connecting, polling and sending may fail, but never trap.
    @Test("property: mutated answers never trap the adapter (seeded)", arguments: [11, 12, 13])
    func mutatedAnswers(seed: UInt64) async throws {
        let server = MiniMattermost()
        let dm = server.addChannel("dmanna00000000000000000000")
        let random = Mutex(SplitMix64(seed: seed))
        let tokens = ["1e309", "-1", "9223372036854775808", "null", "\"\"", "[]", "{}", "0.5", "\"\\ud800\"", "true"]
        let client = ScriptedHTTPClient { request in
            guard case .response(var response) = server.handle(request) else { return server.handle(request) }
            random.withLock { random in
                var bytes = Array(response.body)
                for _ in 0..<Int(random.next() % 4) where !bytes.isEmpty {
                    let at = Int(random.next() % UInt64(bytes.count))
                    switch random.next() % 4 {
                    case 0: bytes.remove(at: at)
                    case 1: bytes[at] = UInt8(truncatingIfNeeded: random.next())
                    case 2: bytes.insert(contentsOf: Array(tokens[Int(random.next() % UInt64(tokens.count))].utf8), at: at)
                    default:
                        if let digit = bytes[at...].firstIndex(where: { (0x30...0x39).contains($0) }) {
                            bytes.replaceSubrange(digit...digit, with: Array(tokens[Int(random.next() % UInt64(tokens.count))].utf8))
                        }
                    }
                }
                response.body = Data(bytes)
                if random.next() % 10 == 0 {
                    response.status = [200, 201, 304, 400, 401, 403, 404, 429, 500, 503][Int(random.next() % 10)]
                    response.headers = ["retry-after": "1e999", "x-ratelimit-reset": "99999999999999999999"]
                }
            }
            return .response(response)
        }
        let service = MattermostChatService(
            config: MattermostConfig(
                url: "https://mm.example.org", team: "kommunen", allowedDomains: ["kommun.se"], token: token,
                pollWait: .seconds(2), retry: MattermostRetryPolicy(requestRetries: 1, pollRetries: 1, rateLimitRetries: 1)),
            pollClient: client, sendClient: client, logger: LogRecorder().logger, sleep: { _ in })
        var cursor: String?
        for round in 0..<60 {
            _ = try? await service.connect()
            if let batch = try? await service.poll(cursor: cursor) { cursor = batch.cursor }
            server.post(dm, by: anna, "meddelande \(round)")
            _ = try? await service.send(OutgoingMessage(txnID: "t\(round)", room: RoomID(dm), body: "svar", inReplyTo: "p\(round)"))
            _ = try? await service.openDirectRoom(with: UserID(anna))
            _ = try? await service.fetchEvent("post0000000000000000000001", in: RoomID(dm))
        }
        _ = try? await service.skipPast(cursor: cursor)
    }
}
