import Chat
import Conversation
import Foundation
import Intake
import Logging
import Synchronization
import SkavTesting
import Testing
import Prompts
import Store

@testable import SkavBot

/// Issue 11: the public-records notice before the first word, direct chats that are really direct, the flood
/// gate after downtime, and room creation that survives a lost answer.
@Suite struct RoomSafetyTests {
    let room = Cast.annaRoom
    let start = EngineHarness.start
    var prompts: PromptCatalog { testPrompts }

    /// The bot of these tests: one unit, Swedish, Ia the coordinator; the flood limit and rooms as given.
    func harness(flood: FloodGate.Limit = FloodGate.Limit(), sharedRoom: RoomID? = nil, coordinatorsRoom: RoomID? = nil)
        throws -> EngineHarness
    {
        try EngineHarness(
            ConversationConfig(
                units: ["Socialtjänst"], themes: [], defaultLanguage: .sv, roles: Roles(coordinators: ["@ia:kommun.se"])),
            flood: flood, sharedRoom: sharedRoom, coordinatorsRoom: coordinatorsRoom)
    }

    func invite(_ id: String = "$invite", room: RoomID? = nil, direct: Bool = true) -> ChatEvent {
        ChatEvent(
            id: id, room: room ?? self.room, sender: Cast.anna, kind: .invite(isDirect: direct, encrypted: false),
            timestamp: start)
    }

    func message(_ id: String, _ text: String, from user: UserID? = nil, room: RoomID? = nil, at: Date? = nil) -> ChatEvent {
        ChatEvent(id: id, room: room ?? self.room, sender: user ?? Cast.anna, kind: .message(text: text), timestamp: at ?? start)
    }

    // MARK: 3. The flood gate counts by the server's time

    @Test func messagesQueuedDuringDowntimeAreAllAnswered() async throws {
        let h = try harness()
        try h.engine.process(ChatBatch(events: [invite()], cursor: "s0"), now: start)
        // Thirty messages written over an hour while the bot was down, handled in one batch an hour later.
        let events = (0..<30).map { message("$q\($0)", "hjälp", at: start.addingTimeInterval(Double($0) * 120)) }
        let outcome = try h.engine.process(ChatBatch(events: events, cursor: "s1"), now: start.addingTimeInterval(3 * 3600))
        #expect(outcome.handled == 30 && outcome.ignored == 0, "\(outcome)")
        try await h.drain()
        #expect(h.chat.sentTexts.filter { $0 == prompts.text(.botRateLimited, .sv).plainText }.isEmpty, "no flood notice")
    }

    @Test func aRealFloodInOneBatchGetsOneNoticeThenSilence() async throws {
        let h = try harness()
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

    // MARK: 1. The public-records notice before the first word

    func members(_ id: String, joined: Int, invited: Int = 0, _ others: [UserID], room: RoomID? = nil, by: UserID = "@skav:kommun.se")
        -> ChatEvent
    {
        ChatEvent(
            id: id, room: room ?? self.room, sender: by,
            kind: .membership(RoomMembership(joined: joined, invited: invited, others: others)), timestamp: start)
    }

    var publicRecords: String { prompts.text(.publicRecords, .sv).plainText }

    @Test func joiningADirectChatGreetsWithThePublicRecordsNoticeBeforeTheFirstWord() async throws {
        let h = try harness()
        try h.engine.process(ChatBatch(events: [invite(), members("$j", joined: 2, [Cast.anna])], cursor: "s1"), now: start)
        try await h.drain()
        #expect(h.chat.sent.count == 1)
        #expect(h.chat.sent.first?.room == room)
        #expect(h.chat.sentTexts.first?.contains(publicRecords) == true, "the greeting carries the notice")
        // The first message: no second greeting.
        try h.engine.process(ChatBatch(events: [message("$m1", "Skrivaren på plan 3 krånglar")], cursor: "s2"), now: start)
        try await h.drain()
        #expect(h.chat.sent.count == 2)
        #expect(h.chat.sentTexts.filter { $0.contains(publicRecords) }.count == 1, "greeted once")
        #expect(h.chat.sentTexts.last?.contains("#1") == true)
        // A second direct chat of the same person: no greeting either (once per person).
        let again = RoomID("!again:kommun.se")
        try h.engine.process(
            ChatBatch(events: [invite("$i2", room: again), members("$j2", joined: 2, [Cast.anna], room: again)], cursor: "s3"), now: start)
        try await h.drain()
        #expect(h.chat.sent.count == 2)
    }

    /// Anna's invite to a direct chat, the two of them in it, and her first message (batch `s1`).
    func annaWritesInHerDirectChat(_ h: EngineHarness) throws {
        try h.engine.process(
            ChatBatch(events: [invite(), members("$j", joined: 2, [Cast.anna]), message("$m1", "Tolkbokningen tar en vecka")], cursor: "s1"),
            now: start)
    }

    @Test func theGreetingComesOnceEvenWhenTheFirstMessageIsInTheJoinBatch() async throws {
        let h = try harness()
        // The person wrote before the bot joined: the members come first in the batch, then the message.
        try annaWritesInHerDirectChat(h)
        try await h.drain()
        #expect(h.chat.sentTexts.filter { $0.contains(publicRecords) }.count == 1)
        #expect(h.chat.sentTexts.last?.contains("#1") == true)
    }

    // MARK: 2. A direct chat holds the person and the bot, nobody else

    @Test func aDirectInviteToARoomWithOthersIsNoDirectChat() async throws {
        let h = try harness()
        let bertil = UserID("@bertil:kommun.se")
        try h.engine.process(ChatBatch(events: [invite(), members("$j", joined: 3, [Cast.anna, bertil])], cursor: "s1"), now: start)
        try await h.drain()
        #expect(h.chat.sentTexts == [prompts.text(.botNotDirect, .sv).plainText], "one notice, no greeting")
        #expect(h.chat.state.withLock { $0.left } == [room])
        #expect(try await h.store.read { try $0.directRoomOwner(self.room) } == nil)
        // Bertil's message there is not answered; Anna's is, in a direct chat of her own.
        try h.engine.process(
            ChatBatch(events: [message("$b", "hej", from: bertil), message("$a", "Skrivaren krånglar")], cursor: "s2"), now: start)
        try await h.drain()
        #expect(h.chat.sent.dropFirst().allSatisfy { $0.room == RoomID("!dm-@anna:kommun.se") })
        #expect(h.chat.state.withLock { $0.opened } == [Cast.anna])
        #expect(h.chat.sentTexts.last?.contains("#1") == true)
    }

    @Test func aThirdPersonJoiningEndsTheDirectChatWithOneNotice() async throws {
        let h = try harness()
        let cecilia = UserID("@cecilia:kommun.se")
        try annaWritesInHerDirectChat(h)
        try await h.drain()
        let before = h.chat.sent.count
        // Anna invites Cecilia, Cecilia joins, leaves again: one notice in the room, then nothing more there.
        try h.engine.process(
            ChatBatch(
                events: [
                    members("$c1", joined: 2, invited: 1, [Cast.anna, cecilia], by: Cast.anna),
                    members("$c2", joined: 3, [Cast.anna, cecilia], by: cecilia),
                    members("$c3", joined: 2, [Cast.anna], by: cecilia),
                ], cursor: "s2"), now: start)
        try await h.drain()
        #expect(h.chat.sentTexts.dropFirst(before) == [prompts.text(.botRoomShared, .sv).plainText])
        #expect(h.chat.sent.last?.room == room && h.chat.sent.last?.style == .notice)
        #expect(h.chat.state.withLock { $0.left }.isEmpty, "the bot stays, silent")
        // Anna writes in the old room again: the answer comes in a fresh direct chat; Cecilia gets nothing.
        try h.engine.process(
            ChatBatch(events: [message("$c", "hej", from: cecilia), message("$m2", "hoppa")], cursor: "s3"), now: start)
        try await h.drain()
        let after = h.chat.sent.dropFirst(before + 1)
        #expect(!after.isEmpty && after.allSatisfy { $0.room == RoomID("!dm-@anna:kommun.se") })
        #expect(try await h.store.read { try $0.directRoom(of: Cast.anna) } == RoomID("!dm-@anna:kommun.se"))
    }

    @Test func repliesWaitingForTheRoomGoToTheFreshDirectChat() async throws {
        let h = try harness()
        let cecilia = UserID("@cecilia:kommun.se")
        try annaWritesInHerDirectChat(h)
        // Not sent yet when Cecilia joins.
        try h.engine.process(ChatBatch(events: [members("$c2", joined: 3, [Cast.anna, cecilia], by: cecilia)], cursor: "s2"), now: start)
        try await h.drain()
        let inRoom = h.chat.sent.filter { $0.room == room }.map(\.body.plainText)
        #expect(inRoom == [prompts.text(.botRoomShared, .sv).plainText])
        #expect(h.chat.sentTexts.contains { $0.contains(publicRecords) }, "the greeting went to the fresh direct chat")
    }

    /// A message for Anna queued while her direct chat was known (a notice, an announcement) is bound to that
    /// chat; when the chat stops being hers alone it goes to a fresh one, to her, like a waiting reply.
    @Test func aNoticeQueuedForADirectChatThatBecomesSharedGoesToTheFreshOne() async throws {
        let h = try harness()
        let cecilia = UserID("@cecilia:kommun.se")
        try annaWritesInHerDirectChat(h)
        try await h.drain()
        try await h.store.write { tx in
            var outbox = OutboxWriter(tx: tx, eventID: "$guide", room: nil, now: self.start)
            try outbox.add(RichText(plain: "Din idé #1 bedöms nu."), to: Cast.anna)
        }
        let queued = try #require(try await h.store.read { try $0.outboxEntry(txnID: "$guide.0") })
        #expect(queued.roomID == room && queued.recipient == Cast.anna, "queued for her known chat")
        // Cecilia joins before it is sent.
        try h.engine.process(ChatBatch(events: [members("$c2", joined: 3, [Cast.anna, cecilia], by: cecilia)], cursor: "s2"), now: start)
        try await h.drain()
        let notice = try #require(h.chat.sent.first { $0.txnID == "$guide.0" })
        #expect(notice.room == RoomID("!dm-@anna:kommun.se"), "sent in Anna's fresh direct chat, not the shared room")
        #expect(h.chat.sent.filter { $0.room == room }.map(\.body.plainText).last == prompts.text(.botRoomShared, .sv).plainText)
    }

    /// The same when Anna's direct chat turns out to be encrypted: what waits for it goes to the plain chat
    /// the bot opens, and the encrypted room gets only the one notice, in plain text.
    @Test func aNoticeQueuedForADirectChatThatTurnsEncryptedGoesToThePlainOne() async throws {
        let h = try harness()
        try annaWritesInHerDirectChat(h)
        try await h.drain()
        let before = h.chat.sent.count
        try await h.store.write { tx in
            var outbox = OutboxWriter(tx: tx, eventID: "$guide", room: nil, now: self.start)
            try outbox.add(RichText(plain: "Din idé #1 bedöms nu."), to: Cast.anna)
        }
        let encrypted = ChatEvent(id: "$e1", room: room, sender: Cast.anna, kind: .unreadable, timestamp: start)
        try h.engine.process(ChatBatch(events: [encrypted], cursor: "s2"), now: start)
        try await h.drain()
        let plain = RoomID("!dm-@anna:kommun.se")
        #expect(h.chat.sent.first { $0.txnID == "$guide.0" }?.room == plain)
        let inOldRoom = h.chat.sent.dropFirst(before).filter { $0.room == room }
        #expect(inOldRoom.map(\.body.plainText) == [prompts.text(.botEncryptedRoom, .sv).plainText], "\(inOldRoom.map(\.txnID))")
        #expect(h.chat.state.withLock { $0.left } == [room])
    }

    @Test func aConfiguredRoomIsNeverADirectChatWhateverTheInviteSays() async throws {
        let coordinators = RoomID("!coordinators:kommun.se")
        let h = try harness(coordinatorsRoom: coordinators)
        let ia = Cast.ia
        let invite = ChatEvent(
            id: "$ci", room: coordinators, sender: ia, kind: .invite(isDirect: true, encrypted: false), timestamp: start)
        try h.engine.process(
            ChatBatch(events: [invite, members("$cj", joined: 2, [ia], room: coordinators), message("$cm", "hej", from: ia, room: coordinators)], cursor: "s1"),
            now: start)
        try await h.drain()
        #expect(h.chat.sent.isEmpty, "joined without a word; no greeting, no answer")
        #expect(try await h.store.read { try $0.directRoomOwner(coordinators) } == nil)
    }
}

/// A chat server whose room creation is not idempotent (as Matrix's): each creation makes a room and
/// invites the person; `loseAnswers` creations are applied but their answer is lost. It finds a room
/// by its creation token as the Matrix adapter does.
final class RoomMakingChat: ChatService {
    struct Room: Equatable {
        var id: RoomID
        var invited: UserID
        var token: String?
    }
    struct State {
        var rooms: [Room] = []
        var loseAnswers = 0
        var sent: [OutgoingMessage] = []
    }
    let kind = ChatKind.matrix
    let capabilities = ChatCapabilities(maxMessageBytes: 60_000, markup: .html)
    let state = Mutex(State())

    func connect() async throws -> UserID { "@skav:kommun.se" }
    func poll(cursor: String?) async throws -> ChatBatch { throw CancellationError() }
    func send(_ message: OutgoingMessage) async throws -> SentMessage {
        state.withLock { $0.sent.append(message) }
        return SentMessage(remoteID: "$\(message.txnID)")
    }
    func join(_ room: RoomID) async throws {}
    func leave(_ room: RoomID) async throws {}
    func openDirectRoom(with user: UserID) async throws -> RoomID { try create(for: user, token: nil) }
    func openDirectRoom(with user: UserID, creation: RoomCreation) async throws -> RoomID {
        if creation.attemptedBefore, let room = state.withLock({ $0.rooms.first { $0.token == creation.token } }) {
            return room.id
        }
        return try create(for: user, token: creation.token)
    }
    private func create(for user: UserID, token: String?) throws -> RoomID {
        try state.withLock { state in
            let room = Room(id: RoomID("!room\(state.rooms.count + 1):kommun.se"), invited: user, token: token)
            state.rooms.append(room)
            if state.loseAnswers > 0 {
                state.loseAnswers -= 1
                throw ChatError(.transient, "the answer was lost")
            }
            return room.id
        }
    }
}

extension RoomSafetyTests {
    // MARK: 9. Room creation survives a lost answer

    @Test func aLostCreateRoomAnswerYieldsOneRoomAndOneInvite() async throws {
        let store = try IntakeStore()
        let chat = RoomMakingChat()
        chat.state.withLock { $0.loseAnswers = 1 }
        try await store.write { tx in
            _ = try tx.enqueue(
                OutboxEntry(
                    txnID: "t1", roomID: nil, recipient: Cast.anna, body: RichText(plain: "Hej Anna"), createdAt: start))
        }
        let clock = Mutex(start)
        func sender() -> OutboxSender {
            // A new sender each time, as after a restart: only the database carries over.
            OutboxSender(store: store, chat: chat, wake: WakeSignal(), logger: quietLogger, now: { clock.withLock { $0 } })
        }
        try await sender().drain()
        #expect(chat.state.withLock { $0.sent }.isEmpty, "the first attempt failed")
        clock.withLock { $0 = $0.addingTimeInterval(600) }
        try await sender().drain()
        let rooms = chat.state.withLock { $0.rooms }
        #expect(rooms.count == 1, "one room, one invite: \(rooms.map(\.id))")
        #expect(chat.state.withLock { $0.sent }.map(\.room) == [RoomID("!room1:kommun.se")])
        #expect(try await store.read { try $0.directRoom(of: Cast.anna) } == RoomID("!room1:kommun.se"))
        // Stored: the next message needs no creation.
        try await store.write { tx in
            _ = try tx.enqueue(OutboxEntry(txnID: "t2", roomID: nil, recipient: Cast.anna, body: RichText(plain: "Igen"), createdAt: start))
        }
        try await sender().drain()
        #expect(chat.state.withLock { $0.rooms.count } == 1)
    }
}
