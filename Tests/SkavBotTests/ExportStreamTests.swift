import Chat
import Foundation
import Intake
import SkavTesting
import Testing
import Prompts
import Store

@testable import SkavBot
@testable import SkavTools
@testable import Digest

/// `skav ideas export` streams from a database cursor: the same bytes as the whole list built in memory.
@Suite struct ExportStreamTests {
    static let start = EngineHarness.start

    /// `count` submitted ideas (and a draft, which is never exported) with awkward text, links and history.
    static func seeded(_ count: Int) throws -> IntakeStore {
        let store = try IntakeStore()
        let texts = [
            "Skrivaren på plan 3", "=SUMMA(A1)", "Rad ett\nrad två; med \"citat\"", " blanksteg ", "Åäö – ✓", "@x", "",
        ]
        try store.write { tx in
            for number in 1...count {
                let at = start.addingTimeInterval(Double(number) * 60)
                let text = texts[number % texts.count]
                try tx.saveIdea(
                    Idea(
                        number: number, author: UserID("@person\(number % 13):kommun.se"),
                        title: "Idé \(number) \(text)", problem: "Problem \(number): \(text)",
                        benefits: number % 3 == 0 ? "residents" : nil, solution: number % 2 == 0 ? text : nil,
                        theme: number % 5 == 0 ? "digitalt" : nil, unit: number % 4 == 0 ? nil : "Skola \(number % 7)",
                        stage: number == count ? .utkast : [.inkommen, .bedoms, .utvecklas][number % 3],
                        guide: number % 2 == 0 ? UserID("@guide:kommun.se") : nil, createdAt: at, updatedAt: at,
                        submittedAt: number == count ? nil : at, campaign: number % 11 == 0 ? 1 : nil))
                if number % 10 != 5 {  // some have no history at all (an empty array in the JSON)
                    try tx.appendEvent(
                        IdeaEvent(ideaNumber: number, at: at, actor: UserID("@person\(number % 13):kommun.se"), kind: .submitted))
                }
                if number % 3 == 1 {
                    try tx.appendEvent(
                        IdeaEvent(
                            ideaNumber: number, at: at.addingTimeInterval(30), actor: "@guide:kommun.se", kind: .stage,
                            fromStage: .inkommen, toStage: .bedoms, comment: number % 2 == 0 ? "Bra; \"tack\"" : nil))
                }
                if number % 7 == 0 { try tx.linkIdeas(number, number / 7, by: "@guide:kommun.se", at: at) }
                if number % 9 == 0 { try tx.linkIdeas(number, max(1, number - 500), by: "@guide:kommun.se", at: at) }
            }
        }
        return store
    }

    /// The export as the command built it before it streamed: every idea in memory, links one by one.
    static func inMemory(_ format: IdeaExport.Format, _ store: IntakeStore) throws -> Data {
        try store.read { tx in
            let ideas = try tx.ideas()
            switch format {
            case .csv:
                var links: [Int: [Int]] = [:]
                for idea in ideas { links[idea.number] = try tx.links(ofIdea: idea.number) }
                return IdeaExport.csv(ideas, links: links)
            case .json:
                return try IdeaExport.json(ideas.map { ($0, try tx.events(ofIdea: $0.number)) })
            }
        }
    }

    static func streamed(_ format: IdeaExport.Format, _ store: IntakeStore, batch: Int) throws -> (Data, pieces: Int) {
        var data = Data()
        var pieces = 0
        try store.read { tx in
            try IdeaExport.write(format, from: tx, batch: batch) {
                data.append($0)
                pieces += 1
            }
        }
        return (data, pieces)
    }

    @Test(arguments: IdeaExport.Format.allCases)
    func streamingGivesTheSameBytes(format: IdeaExport.Format) throws {
        let store = try Self.seeded(1_201)
        let expected = try Self.inMemory(format, store)
        for batch in [1, 7, 500, 5_000] {
            let (data, _) = try Self.streamed(format, store, batch: batch)
            #expect(data == expected, "batches of \(batch)")
        }
        let (data, pieces) = try Self.streamed(format, store, batch: 500)
        #expect(pieces > 1, "written in pieces, not at once")
        if format == .json {
            let parsed = try JSONSerialization.jsonObject(with: data) as? [[String: Any]]
            #expect(parsed?.count == 1_200)
        }
    }

    @Test(arguments: IdeaExport.Format.allCases)
    func anEmptyIntakeGivesTheSameBytes(format: IdeaExport.Format) throws {
        let store = try IntakeStore()
        #expect(try Self.streamed(format, store, batch: 10).0 == (try Self.inMemory(format, store)))
    }

    @Test func theFileIsPrivateAndReplacedWhole() throws {
        let store = try Self.seeded(40)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("skav-export-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("ideas.csv").path
        try Data("old".utf8).write(to: URL(fileURLWithPath: path))
        try store.read { tx in
            try PrivateFiles.write(to: path) { append in try IdeaExport.write(.csv, from: tx, batch: 7, to: append) }
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == (try Self.inMemory(.csv, store)))
        #expect(PrivateFiles.mode(of: path) == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["ideas.csv"], "no temporary file left")
    }
}
