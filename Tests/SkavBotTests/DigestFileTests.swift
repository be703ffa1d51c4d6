import Chat
import Conversation
import Foundation
import Intake
import SkavTesting
import Testing
import Prompts
@testable import Store

@testable import SkavBot
@testable import SkavTools
@testable import Digest
import Configuration

/// A digest whose lists are cut sends the full lists after its messages, as a CSV file, where the server
/// takes files; elsewhere (and when nothing is cut) there is no file and the text does not mention one.
@Suite struct DigestFileTests {
    static let room = RoomID("!coordinators:kommun.se")
    static let ia = Cast.ia
    /// Monday 23 November 2026, 09:00 in Stockholm: the slot of `mon 09:00`.
    static let monday = Date(timeIntervalSince1970: 1_795_420_800)
    static let files = ChatCapabilities(maxMessageBytes: 60_000, markup: .html, supportsFiles: true)
    static let noFiles = ChatCapabilities(maxMessageBytes: 60_000, markup: .html, supportsFiles: false)

    static func config(schedule: String = "off") throws -> SkavConfig {
        try SkavConfig.parse(
            yaml: """
                units: [Socialtjänst, Skola, "=Ekonomi"]
                roles:
                  coordinators: ["@ia:kommun.se"]
                  guides:
                    - user: "@karin:kommun.se"
                      units: [Socialtjänst]
                digest:
                  schedule: "\(schedule)"
                """)
    }

    /// `count` ideas submitted in the days before Monday, one with a title a spreadsheet would take for a formula.
    static func store(ideas count: Int) throws -> IntakeStore {
        let store = try IntakeStore()
        let units = ["Socialtjänst", "Skola", "=Ekonomi"]
        try store.write { tx in
            for number in 1...count {
                let at = monday.addingTimeInterval(-3 * 86_400 + Double(number) * 600)
                let title = number == 3 ? "=HYPERLINK(\"http://evil.example\")" : "Idé nummer \(number); om \"pappret\""
                try tx.saveIdea(
                    Idea(
                        number: number, author: UserID("@p\(number):kommun.se"), title: title, problem: title,
                        benefits: number % 2 == 0 ? "residents" : "Alla i huset", unit: units[number % units.count],
                        stage: .inkommen, createdAt: at, updatedAt: at, submittedAt: at))
                try tx.appendEvent(
                    IdeaEvent(
                        ideaNumber: number, at: at, actor: UserID("@p\(number):kommun.se"), kind: .submitted, fromStage: .utkast,
                        toStage: .inkommen))
            }
        }
        return store
    }

    static func build(_ store: IntakeStore, capabilities: ChatCapabilities) throws -> DigestMessages {
        let build = SkavApp.onDemandDigest(config: try config(), prompts: testPrompts, capabilities: capabilities)
        return try store.read { tx in try build(tx, monday) }
    }

    static func rows(_ file: FileAttachment) -> [[String: String]] {
        let cells = CSVInjectionTests.cells(file.data)
        guard let header = cells.first else { return [] }
        return cells.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(header, $0)) }
    }

    @Test func aCutDigestSendsTheFullListsAsAFile() throws {
        let store = try Self.store(ideas: 25)
        let digest = try Self.build(store, capabilities: Self.files)
        let file = try #require(digest.file, "25 new ideas are more than the digest shows")
        #expect(file.mimeType == "text/csv")
        #expect(file.filename == "skav-sammanfattning-2026-11-16-2026-11-23.csv")
        #expect(file.data.starts(with: Data("\u{FEFF}section;".utf8)), "BOM, then the header")
        #expect(String(decoding: file.data, as: UTF8.self).hasSuffix("\r\n"))
        let new = Self.rows(file).filter { $0["section"] == "new" }
        #expect(new.compactMap { $0["number"].flatMap(Int.init) } == Array(1...25), "every new idea, by number")
        #expect(new[0]["title"] == "Idé nummer 1; om \"pappret\"" && new[0]["unit"] == "Skola")
        #expect(new[1]["benefits"] == "residents" && new[1]["stage"] == "inkommen")
        #expect(new[2]["title"] == "'=HYPERLINK(\"http://evil.example\")", "a formula is neutralised")
        #expect(new[1]["unit"] == "'=Ekonomi")
        #expect(digest.caption.plainText == testPrompts.plain(.digestFileCaption, .sv, [.from: "2026-11-16", .to: "2026-11-23"]))
        let text = digest.parts.map(\.plainText).joined(separator: "\n")
        #expect(text.contains(testPrompts.plain(.digestMoreInFile, .sv, [.count: "15"])))
    }

    @Test func anUncutDigestHasNoFile() throws {
        let store = try Self.store(ideas: 4)
        let digest = try Self.build(store, capabilities: Self.files)
        #expect(digest.file == nil)
        #expect(!testPrompts.says(digest.parts.map(\.plainText).joined(), .digestMoreInFile))
        try Self.request(store)
        let queued = try store.read { try $0.allOutbox() }.filter { $0.txnID.hasPrefix("digest.") }
        #expect(!queued.isEmpty && queued.allSatisfy { $0.attachment == nil && !$0.txnID.hasSuffix(".file") })
    }

    /// `sammanfattning` from Ia, served by the request service with the bot's own builder.
    static func request(_ store: IntakeStore) throws {
        let service = DigestRequestService(
            store: store,
            build: SkavApp.onDemandDigest(config: try config(), prompts: testPrompts, capabilities: Self.files),
            wake: WakeSignal(), sent: nil, logger: quietLogger)
        try store.write { tx in
            try tx.requestDigest(
                DigestRequest(key: "req-1", requestedBy: Self.ia, roomID: Self.room, recipient: nil, requestedAt: Self.monday))
        }
        #expect(try service.serve(now: Self.monday) == 1)
        #expect(try service.serve(now: Self.monday) == 0)
    }

    @Test func withoutFilesTheTextSaysHowManyMoreAndNamesNoFile() throws {
        let digest = try Self.build(try Self.store(ideas: 25), capabilities: Self.noFiles)
        #expect(digest.file == nil)
        let text = digest.parts.map(\.plainText).joined(separator: "\n")
        #expect(text.contains(testPrompts.plain(.digestMore, .sv, [.count: "15"])))
        #expect(!testPrompts.says(text, .digestMoreInFile) && !text.contains("fil"))
    }

    @Test func sammanfattningQueuesTheFileAfterTheMessagesOnce() throws {
        let store = try Self.store(ideas: 25)
        try Self.request(store)
        let queued = try store.read { try $0.allOutbox() }.filter { $0.txnID.hasPrefix("digest.") }
        let file = try #require(queued.last)
        #expect(file.txnID.hasSuffix(".file") && file.attachment != nil && file.roomID == Self.room)
        #expect(testPrompts.says(file.body.plainText, .digestFileCaption))
        #expect(queued.dropLast().allSatisfy { $0.attachment == nil && $0.style == .notice })
        #expect(queued.filter { $0.attachment != nil }.count == 1)
    }

    @Test func theScheduledDigestQueuesTheFileToo() throws {
        let store = try Self.store(ideas: 25)
        let config = try Self.config(schedule: "mon 09:00")
        let delivery = try #require(
            SkavApp.digestDelivery(
                config: config, prompts: testPrompts, capabilities: Self.files, coordinatorsRoom: Self.room))
        let scheduler = NudgeScheduler(
            store: store, planner: SkavApp.nudgePlanner(config), prompts: testPrompts, defaultLanguage: .sv,
            logger: quietLogger, digests: delivery)
        // A first pass on Friday sets the baseline; Monday's slot is then sent, once.
        #expect(try scheduler.runOnce(now: Self.monday.addingTimeInterval(-3 * 86_400 + 3_600)).digests.isEmpty)
        #expect(try scheduler.runOnce(now: Self.monday).digests.count == 1)
        #expect(try scheduler.runOnce(now: Self.monday.addingTimeInterval(600)).digests.isEmpty)
        let queued = try store.read { try $0.allOutbox() }.filter { $0.txnID.hasPrefix("digest.") && $0.roomID == Self.room }
        let files = queued.filter { $0.attachment != nil }
        #expect(files.count == 1 && queued.last?.attachment != nil, "one file, after the messages")
        let rows = Self.rows(try #require(files.first?.attachment))
        #expect(Set(rows.filter { $0["section"] == "new" }.compactMap { $0["number"] }).count == 25)
        let runs = try store.read { tx in try Int.fetchOne(tx.db, sql: "SELECT parts FROM digest_run WHERE key LIKE 'coordinators:%'") }
        #expect(runs == queued.count, "the run counts the file as a part")
    }
}
