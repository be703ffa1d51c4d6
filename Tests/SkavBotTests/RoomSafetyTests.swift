import Chat
import Conversation
import Foundation
import Intake
import Logging
import Testing

@testable import SkavBot

/// Issue 11: the public-records notice before the first word, direct chats that are really direct, the flood
/// gate after downtime, and room creation that survives a lost answer.
@Suite struct RoomSafetyTests {
    let anna = UserID("@anna:kommun.se")
    let room = RoomID("!dm-anna:kommun.se")
    let start = Date(timeIntervalSince1970: 1_790_000_000)
    var prompts: PromptCatalog { BotEngineTests.prompts }

    struct Harness {
        let store: IntakeStore
        let engine: BotEngine
        let chat = FakeChat()

        init(flood: FloodGate.Limit = FloodGate.Limit(), sharedRoom: RoomID? = nil, coordinatorsRoom: RoomID? = nil) throws {
            store = try IntakeStore()
            engine = BotEngine(
                store: store, prompts: BotEngineTests.prompts,
                settings: BotSettings(
                    botUser: "@skav:kommun.se", allowedDomains: ["kommun.se"],
                    conversation: ConversationConfig(
                        units: ["Socialtjänst"], challenges: [], defaultLanguage: .sv,
                        roles: Roles(coordinators: ["@ia:kommun.se"])),
                    cursorKey: "matrix.cursor", flood: flood, sharedRoom: sharedRoom, coordinatorsRoom: coordinatorsRoom),
                logger: quietLogger)
        }

        func drain() async throws {
            try await OutboxSender(store: store, chat: chat, wake: WakeSignal(), logger: quietLogger).drain()
        }
    }

    func invite(_ id: String = "$invite", room: RoomID? = nil, direct: Bool = true) -> ChatEvent {
        ChatEvent(
            id: id, room: room ?? self.room, sender: anna, kind: .invite(isDirect: direct, encrypted: false),
            timestamp: start)
    }

    func message(_ id: String, _ text: String, from user: UserID? = nil, room: RoomID? = nil, at: Date? = nil) -> ChatEvent {
        ChatEvent(id: id, room: room ?? self.room, sender: user ?? anna, kind: .message(text: text), timestamp: at ?? start)
    }

    // MARK: 3. The flood gate counts by the server's time

    @Test func messagesQueuedDuringDowntimeAreAllAnswered() async throws {
        let h = try Harness()
        try h.engine.process(ChatBatch(events: [invite()], cursor: "s0"), now: start)
        // Thirty messages written over an hour while the bot was down, handled in one batch an hour later.
        let events = (0..<30).map { message("$q\($0)", "hjälp", at: start.addingTimeInterval(Double($0) * 120)) }
        let outcome = try h.engine.process(ChatBatch(events: events, cursor: "s1"), now: start.addingTimeInterval(3 * 3600))
        #expect(outcome.handled == 30 && outcome.ignored == 0, "\(outcome)")
        try await h.drain()
        #expect(h.chat.sentTexts.filter { $0 == prompts.text(.botRateLimited, .sv).plainText }.isEmpty, "no flood notice")
    }

    @Test func aRealFloodInOneBatchGetsOneNoticeThenSilence() async throws {
        let h = try Harness()
        try h.engine.process(ChatBatch(events: [invite()], cursor: "s0"), now: start)
        let events = (0..<30).map { message("$f\($0)", "hjälp", at: start.addingTimeInterval(Double($0) / 10)) }
        let outcome = try h.engine.process(ChatBatch(events: events, cursor: "s1"), now: start.addingTimeInterval(3600))
        #expect(outcome.handled == 21 && outcome.ignored == 9, "20 answered, one notice, then silence: \(outcome)")
        try await h.drain()
        let notices = h.chat.sentTexts.filter { $0 == prompts.text(.botRateLimited, .sv).plainText }
        #expect(notices.count == 1)
    }

    @Test func anAbsurdServerTimeCountsAsNow() {
        let now = start
        #expect(FloodGate.countedTime(of: now.addingTimeInterval(-30), now: now) == now.addingTimeInterval(-30))
        #expect(FloodGate.countedTime(of: now.addingTimeInterval(86_400 * 365), now: now) == now, "from the future")
        #expect(FloodGate.countedTime(of: Date(timeIntervalSince1970: 0), now: now) == now, "1970")
        #expect(FloodGate.countedTime(of: Date(timeIntervalSince1970: -1e15), now: now) == now)
    }
}
