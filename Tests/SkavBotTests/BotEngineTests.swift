import Chat
import Conversation
import Foundation
import Intake
import Logging
import SkavTesting
import Testing
import Prompts
import Store

@testable import SkavBot

/// The engine and the sender together, against the fake server: what a person would see.
@Suite struct BotEngineTests {
    let room = Cast.annaRoom
    let start = EngineHarness.start

    /// The bot of these tests: people of `allowed`, two units, Swedish; one send at a time.
    func harness(allowed: [String] = ["kommun.se"], units: [String] = ["Socialtjänst", "Skola"]) throws -> EngineHarness {
        try EngineHarness(
            ConversationConfig(units: units, themes: [], defaultLanguage: .sv), allowedDomains: allowed, parallelSends: 1)
    }

    func invite(_ id: String = "$invite", from user: UserID? = nil, room: RoomID? = nil, direct: Bool = true, encrypted: Bool = false)
        -> ChatEvent
    {
        ChatEvent(
            id: id, room: room ?? self.room, sender: user ?? Cast.anna, kind: .invite(isDirect: direct, encrypted: encrypted),
            timestamp: start)
    }

    func message(_ id: String, _ text: String, from user: UserID? = nil, room: RoomID? = nil) -> ChatEvent {
        ChatEvent(id: id, room: room ?? self.room, sender: user ?? Cast.anna, kind: .message(text: text), timestamp: start)
    }

    @Test func aDirectInviteIsJoinedAndAMessageAnswered() async throws {
        let h = try harness()
        try h.engine.process(ChatBatch(events: [invite()], cursor: "s1"), now: start)
        try await h.sender().drain()
        #expect(h.chat.state.withLock { $0.joined } == [room])
        #expect(try h.engine.cursor() == "s1")

        try h.engine.process(ChatBatch(events: [message("$m1", "Det tar för lång tid att boka tolk.")], cursor: "s2"), now: start)
        try await h.sender().drain()
        #expect(h.chat.sent.count == 2, "greeting, then the draft and the first question")
        #expect(h.chat.sent.allSatisfy { $0.room == room })
        #expect(h.chat.sentTexts[1].contains("#1"))
        let idea = try #require(try await h.store.read { try $0.idea(number: 1) })
        #expect(idea.stage == .utkast)
        #expect(idea.problem == "Det tar för lång tid att boka tolk.")
        #expect(try h.engine.cursor() == "s2")
    }

    @Test func aReplayedBatchChangesNothingAndSendsNothingTwice() async throws {
        let h = try harness()
        let batch = ChatBatch(events: [invite(), message("$m1", "Skrivaren på plan 3 är alltid trasig")], cursor: "s1")
        let first = try h.engine.process(batch, now: start)
        try await h.sender().drain()
        let again = try h.engine.process(batch, now: start)
        try await h.sender().drain()
        #expect(first.handled == 2)
        #expect(again.duplicates == 2 && again.outboxAdded == 0)
        #expect(h.chat.sent.count == 2)
        #expect(try await h.store.read { try $0.nextIdeaNumber() } == 2)
    }

    @Test func aCrashBetweenCommitAndSendLosesNothing() async throws {
        let h = try harness()
        try h.engine.process(ChatBatch(events: [invite(), message("$m1", "Vi dubbeldokumenterar allt")], cursor: "s1"), now: start)
        // The process dies here: committed, nothing sent. A new sender after the restart:
        #expect(h.chat.sent.isEmpty)
        try await h.sender().drain()
        #expect(h.chat.sent.count == 2)
        #expect(try await h.store.read { try $0.unsentOutboxCount() } == 0)
    }

    @Test func aCrashAfterSendBeforeMarkingSentDoesNotDoubleTheReply() async throws {
        let h = try harness()
        try h.engine.process(ChatBatch(events: [invite(), message("$m1", "Vi dubbeldokumenterar allt")], cursor: "s1"), now: start)
        // Simulate the crash: the server got the messages, the outbox did not learn it.
        for entry in try await h.store.read({ try $0.unsentOutbox() }) where entry.kind == .message {
            _ = try await h.chat.send(
                OutgoingMessage(txnID: entry.txnID, room: try #require(entry.roomID), body: entry.body, style: entry.style))
        }
        try await h.sender().drain()
        #expect(h.chat.sent.count == 2, "re-sent with the same transaction ids, so the server kept one of each")
        #expect(h.chat.state.withLock { $0.sendCalls } == 4)
    }

    @Test func aTransientFailureIsRetriedLaterAndKeepsTheOrderInItsRoom() async throws {
        let h = try harness()
        try h.engine.process(ChatBatch(events: [invite(), message("$m1", "Lunchrummet är för litet")], cursor: "s1"), now: start)
        h.chat.failNextSends([ChatError(.transient, "502 bad gateway")])
        let clock = start
        let retryAt = try await OutboxSender(
            store: h.store, chat: h.chat, wake: WakeSignal(), logger: h.logger, now: { clock }
        ).drain()
        #expect(h.chat.sent.isEmpty, "the second reply must not overtake the first")
        let retry = try #require(retryAt)
        #expect(retry > start && retry <= start.addingTimeInterval(1), "the first retry comes after 0.5–1 s")
        // Not yet: still nothing.
        try await OutboxSender(store: h.store, chat: h.chat, wake: WakeSignal(), logger: h.logger, now: { clock }).drain()
        #expect(h.chat.sent.isEmpty)
        // Later: everything goes, in order.
        let later = OutboxSender(
            store: h.store, chat: h.chat, wake: WakeSignal(), logger: h.logger, now: { retry.addingTimeInterval(1) })
        try await later.drain()
        #expect(h.chat.sent.count == 2)
        #expect(h.chat.sentTexts[1].contains("#1"))
    }

    @Test func aPermanentRefusalIsGivenUpAndOtherRoomsStillGetTheirReplies() async throws {
        let h = try harness()
        let bertil = UserID("@bertil:kommun.se")
        let bertilsRoom = RoomID("!dm-bertil:kommun.se")
        try h.engine.process(
            ChatBatch(
                events: [
                    invite(), invite("$invite2", from: bertil, room: bertilsRoom),
                    message("$m1", "Idé ett", from: Cast.anna), message("$m2", "Idé två", from: bertil, room: bertilsRoom),
                ], cursor: "s1"), now: start)
        h.chat.failNextSends([ChatError(.forbidden, "not in room", serverCode: "M_FORBIDDEN")])
        try await h.sender().drain()
        // Anna's first reply was refused for good; her room waits no longer for it, Bertil's got both.
        #expect(h.chat.sent.filter { $0.room == bertilsRoom }.count == 2)
        try await h.sender().drain()
        #expect(h.chat.sent.filter { $0.room == room }.count == 1)
        #expect(try await h.store.read { try $0.unsentOutboxCount() } == 0)
        let failed = try await h.store.read { try $0.allOutbox() }.filter { $0.failedAt != nil }
        #expect(failed.count == 1 && failed[0].lastError?.contains("forbidden") == true)
    }

    @Test func strangersAreDeclinedAndIgnored() async throws {
        let h = try harness()
        let mallory = UserID("@mallory:evil.example")
        let malloryRoom = RoomID("!m:evil.example")
        try h.engine.process(
            ChatBatch(
                events: [invite("$i", from: mallory, room: malloryRoom), message("$m", "hej", from: mallory, room: malloryRoom)],
                cursor: "s1"), now: start)
        try await h.sender().drain()
        #expect(h.chat.state.withLock { $0.left } == [malloryRoom])
        #expect(h.chat.state.withLock { $0.joined }.isEmpty)
        #expect(h.chat.sent.isEmpty)
        #expect(try await h.store.read { try $0.person(mallory) } == nil)
    }

    @Test func aGroupRoomInviteGetsANoticeAndIsLeft() async throws {
        let h = try harness()
        let group = RoomID("!group:kommun.se")
        try h.engine.process(ChatBatch(events: [invite("$i", room: group, direct: false)], cursor: "s1"), now: start)
        try await h.sender().drain()
        #expect(h.chat.state.withLock { $0.joined } == [group])
        #expect(h.chat.state.withLock { $0.left } == [group])
        #expect(h.chat.sent.count == 1 && h.chat.sent[0].style == .notice)
        // Messages there are not conversations.
        try h.engine.process(ChatBatch(events: [message("$m", "hej", room: group)], cursor: "s2"), now: start)
        try await h.sender().drain()
        #expect(h.chat.sent.count == 1)
    }

    @Test func anEncryptedRoomIsToldOnceAndAPlainDirectChatIsOpened() async throws {
        let h = try harness()
        let secret = RoomID("!e2e:kommun.se")
        let unreadable = { (id: String) in
            ChatEvent(id: id, room: secret, sender: Cast.anna, kind: .unreadable, timestamp: self.start)
        }
        try h.engine.process(
            ChatBatch(events: [invite("$i", room: secret, encrypted: true), unreadable("$e1"), unreadable("$e2")], cursor: "s1"),
            now: start)
        try await h.sender().drain()
        #expect(h.chat.state.withLock { $0.joined } == [secret])
        #expect(h.chat.state.withLock { $0.opened } == [Cast.anna], "an unencrypted direct chat is opened")
        #expect(h.chat.state.withLock { $0.left } == [secret], "the encrypted room is left")
        let plain = RoomID("!dm-\(Cast.anna.rawValue)")
        // Told once in the encrypted room, and welcomed in the new one (rooms are served in parallel: the
        // order between the two rooms is not fixed, the order within each is).
        let rooms: Set<RoomID> = Set(h.chat.sent.map(\.room))
        #expect(h.chat.sent.count == 2)
        #expect(rooms == [plain, secret])
        #expect(h.chat.sent.first { $0.room == secret }?.style == .notice)
        #expect(try await h.store.read { try $0.directRoomOwner(plain) } == Cast.anna)
        // The conversation goes on in the new room.
        try h.engine.process(ChatBatch(events: [message("$m", "Skrivaren är trasig", room: plain)], cursor: "s2"), now: start)
        try await h.sender().drain()
        #expect(h.chat.sentTexts.last?.contains("#1") == true)
    }

    @Test func aFloodGetsOneCalmNoticeThenSilenceUntilThePaceDrops() async throws {
        let h = try harness()
        let engine = h.engine(
            EngineHarness.settings(
                ConversationConfig(units: [], themes: [], defaultLanguage: .sv),
                flood: FloodGate.Limit(maxMessages: 4, window: 60)))
        try engine.process(ChatBatch(events: [invite()], cursor: "s0"), now: start)
        var outcomes: [BatchOutcome] = []
        for index in 0..<8 {
            let at = start.addingTimeInterval(Double(index))
            var flood = message("$f\(index)", "hoppa")
            flood.timestamp = at
            outcomes.append(try engine.process(ChatBatch(events: [flood], cursor: "s\(index + 1)"), now: at))
        }
        try await h.sender().drain()
        #expect(outcomes.prefix(4).allSatisfy { $0.handled == 1 && $0.outboxAdded > 0 }, "the first four are answered")
        #expect(outcomes[4].outboxAdded == 1, "the fifth gets the one notice")
        #expect(outcomes.suffix(3).allSatisfy { $0.ignored == 1 && $0.outboxAdded == 0 }, "then silence")
        let notices = h.chat.sent.filter { $0.body == testPrompts.text(.botRateLimited, .sv) }
        #expect(notices.count == 1)
        // A minute later the pace has dropped: answered again.
        var calm = message("$later", "hjälp")
        calm.timestamp = start.addingTimeInterval(120)
        let later = try engine.process(ChatBatch(events: [calm], cursor: "s9"), now: start.addingTimeInterval(120))
        #expect(later.handled == 1 && later.outboxAdded > 0)
    }

    @Test func theBotNeverAnswersItself() async throws {
        let h = try harness()
        try h.engine.process(
            ChatBatch(events: [invite(), message("$m", "hej", from: "@skav:kommun.se")], cursor: "s1"), now: start)
        try await h.sender().drain()
        #expect(h.chat.sent.isEmpty)
    }

    @Test func aWholeCaptureThroughTheEngine() async throws {
        let h = try harness()
        var events = [invite()]
        for (index, text) in ["Tolkbokningen tar en vecka", "1", "hoppa", "skicka", "2"].enumerated() {
            events.append(message("$m\(index)", text))
        }
        // Delivered one event per batch, as a person types.
        for (index, event) in events.enumerated() {
            try h.engine.process(ChatBatch(events: [event], cursor: "s\(index)"), now: start)
            try await h.sender().drain()
        }
        let idea = try #require(try await h.store.read { try $0.idea(number: 1) })
        #expect(idea.stage == .inkommen)
        #expect(idea.benefits == "residents")
        #expect(idea.solution == nil)
        #expect(idea.unit == "Skola")
        #expect(h.chat.sentTexts.last?.contains("#1") == true)
        #expect(try await h.store.read { try $0.person(Cast.anna)?.unit } == "Skola")
        let history = try await h.store.read { try $0.events(ofIdea: 1) }.map(\.kind)
        #expect(history.first == .created && history.last == .submitted)
    }
}
