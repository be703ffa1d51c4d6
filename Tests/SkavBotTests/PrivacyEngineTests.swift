import Chat
import Conversation
import Foundation
import Intake
import Testing
import Prompts
import Store

@testable import SkavBot

/// Personal data in incoming messages is masked before anything is written (SkavBot.docc/Privacy.md).
@Suite struct PrivacyEngineTests {
    let anna = UserID("@anna:kommun.se")
    let room = RoomID("!dm-anna:kommun.se")
    let start = Date(timeIntervalSince1970: 1_790_000_000)

    struct Harness {
        let path: String
        let store: IntakeStore
        let engine: BotEngine
        let chat = FakeChat()

        init(language: Language = .sv) throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("skav-privacy-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            path = directory.appendingPathComponent("skav.sqlite").path
            store = try IntakeStore(path: path)
            engine = BotEngine(
                store: store, prompts: BotEngineTests.prompts,
                settings: BotSettings(
                    botUser: "@skav:kommun.se", allowedDomains: ["kommun.se"],
                    conversation: ConversationConfig(units: ["Socialtjänst"], themes: [], defaultLanguage: language),
                    cursorKey: "matrix.cursor"),
                logger: quietLogger)
        }

        /// Every byte the database holds on disk (the file and its write-ahead log), as text.
        func bytesOnDisk() throws -> String {
            var all = Data()
            for suffix in ["", "-wal", "-journal"] {
                if let data = FileManager.default.contents(atPath: path + suffix) { all.append(data) }
            }
            return String(decoding: all, as: UTF8.self)
        }
    }

    func events(_ texts: [String]) -> [ChatEvent] {
        [ChatEvent(id: "$invite", room: room, sender: anna, kind: .invite(isDirect: true, encrypted: false), timestamp: start)]
            + texts.enumerated().map { index, text in
                ChatEvent(id: "$m\(index)", room: room, sender: anna, kind: .message(text: text), timestamp: start)
            }
    }

    func run(_ h: Harness, _ texts: [String]) async throws {
        for (index, event) in events(texts).enumerated() {
            try h.engine.process(ChatBatch(events: [event], cursor: "s\(index)"), now: start)
        }
        try await OutboxSender(store: h.store, chat: h.chat, wake: WakeSignal(), logger: quietLogger).drain()
    }

    @Test func personalDataIsMaskedBeforeAnythingIsStoredAndThePersonIsTold() async throws {
        let h = try Harness()
        let raw = ["811218-9876", "070-123 45 67", "anna.svensson@kommun.se"]
        try await run(h, ["Brukaren 811218-9876 ringde från 070-123 45 67 och mejlade anna.svensson@kommun.se om hissen."])

        let idea = try #require(try await h.store.read { try $0.idea(number: 1) })
        #expect(idea.problem == "Brukaren [personnummer] ringde från [telefonnummer] och mejlade [e-post] om hissen.")
        let outbox = try await h.store.read { try $0.allOutbox() }.map(\.body.plainText).joined(separator: "\n")
        let sent = h.chat.sentTexts.joined(separator: "\n")
        let disk = try h.bytesOnDisk()
        for number in raw {
            #expect(!outbox.contains(number))
            #expect(!sent.contains(number))
            #expect(!disk.contains(number), "\(number) is on disk")
        }
        #expect(!disk.contains("8112189876"))
        // The notice comes before the conversation's answers, as a notice.
        let notice = try #require(h.chat.sent.first { $0.body.plainText.contains("Jag tog bort") })
        #expect(notice.style == .notice)
        #expect(notice.body.plainText.contains("ett personnummer, ett telefonnummer och en e-postadress"))
        let noticeIndex = try #require(h.chat.sentTexts.firstIndex(of: notice.body.plainText))
        let draftIndex = try #require(h.chat.sentTexts.firstIndex { $0.contains("utkast **#1**") || $0.contains("#1") })
        #expect(noticeIndex < draftIndex)
        #expect(!sent.contains("enskild person"))
    }

    @Test func answersToTheQuestionsAreMaskedToo() async throws {
        let h = try Harness()
        try await run(h, ["Tolkbokningen tar en vecka", "1", "Ring 031-12 34 56 eller 08-123 456 78 direkt"])
        let idea = try #require(try await h.store.read { try $0.idea(number: 1) })
        #expect(idea.solution == "Ring [telefonnummer] eller [telefonnummer] direkt")
        #expect(h.chat.sentTexts.contains { $0.contains("Jag tog bort 2 telefonnummer") })
        #expect(!(try h.bytesOnDisk()).contains("456 78"))
    }

    @Test func aClientCaseGetsAGentleWarningAfterTheAnswer() async throws {
        let h = try Harness()
        try await run(h, ["Kalle 14 år placerades på HVB och ingen hann skriva journal."])
        let last = try #require(h.chat.sentTexts.last)
        #expect(last.contains("enskild person") && last.contains("ändra 1") && last.contains("avbryt"))
        #expect(!h.chat.sentTexts.contains { $0.contains("Jag tog bort") }, "nothing was masked")
        // The draft is kept: the person decides.
        #expect(try await h.store.read { try $0.idea(number: 1) }?.stage == .utkast)
    }

    @Test func processTalkGetsNoWarningAndNoNotice() async throws {
        let h = try Harness()
        try await run(h, ["Handläggningen av LVU-ärenden tar för lång tid.", "Ring 112 om det brinner, mötet är 2024-03-15."])
        #expect(!h.chat.sentTexts.contains { $0.contains("enskild person") || $0.contains("Jag tog bort") })
    }

    @Test func englishSpeakersAreToldInEnglish() async throws {
        let h = try Harness(language: .en)
        try await run(h, ["Call me on +46 70 123 45 67 about Ali, 9 years old, placed in a foster home"])
        let sent = h.chat.sentTexts
        #expect(sent.contains { $0.contains("I removed a phone number") })
        #expect(sent.last?.contains("particular person") == true)
    }

    @Test func theKindsAreListedInPlainWords() {
        #expect(MaskingNotice.list([], and: "och") == "")
        #expect(MaskingNotice.list(["a"], and: "och") == "a")
        #expect(MaskingNotice.list(["a", "b"], and: "och") == "a och b")
        #expect(MaskingNotice.list(["a", "b", "c"], and: "and") == "a, b and c")
    }
}
