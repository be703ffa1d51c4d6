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

/// The configured rooms, challenge announcements and replies to them, good examples and the digest on demand,
/// through the engine and the sender against the fake server (issue 5).
@Suite struct ChallengeEngineTests {
    static let shared = RoomID("!shared:kommun.se")
    static let coordinators = RoomID("!coordinators:kommun.se")
    let start = EngineHarness.start  // 2026-09-21

    /// The bot of these tests: one unit, a coordinator, the shared and coordinators' rooms when given; the
    /// on-demand digest says how many ideas there are.
    func harness(sharedRoom: RoomID? = ChallengeEngineTests.shared, coordinatorsRoom: RoomID? = ChallengeEngineTests.coordinators) throws -> EngineHarness {
        try EngineHarness(
            ConversationConfig(
                units: ["Socialtjänst"], roles: Roles(coordinators: [Cast.ia]), sharedRoom: sharedRoom != nil,
                coordinatorsRoom: coordinatorsRoom != nil),
            sharedRoom: sharedRoom, coordinatorsRoom: coordinatorsRoom,
            digest: { tx, _ in
                let count = try tx.ideas(stages: nil, unit: nil).count
                return [RichText(plain: "Sammanfattning: \(count) idéer"), "Del två"]
            })
    }

    func event(_ id: String, _ kind: ChatEvent.Kind, from user: UserID, in room: RoomID, direct: Bool? = true, replyTo: String? = nil)
        -> ChatEvent
    {
        ChatEvent(id: id, room: room, sender: user, kind: kind, timestamp: start, isDirectRoom: direct, inReplyTo: replyTo)
    }

    func say(_ h: EngineHarness, _ id: String, _ text: String, from user: UserID, in room: RoomID, direct: Bool? = true, replyTo: String? = nil)
        async throws
    {
        try h.engine.process(
            ChatBatch(events: [event(id, .message(text: text), from: user, in: room, direct: direct, replyTo: replyTo)], cursor: id),
            now: start)
        try await h.drain()
    }

    /// Invites from `user` to the coordinators' room and the shared room, in one batch.
    func inviteToTheConfiguredRooms(_ h: EngineHarness, from user: UserID, direct: Bool) throws {
        try h.engine.process(
            ChatBatch(
                events: [
                    event("$i1", .invite(isDirect: direct, encrypted: false), from: user, in: Self.coordinators, direct: direct),
                    event("$i2", .invite(isDirect: direct, encrypted: false), from: user, in: Self.shared, direct: direct),
                ], cursor: "s1"), now: start)
    }

    @Test func aCoordinatorsInviteToAConfiguredRoomIsJoinedSilently() async throws {
        let h = try harness()
        try inviteToTheConfiguredRooms(h, from: Cast.ia, direct: false)
        try await h.drain()
        #expect(h.chat.state.withLock { $0.joined } == [Self.coordinators, Self.shared])
        #expect(h.chat.sent.isEmpty, "no notice in the rooms")
    }

    @Test(arguments: [false, true])
    func anInviteToAConfiguredRoomFromSomeoneElseIsDeclinedEvenAsADirectChat(_ direct: Bool) async throws {
        let h = try harness()
        try inviteToTheConfiguredRooms(h, from: Cast.anna, direct: direct)
        try await h.drain()
        #expect(h.chat.state.withLock { $0.joined }.isEmpty)
        #expect(h.chat.state.withLock { $0.left } == [Self.coordinators, Self.shared])
        #expect(try await h.store.read { try $0.directRoomOwner(Self.shared) } == nil)
    }

    @Test func aConfiguredRoomNeverBecomesSomeonesDirectChat() async throws {
        let h = try harness()
        // Ia writes in the shared room while she is alone in it (an adapter would call it direct).
        try await say(h, "$s1", "test", from: Cast.ia, in: Self.shared, direct: true)
        try await say(h, "$s2", "idé 1", from: Cast.ia, in: Self.coordinators, direct: true)
        try h.engine.process(
            ChatBatch(events: [event("$s3", .unreadable, from: Cast.anna, in: Self.shared, direct: false)], cursor: "s3"),
            now: start)
        try await h.drain()
        #expect(h.chat.sent.isEmpty)
        #expect(h.chat.state.withLock { $0.left }.isEmpty, "an encrypted message there does not make the bot leave")
        #expect(try await h.store.read { try $0.directRoomOwner(Self.shared) } == nil)
        #expect(try await h.store.read { try $0.directRoomOwner(Self.coordinators) } == nil)
        #expect(try await h.store.read { try $0.person(Cast.ia) } == nil, "nothing was a conversation")
    }

    @Test func aReplyToTheAnnouncementInTheSharedRoomBecomesAChallengeIdeaInADirectChat() async throws {
        let h = try harness()
        try await say(h, "$c1", "utmaning ny Mindre papper | Vad tar onödigt mycket tid? | 2026-10-30", from: Cast.ia, in: Cast.iaRoom)
        let announcement = try #require(h.messages(in: Self.shared).first)
        #expect(testPrompts.says(announcement.body.plainText, .challengeAnnouncement, .sv, [.title: "Mindre papper"]))
        let remoteID = try #require(try await h.store.read { try $0.outboxEntry(txnID: announcement.txnID)?.remoteID })

        // Anna answers in the shared room, as a reply to the announcement.
        try await say(h, "$a1", "Vi skriver ut allt tre gånger.", from: Cast.anna, in: Self.shared, direct: false, replyTo: remoteID)
        let idea = try #require(try await h.store.read { try $0.idea(number: 1) })
        #expect(idea.campaign == 1)
        #expect(idea.author == Cast.anna)
        // Nothing more in the shared room: the conversation went to Anna's direct chat.
        #expect(h.messages(in: Self.shared).count == 1)
        #expect(h.chat.state.withLock { $0.opened } == [Cast.anna])
        #expect(h.messages(in: RoomID("!dm-\(Cast.anna.rawValue)")).map(\.body.plainText).joined().contains("Mindre papper"))

        // A plain message in the shared room (no reply to an announcement) is not a conversation.
        try await say(h, "$a2", "Hej allihop!", from: Cast.anna, in: Self.shared, direct: false)
        #expect(try await h.store.read { try $0.idea(number: 2) } == nil)
    }

    @Test func followersGetTheAnnouncementByDirectMessageAndAReplyThereCounts() async throws {
        let h = try harness()
        try await say(h, "$x1", "utmaningar på", from: Cast.anna, in: Cast.annaRoom)
        try await say(h, "$c1", "utmaning ny Mindre papper | Vad tar tid? | 2026-10-30", from: Cast.ia, in: Cast.iaRoom)
        let direct = try #require(h.messages(in: Cast.annaRoom).last)
        #expect(testPrompts.says(direct.body.plainText, .challengeAnnouncementDirect, .sv, [.title: "Mindre papper"]))
        let remoteID = try #require(try await h.store.read { try $0.outboxEntry(txnID: direct.txnID)?.remoteID })
        try await say(h, "$a1", "Resor bokas i tre system.", from: Cast.anna, in: Cast.annaRoom, replyTo: remoteID)
        #expect(try await h.store.read { try $0.idea(number: 1)?.campaign } == 1)
    }

    @Test func closingSummarisesInTheCoordinatorsRoomOrByDirectMessage() async throws {
        for room in [Self.coordinators, nil] {
            let h = try harness(coordinatorsRoom: room)
            try await say(h, "$c1", "utmaning ny Mindre papper | Vad tar tid? | 2026-10-30", from: Cast.ia, in: Cast.iaRoom)
            try await say(h, "$c2", "utmaning stäng 1", from: Cast.ia, in: Cast.iaRoom)
            let target = room ?? Cast.iaRoom
            #expect(h.messages(in: target).contains { testPrompts.says($0.body.plainText, .challengeSummaryTitle, .sv, [.challenge: "1", .title: "Mindre papper"]) })
            #expect(try await h.store.read { try $0.campaign(number: 1)?.closedAt } != nil)
        }
    }

    @Test func theDigestOnDemandGoesToTheCoordinatorsRoomAsNotices() async throws {
        let h = try harness()
        try await say(h, "$d1", "sammanfattning", from: Cast.ia, in: Cast.iaRoom)
        let parts = h.messages(in: Self.coordinators)
        #expect(parts.map(\.body.plainText) == ["Sammanfattning: 0 idéer", "Del två"])
        #expect(parts.allSatisfy { $0.style == .notice })
        #expect(h.messages(in: Cast.iaRoom).last?.body.plainText == testPrompts.plain(.digestSentToRoom))

        let direct = try harness(coordinatorsRoom: nil)
        try await say(direct, "$d1", "sammanfattning", from: Cast.ia, in: Cast.iaRoom)
        #expect(direct.messages(in: Cast.iaRoom).suffix(2).map(\.body.plainText) == ["Sammanfattning: 0 idéer", "Del två"])
    }

    /// Anna's idea 1 (Tolkbokning, being tested), and Ia's `lyft 1`: the question whether it may be shown.
    func askToLiftAnnasIdea(_ h: EngineHarness) async throws {
        try await h.store.write { tx in
            try tx.saveIdea(
                Idea(
                    number: 1, author: Cast.anna, title: "Tolkbokning", problem: "Tolken är svår att boka.",
                    unit: "Socialtjänst", stage: .testas, createdAt: start, updatedAt: start, submittedAt: start))
        }
        try await say(h, "$l1", "lyft 1", from: Cast.ia, in: Cast.iaRoom)
    }

    @Test func aGoodExampleAppearsInTheSharedRoomOnlyAfterYes() async throws {
        let h = try harness()
        try await askToLiftAnnasIdea(h)
        #expect(h.messages(in: Self.shared).isEmpty)
        #expect(h.chat.state.withLock { $0.opened } == [Cast.anna])
        try await say(h, "$l2", "ja 1", from: Cast.anna, in: RoomID("!dm-\(Cast.anna.rawValue)"))
        let example = try #require(h.messages(in: Self.shared).first)
        #expect(testPrompts.says(example.body.plainText, .liftExampleTitle, .sv, [.number: "1", .title: "Tolkbokning"]))
        #expect(example.body.plainText.contains("@anna:kommun.se"))
        #expect(try await h.store.read { try $0.liftRequest(idea: 1)?.answer } == .yes)
        #expect(testPrompts.says(h.messages(in: Cast.iaRoom).last?.body.plainText ?? "", .liftConsented, .sv, [.number: "1", .title: "Tolkbokning"]))
        let audit = try await h.store.read { try $0.auditEntries(idea: 1).compactMap(\.detail) }
        #expect(audit.contains("lift asked") && audit.contains("lift yes"))
    }

    @Test func forgettingTheIdeaGiverDropsAnUnansweredConsentQuestion() async throws {
        let h = try harness()
        try await askToLiftAnnasIdea(h)
        try await h.store.write { tx in
            try tx.recordDigest(key: "guide:@anna:kommun.se:2026-09-21", since: start, until: start, parts: 1, at: start)
            try tx.recordDigest(key: "guide:@anna:kommun.se.x:2026-09-21", since: start, until: start, parts: 1, at: start)
            _ = try tx.forgetPerson(Cast.anna, pseudonym: "anonym-0badc0de", at: start)
        }
        #expect(try await h.store.read { try $0.liftRequest(idea: 1) } == nil)
        #expect(try await h.store.read { try $0.digestSent(key: "guide:@anna:kommun.se:2026-09-21") } == false)
        #expect(try await h.store.read { try $0.digestSent(key: "guide:@anna:kommun.se.x:2026-09-21") })
    }
}
