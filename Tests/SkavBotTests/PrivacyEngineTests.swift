import Chat
import Conversation
import Foundation
import Intake
import SkavTesting
import Testing
import Prompts
import Store

@testable import SkavBot

/// Personal data in incoming messages is masked before anything is written (SkavBot.docc/Privacy.md).
@Suite struct PrivacyEngineTests {
    let room = Cast.annaRoom
    let start = EngineHarness.start

    /// The bot of these tests, on a database file: one unit, in `language`.
    func harness(language: Language = .sv) throws -> EngineHarness {
        try EngineHarness(
            ConversationConfig(units: ["Socialtjänst"], themes: [], defaultLanguage: language), onDisk: true)
    }

    func events(_ texts: [String]) -> [ChatEvent] {
        [ChatEvent(id: "$invite", room: room, sender: Cast.anna, kind: .invite(isDirect: true, encrypted: false), timestamp: start)]
            + texts.enumerated().map { index, text in
                ChatEvent(id: "$m\(index)", room: room, sender: Cast.anna, kind: .message(text: text), timestamp: start)
            }
    }

    func run(_ h: EngineHarness, _ texts: [String]) async throws {
        for (index, event) in events(texts).enumerated() {
            try h.engine.process(ChatBatch(events: [event], cursor: "s\(index)"), now: start)
        }
        try await h.drain()
    }

    @Test func personalDataIsMaskedBeforeAnythingIsStoredAndThePersonIsTold() async throws {
        let h = try harness()
        let raw = ["811218-9876", "070-123 45 67", "anna.svensson@kommun.se"]
        try await run(h, ["Brukaren 811218-9876 ringde från 070-123 45 67 och mejlade anna.svensson@kommun.se om hissen."])

        let idea = try #require(try await h.store.read { try $0.idea(number: 1) })
        #expect(idea.problem == "Brukaren [personnummer] ringde från [telefonnummer] och mejlade [e-post] om hissen.")
        let outbox = try await h.store.read { try $0.allOutbox() }.map(\.body.plainText).joined(separator: "\n")
        let sent = h.chat.sentTexts.joined(separator: "\n")
        let disk = h.bytesOnDisk()
        for number in raw {
            #expect(!outbox.contains(number))
            #expect(!sent.contains(number))
            #expect(!disk.contains(number), "\(number) is on disk")
        }
        #expect(!disk.contains("8112189876"))
        // The notice comes before the conversation's answers, as a notice.
        let notice = try #require(h.chat.sent.first { testPrompts.says($0.body.plainText, .privacyMasked) })
        #expect(notice.style == .notice)
        let kinds = "\(testPrompts.plain(.privacyPersonnummer)), \(testPrompts.plain(.privacyPhone)) \(testPrompts.plain(.privacyAnd)) \(testPrompts.plain(.privacyEmail))"
        #expect(notice.body.plainText.contains(testPrompts.plain(.privacyMasked, .sv, [.kinds: kinds])))
        let noticeIndex = try #require(h.chat.sentTexts.firstIndex(of: notice.body.plainText))
        let draftIndex = try #require(h.chat.sentTexts.firstIndex { $0.contains("#1") })
        #expect(noticeIndex < draftIndex)
        #expect(!testPrompts.says(sent, .privacyClientCase))
    }

    @Test func answersToTheQuestionsAreMaskedToo() async throws {
        let h = try harness()
        try await run(h, ["Tolkbokningen tar en vecka", "1", "Ring 031-12 34 56 eller 08-123 456 78 direkt"])
        let idea = try #require(try await h.store.read { try $0.idea(number: 1) })
        #expect(idea.solution == "Ring [telefonnummer] eller [telefonnummer] direkt")
        #expect(h.chat.sentTexts.contains { testPrompts.says($0, .privacyMasked, .sv, [.kinds: testPrompts.plain(.privacyPhoneMany, .sv, [.count: "2"])]) })
        #expect(!(h.bytesOnDisk()).contains("456 78"))
    }

    @Test func aClientCaseGetsAGentleWarningAfterTheAnswer() async throws {
        let h = try harness()
        try await run(h, ["Kalle 14 år placerades på HVB och ingen hann skriva journal."])
        let last = try #require(h.chat.sentTexts.last)
        #expect(last.contains(testPrompts.plain(.privacyClientCase)))
        #expect(!h.chat.sentTexts.contains { testPrompts.says($0, .privacyMasked) }, "nothing was masked")
        // The draft is kept: the person decides.
        #expect(try await h.store.read { try $0.idea(number: 1) }?.stage == .utkast)
    }

    @Test func processTalkGetsNoWarningAndNoNotice() async throws {
        let h = try harness()
        try await run(h, ["Handläggningen av LVU-ärenden tar för lång tid.", "Ring 112 om det brinner, mötet är 2024-03-15."])
        #expect(!h.chat.sentTexts.contains { $0.contains("enskild person") || $0.contains("Jag tog bort") })
    }

    @Test func englishSpeakersAreToldInEnglish() async throws {
        let h = try harness(language: .en)
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

    /// A person's conversation state is written when it changes, and only then: its time stays that of its
    /// last change, which is what retention (`privacy.draft_retention`) goes by. A command that changes
    /// nothing (`hjälp`) writes nothing.
    @Test func aConversationStateIsWrittenWhenItChangesOnly() throws {
        let h = try harness()
        let hour: TimeInterval = 3_600
        func state() throws -> Data? { try h.store.read { try $0.conversationState(of: Cast.anna) } }
        func retention(before cutoff: Date) throws -> Int {
            try h.store.write { try $0.deleteExpired(before: cutoff, at: cutoff).states }
        }
        try h.say(["hjälp"], from: Cast.anna, at: start)
        let first = try #require(try state())
        try h.say(["hjälp"], from: Cast.anna, at: start.addingTimeInterval(2 * hour))
        #expect(try state() == first)
        // Unchanged since `start`: a cutoff an hour later takes it (written again at the second `hjälp`, it stayed).
        #expect(try retention(before: start.addingTimeInterval(hour)) == 1)
        #expect(try state() == nil)
        try h.say(["Kön till hissen är för lång på morgonen"], from: Cast.anna, at: start.addingTimeInterval(3 * hour))
        let changed = try #require(try state())
        #expect(changed != first)
        #expect(try retention(before: start.addingTimeInterval(2.5 * hour)) == 0)
        #expect(try state() == changed)
    }
}
