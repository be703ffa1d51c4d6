import Chat
import Conversation
import Foundation
import Intake
import SkavTesting
import Testing
import Prompts
import Store

@testable import SkavBot
@testable import SkavTools
@testable import Digest
import Configuration

@Suite struct PipelineBotTests {
    let start = EngineHarness.start

    /// The cast's roles, with the guide's unit in lower case: unit names are matched regardless of case.
    static let rolesYAML = Cast.rolesYAML(guideUnit: "socialtjänst")

    @Test func rolesFromConfig() throws {
        let config = try SkavConfig.parse(yaml: Self.rolesYAML)
        #expect(config.roles.coordinators == ["@ia:kommun.se"])
        #expect(config.roles.guides == [Roles.Guide(user: Cast.karin, units: ["Socialtjänst"])])
        #expect(SkavApp.conversationConfig(config).roles == config.roles)
        #expect(try SkavConfig.parse(yaml: "units: [A]").roles == .none)
        let example = try SkavConfig.load(file: Repository.path("config/skav.example.yaml").path)
        #expect(example.roles.coordinators.count == 1 && example.roles.guides.count == 2)
    }

    @Test func badRolesNameTheKey() {
        let cases: [(String, String)] = [
            ("units: [A]\nroles:\n  guides:\n    - user: \"@k:x.se\"\n      units: [B]", "roles.guides[0].units[0]"),
            ("units: [A]\nroles:\n  guides:\n    - user: karin\n      units: [A]", "roles.guides[0].user"),
            ("units: [A]\nroles:\n  guides:\n    - user: \"@k:x.se\"", "roles.guides[0].units"),
            ("units: [A]\nroles:\n  guides:\n    - user: \"@k:x.se\"\n      units: []", "roles.guides[0].units"),
            ("roles:\n  coordinators: [nobody]", "roles.coordinators[0]"),
            ("roles:\n  admins: []", "roles.admins"),
        ]
        for (yaml, key) in cases {
            #expect(throws: ConfigError.self, "\(key)") { try SkavConfig.parse(yaml: yaml) }
            do {
                _ = try SkavConfig.parse(yaml: yaml)
            } catch {
                #expect(error.key == key, "\(yaml) → \(error)")
            }
        }
    }

    /// The bot of these tests, with the roles of `rolesYAML`.
    func harness() throws -> EngineHarness {
        try EngineHarness(SkavApp.conversationConfig(try SkavConfig.parse(yaml: Self.rolesYAML)))
    }

    func message(_ id: String, _ text: String, from user: UserID) -> ChatEvent {
        ChatEvent(
            id: id, room: RoomID("!dm-\(user.rawValue)"), sender: user, kind: .message(text: text), timestamp: start,
            isDirectRoom: true)
    }

    @Test func noticesToOthersGoToTheOutboxByRecipientWithStableTransactionIDs() async throws {
        let h = try harness()
        let (store, engine) = (h.store, h.engine)
        var events = [message("$a0", "Tolkbokningen tar en vecka", from: Cast.anna)]
        for (index, text) in ["hoppa", "hoppa", "skicka", "1"].enumerated() {
            events.append(message("$a\(index + 1)", text, from: Cast.anna))
        }
        for (index, event) in events.enumerated() {
            try engine.process(ChatBatch(events: [event], cursor: "s\(index)"), now: start)
        }
        let routed = try #require(try await store.read { try $0.outboxEntry(txnID: "$a4.1") })
        // Karin has not written yet, so no direct chat of hers is known: the routed idea waits for the sender
        // to find or open one.
        #expect(routed.recipient == Cast.karin && routed.roomID == nil)
        #expect(routed.body.plainText.contains("#1"))

        try engine.process(ChatBatch(events: [message("$k0", "status 1 bedöms", from: Cast.karin)], cursor: "k0"), now: start)
        // Karin is new: greeting (index 0), her reply (1), then the notice to Anna (2).
        let notice = try #require(try await store.read { try $0.outboxEntry(txnID: "$k0.2") })
        // Anna's direct chat is known (she wrote there): the notice is queued for it, so the sender need not
        // look it up.
        #expect(notice.recipient == Cast.anna && notice.roomID == RoomID("!dm-@anna:kommun.se") && testPrompts.says(notice.body.plainText, .noticeStageBedoms, .sv, [.number: "1"]))
        #expect(try await store.read { try $0.idea(number: 1)?.stage } == .bedoms)

        // A replayed event adds nothing.
        let before = try await store.read { try $0.allOutbox().count }
        try engine.process(ChatBatch(events: [message("$k0", "status 1 bedöms", from: Cast.karin)], cursor: "k1"), now: start)
        #expect(try await store.read { try $0.allOutbox().count } == before)

        // The sender delivers notices to the recipients' direct chats.
        try await h.drain()
        let delivered = try #require(try await store.read { try $0.outboxEntry(txnID: "$a4.1") })
        #expect(delivered.sentAt != nil && delivered.roomID == RoomID("!dm-\(Cast.karin.rawValue)"))

        try engine.process(ChatBatch(events: [message("$k1", "koppla 1 1", from: Cast.karin)], cursor: "k2"), now: start)
        try await store.write { tx in
            try tx.saveIdea(
                Idea(number: 2, author: Cast.anna, title: "t", problem: "p", unit: "Socialtjänst", stage: .inkommen,
                    createdAt: start, updatedAt: start))
        }
        try engine.process(ChatBatch(events: [message("$k2", "koppla 2 1", from: Cast.karin)], cursor: "k3"), now: start)
        #expect(try await store.read { try $0.links(ofIdea: 1) } == [2])
    }

    @Test func csvOpensInSpreadsheetsWithSwedishLetters() throws {
        let idea = Idea(
            number: 7, author: Cast.anna, title: "Tolk; snabbare", problem: "Det \"tar\" för lång tid,\nvi väntar.",
            solution: "Åtgärd: öppna förbokning", unit: "Äldreomsorg", stage: .bedoms, createdAt: start,
            updatedAt: start, submittedAt: start)
        let data = IdeaExport.csv([idea], links: [7: [3, 9]])
        #expect(Array(data.prefix(3)) == [0xEF, 0xBB, 0xBF])
        let text = String(decoding: data.dropFirst(3), as: UTF8.self)
        let lines = text.components(separatedBy: "\r\n")
        #expect(lines[0].hasPrefix("number;title;stage;unit;challenge;benefits;problem;solution;author;guide"))
        #expect(lines[1].hasPrefix("7;\"Tolk; snabbare\";bedoms;Äldreomsorg;;;\"Det \"\"tar\"\" för lång tid,"))
        #expect(lines[2].hasPrefix("vi väntar.\";Åtgärd: öppna förbokning;'@anna:kommun.se;;"))
        #expect(lines[2].hasSuffix(";3 9;"))
        #expect(text.hasSuffix("\r\n"))
        #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
    }

    @Test func stageFromTheCommandLineFollowsTheRulesAndQueuesTheNotice() throws {
        let store = try IntakeStore()
        let config = try SkavConfig.parse(yaml: Self.rolesYAML)
        try store.write { tx in
            try tx.saveIdea(
                Idea(number: 1, author: Cast.anna, title: "Tolk", problem: "Tolk tar tid", unit: "Socialtjänst",
                    stage: .inkommen, createdAt: start, updatedAt: start, submittedAt: start))
        }
        func run(_ stage: String, by: UserID = "@ia:kommun.se", comment: String? = nil) throws -> Idea {
            try StageCommand.run(
                store: store, prompts: testPrompts, config: config, number: 1, stage: stage, by: by,
                comment: comment, now: start)
        }
        #expect(throws: StageCommand.Failure.self) { try run("testas") }
        #expect(throws: StageCommand.Failure.self) { try run("review", by: "@olle:kommun.se") }
        #expect(throws: StageCommand.Failure.self) { try run("flyger") }
        #expect(try run("Bedöms").stage == .bedoms)
        #expect(throws: StageCommand.Failure.self) { try run("closed") }
        #expect(try run("closed", comment: "Vi löste det på annat sätt").stage == .avslutad)
        // The same path as `status 1 bedöms` in chat: the coordinator with no guide on the idea claims it first.
        let history = try store.read { try $0.events(ofIdea: 1) }
        #expect(history.map(\.kind) == [.claimed, .stage, .stage])
        #expect(history.compactMap(\.toStage) == [.bedoms, .avslutad])
        // … and every change is in the audit log, as it is from chat.
        let audit = try store.read { try $0.auditEntries(idea: 1) }
        #expect(audit.filter { $0.action == .stage }.map(\.detail) == ["inkommen→bedoms", "bedoms→avslutad"])
        #expect(audit.allSatisfy { $0.actor == "@ia:kommun.se" })
        let notices = try store.read { try $0.allOutbox() }
        #expect(notices.count == 2 && notices.allSatisfy { $0.recipient == Cast.anna && $0.roomID == nil })
        #expect(notices.last?.body.plainText.contains("Vi löste det på annat sätt") == true)
    }
}
