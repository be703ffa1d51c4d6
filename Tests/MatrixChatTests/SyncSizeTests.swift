import Chat
import CurlHTTP
import Foundation
import SkavTesting
import Testing

@testable import MatrixChat

/// A `/sync` answer that cannot be taken whole never stalls the stream.
@Suite("Matrix sync: answers too large or too deep")
struct SyncSizeTests {
    private func timelineLimit(_ request: HTTPRequest) throws -> JSON? {
        try JSON.parse(Data(try #require(request.query["filter"]).utf8))["room"]?["timeline"]?["limit"]
    }

    private static let tooLarge = ScriptedHTTPClient.Reply.failure(HTTPError(.responseTooLarge, "over the cap"))

    @Test("too large: asked again with 10 events per room, then 1, and the gap is filled page by page")
    func tooLargeShrinksTheTimeline() async throws {
        let h = try await connected(sync: [
            Self.tooLarge, Self.tooLarge, .json(200, "sync_limited"), .json(200, "messages_gap_page1"),
            .json(200, "messages_gap_page2"), .json(200, "messages_gap_end"),
        ])
        let batch = try await h.service.poll(cursor: "s79999_1")
        #expect(batch.cursor == "s80000_1")
        #expect(batch.events.map(\.id) == ["$gap1", "$gap3", "$t1"], "nothing is lost: the gap filling brings the rest")
        let syncs = h.sync.requests.filter { $0.path == "/sync" }
        #expect(try syncs.map { try timelineLimit($0) } == [50, 10, 1])
        #expect(syncs.allSatisfy { $0.query["since"] == "s79999_1" }, "the cursor never moves past what was not read")
        #expect(h.logs.all.contains { $0.contains("too large") })
    }

    @Test("the smaller limit is kept for a while, then the configured one is tried again")
    func theSmallerLimitIsKeptForAWhile() async throws {
        let empty = ScriptedHTTPClient.Reply.raw(200, #"{"next_batch":"s2"}"#)
        let h = try await connected(sync: [Self.tooLarge] + Array(repeating: empty, count: MatrixChatService.reducedLimitPolls + 1))
        for _ in 0...MatrixChatService.reducedLimitPolls { _ = try await h.service.poll(cursor: "s1") }
        let limits = try h.sync.requests.filter { $0.path == "/sync" }.map { try timelineLimit($0) }
        #expect(limits.first == 50)
        #expect(limits.dropFirst().prefix(MatrixChatService.reducedLimitPolls).allSatisfy { $0 == 10 })
        #expect(limits.last == 50)
    }

    @Test("too large even with one event per room: a clear error, the cursor unchanged")
    func tooLargeAtTheSmallestLimit() async throws {
        let h = try await connected(sync: [Self.tooLarge, Self.tooLarge, Self.tooLarge, Self.tooLarge])
        let first = await #expect(throws: ChatError.self) { try await h.service.poll(cursor: "s1") }
        #expect(first?.code == .tooLarge)
        // The next poll starts at the smallest limit instead of walking the ladder again.
        let second = await #expect(throws: ChatError.self) { try await h.service.poll(cursor: "s1") }
        #expect(second?.code == .tooLarge)
        let limits = try h.sync.requests.filter { $0.path == "/sync" }.map { try timelineLimit($0) }
        #expect(limits == [50, 10, 1, 1])
        #expect(h.sync.requests.allSatisfy { $0.query["since"] == "s1" })
    }

    @Test("an invite whose content nests 600 levels deep does not stop the messages beside it")
    func deepInviteDoesNotStallTheStream() async throws {
        var deep = "\"bottom\""
        for _ in 0..<600 { deep = "{\"x\":" + deep + "}" }
        let body = """
            {"next_batch":"s2","rooms":{
              "invite":{"!deep:example.org":{"invite_state":{"events":[
                {"type":"m.room.member","state_key":"@skav:example.org","sender":"@mallory:example.org",
                 "content":{"membership":"invite","is_direct":true,"nested":\(deep)}}]}}},
              "join":{"!dm:example.org":{"summary":{"m.joined_member_count":2},"timeline":{"events":[
                {"type":"m.room.message","event_id":"$hello","sender":"@anna:example.org","origin_server_ts":1700000000000,
                 "content":{"msgtype":"m.text","body":"Hej"}}],"limited":false}}}}}
            """
        #expect(throws: (any Error).self) { _ = try JSONDecoder().decode(JSON.self, from: Data(body.utf8)) }
        let h = try await connected(sync: [.raw(200, body)])
        let batch = try await h.service.poll(cursor: "s1")
        #expect(batch.cursor == "s2")
        #expect(batch.events.contains { $0.id == "$hello" }, "the message beside the deep invite is delivered")
    }

    @Test("depth limiting keeps shallow documents byte for byte and replaces only what is too deep")
    func depthLimiting() throws {
        let shallow = Data(#"{"a":[1,{"b":"[[[{{{"}],"c":"\"]"}"#.utf8)
        #expect(JSON.limitingDepth(shallow, maxDepth: 3) == nil)
        let deep = Data(#"{"a":[[["x",{"y":1}]]],"b":"}}]]","c":2}"#.utf8)
        let limited = try #require(JSON.limitingDepth(deep, maxDepth: 3))
        #expect(String(decoding: limited, as: UTF8.self) == #"{"a":[[null]],"b":"}}]]","c":2}"#)
        #expect(try JSON.parse(deep)["c"] == 2)
        var huge = Data(repeating: UInt8(ascii: "["), count: 100_000)
        huge.append(Data(repeating: UInt8(ascii: "]"), count: 100_000))
        #expect(try JSON.parse(huge).array?.count == 1, "100,000 levels: parsed, the deep part dropped, no recursion")
    }
}
