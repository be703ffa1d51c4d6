import Chat
import Foundation
import GRDB
import Testing

@testable import Intake
@testable import Store
import Prompts
import GRDB

@Suite struct PipelineStoreTests {
    let now = Date(timeIntervalSince1970: 1_790_000_000)

    func idea(_ number: Int, _ problem: String, stage: IdeaStage = .inkommen, solution: String? = nil) -> Idea {
        Idea(
            number: number, author: "@anna:kommun.se", title: deriveTitle(from: problem), problem: problem,
            solution: solution, unit: "Socialtjänst", stage: stage, createdAt: now, updatedAt: now)
    }

    @Test func theFullTextIndexFollowsTheIdeasAndNeverHoldsDrafts() throws {
        let store = try IntakeStore()
        try store.write { tx in
            try tx.saveIdea(idea(1, "Det tar för lång tid att boka tolk till hembesök."))
            try tx.saveIdea(idea(2, "Tolkbokningen för hembesök är långsam och krånglig.", stage: .utkast))
            try tx.saveIdea(idea(3, "Skrivaren på plan 2 krånglar varje morgon."))
        }
        let query = "Tolkbokningen är så långsam att hembesöken blir försenade."
        var found = try store.read { try $0.similarIdeas(to: query, excluding: nil, limit: 3) }
        #expect(found.map(\.number) == [1])
        #expect(found.first?.stage == .inkommen)

        // Submitting the draft puts it in the index; the idea itself is never its own match.
        try store.write { tx in
            var draft = try #require(try tx.idea(number: 2))
            draft.stage = .inkommen
            try tx.saveIdea(draft)
        }
        found = try store.read { try $0.similarIdeas(to: query, excluding: 2, limit: 3) }
        #expect(found.map(\.number) == [1])
        found = try store.read { try $0.similarIdeas(to: query, excluding: nil, limit: 3) }
        #expect(Set(found.map(\.number)) == [1, 2])

        // Edits and deletes follow; stop words alone match nothing.
        try store.write { tx in
            try tx.saveIdea(idea(1, "Matsvinnet i skolmatsalen är stort."))
            try tx.deleteIdea(number: 2)
        }
        #expect(try store.read { try $0.similarIdeas(to: query, excluding: nil, limit: 3) }.isEmpty)
        #expect(try store.read { try $0.similarIdeas(to: "det är och som", excluding: nil, limit: 3) }.isEmpty)
        #expect(try store.read { try Int.fetchOne($0.db, sql: "SELECT count(*) FROM idea_stems") } == 2)

        // The new text is found; an idea sent back to draft leaves the index.
        let food = "Maten i skolmatsalen slängs, matsvinnet är stort"
        #expect(try store.read { try $0.similarIdeas(to: food, excluding: nil, limit: 3) }.map(\.number) == [1])
        try store.write { tx in
            var back = try #require(try tx.idea(number: 1))
            back.stage = .utkast
            try tx.saveIdea(back)
        }
        #expect(try store.read { try $0.similarIdeas(to: food, excluding: nil, limit: 3) }.isEmpty)
        #expect(try store.read { try Int.fetchOne($0.db, sql: "SELECT count(*) FROM idea_stems") } == 1)
    }

    @Test func theIndexKeepsSwedishLettersDistinct() throws {
        let store = try IntakeStore()
        try store.write { try $0.saveIdea(idea(1, "Båten till ön går för sällan.")) }
        let hits = try store.read { tx in
            try Int.fetchAll(tx.db, sql: "SELECT rowid FROM idea_stems WHERE idea_stems MATCH ?", arguments: ["bat*"])
        }
        #expect(hits.isEmpty)
        let exact = try store.read { tx in
            try Int.fetchAll(tx.db, sql: "SELECT rowid FROM idea_stems WHERE idea_stems MATCH ?", arguments: ["BÅT"])
        }
        #expect(exact == [1])
    }

    /// The index holds stems, not words: a stem's prefix finds the ideas whose stems begin with it, not every
    /// idea with a word that does ("mås"* once matched every "måste", a stop word), and a stem finds the
    /// shorter stems that begin it, as the score matches them ("vänta" ~ "vänt").
    @Test func aStemFindsStemsNotWords() throws {
        let store = try IntakeStore()
        try store.write { tx in
            try tx.saveIdea(idea(1, "Vi måste vänta på svar från IT i veckor."))
            try tx.saveIdea(idea(2, "Väntan i telefonkön till växeln är lång."))
        }
        let stems = try store.read { tx in try tx.comparableIdeas([1, 2]).map(\.1.terms) }
        #expect(stems == [["vänt", "svar", "veck"], ["vänt", "telefonkön", "växeln"]])
        #expect(try store.read { try $0.candidates(["mås"]) }.isEmpty)
        #expect(try store.read { try Set($0.candidates(["vänt"])) } == [1, 2])
        #expect(try store.read { try Set($0.candidates(["väntetid"])) } == [1, 2])
        #expect(try store.read { try $0.candidates(["väx"]) } == [2])
    }

    /// Letters of a script newer than SQLite's tokenizer, or anything else odd, never make a lookup fail.
    @Test func oddStemsNeverFailALookup() throws {
        let store = try IntakeStore()
        try store.write { tx in
            try tx.saveIdea(idea(1, "Skrivaren 𞤀𞤁𞤂 krånglar \u{202E}igen e\u{301}tt ｆｕｌｌ 日本語のテキスト"))
        }
        for text in ["𞤀𞤁𞤂 skrivaren", "\u{202E}\u{200B}", "日本語", "e\u{301}tt ｆｕｌｌ", String(repeating: "ö", count: 5_000)] {
            _ = try store.read { try $0.similarIdeas(to: text, excluding: nil, limit: 3) }
        }
        #expect(try store.read { try $0.similarIdeas(to: "skrivaren krånglar", excluding: nil, limit: 3) }.map(\.number) == [1])
    }

    @Test func aDatabaseFromV1GetsItsSubmittedIdeasIndexed() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("skav-v2-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("skav.sqlite").path
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let queue = try DatabaseQueue(path: path)
        try Schema.migrator.migrate(queue, upTo: "v1")
        try queue.write { db in
            // The columns of v1 only: later columns (e.g. v6's campaign) do not exist yet.
            for (number, text, stage) in [
                (1, "Det tar för lång tid att boka tolk till hembesök.", IdeaStage.inkommen),
                (2, "Tolk till hembesök tar lång tid att boka.", IdeaStage.utkast),
            ] {
                let row = idea(number, text, stage: stage)
                try db.execute(
                    sql: """
                        INSERT INTO idea (number, author, title, problem, stage, created_at, updated_at, submitted_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        row.number, row.author.rawValue, row.title, row.problem, row.stage.rawValue, row.createdAt,
                        row.updatedAt, row.submittedAt,
                    ])
            }
        }
        try queue.close()
        let store = try IntakeStore(path: path)
        #expect(try store.appliedMigrations() == ["v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v12", "v13", "v14", "v15", "v16", "v17", "v18", "v19"])
        let found = try store.read { try $0.similarIdeas(to: "Tolkbokning till hembesök tar tid", excluding: nil, limit: 3) }
        #expect(found.map(\.number) == [1])
    }

    @Test func linksAreStoredOncePerPair() throws {
        let store = try IntakeStore()
        try store.write { tx in
            #expect(try tx.linkIdeas(3, 1, by: "@ia:kommun.se", at: now))
            #expect(try !tx.linkIdeas(1, 3, by: "@ia:kommun.se", at: now))
            #expect(try !tx.linkIdeas(2, 2, by: "@ia:kommun.se", at: now))
            try tx.linkIdeas(1, 2, by: "@ia:kommun.se", at: now)
        }
        #expect(try store.read { try $0.links(ofIdea: 1) } == [2, 3])
        #expect(try store.read { try $0.links(ofIdea: 3) } == [1])
    }

    @Test func stageRules() {
        let allowed: [IdeaStage: [IdeaStage]] = [
            .inkommen: [.bedoms, .parkerad, .avslutad], .bedoms: [.utvecklas, .parkerad, .avslutad],
            .utvecklas: [.testas, .parkerad, .avslutad], .testas: [.realiserad, .parkerad, .avslutad],
            .parkerad: [.bedoms, .avslutad], .realiserad: [], .avslutad: [], .utkast: [],
        ]
        for from in IdeaStage.allCases {
            for to in IdeaStage.allCases {
                let refusal = StageRules.check(from: from, to: to, comment: "lärdom")
                if from == to {
                    #expect(refusal == .unchanged)
                } else {
                    #expect((refusal == nil) == allowed[from]!.contains(to), "\(from) → \(to)")
                }
            }
        }
        #expect(StageRules.check(from: .bedoms, to: .avslutad, comment: nil) == .lessonRequired)
        #expect(StageRules.check(from: .bedoms, to: .avslutad, comment: "  ") == .lessonRequired)
        let result = StageRules.move(idea(1, "x y z"), to: .bedoms, comment: " ", by: "@karin:kommun.se", at: now)
        guard case .success(let (moved, event)) = result else { Issue.record("refused"); return }
        #expect(moved.stage == .bedoms && event.fromStage == .inkommen && event.toStage == .bedoms)
        #expect(event.comment == nil && event.actor == "@karin:kommun.se" && event.kind == .stage)
    }

    @Test func stageNames() {
        let cases: [(String, IdeaStage)] = [
            ("bedöms", .bedoms), ("BEDOMS", .bedoms), ("review", .bedoms), ("Utvecklas", .utvecklas),
            ("develop", .utvecklas), ("testas", .testas), ("pilot", .testas), ("realiserad", .realiserad),
            ("realised", .realiserad), ("parkerad", .parkerad), ("parked", .parkerad), ("avslutad", .avslutad),
            ("closed", .avslutad), ("inkommen", .inkommen), ("submitted", .inkommen),
        ]
        for (name, stage) in cases { #expect(IdeaStage(name: name) == stage, "\(name)") }
        #expect(IdeaStage(name: "flyger") == nil)
    }

    @Test func rolesAndRouting() {
        let roles = Roles(
            coordinators: ["@ia:kommun.se"],
            guides: [.init(user: "@karin:kommun.se", units: ["Socialtjänst"]), .init(user: "@olle:kommun.se", units: ["Skola"])])
        var social = idea(1, "x")
        #expect(roles.recipients(for: social) == ["@karin:kommun.se"])
        #expect(roles.canManage(social, by: "@karin:kommun.se") && !roles.canManage(social, by: "@olle:kommun.se"))
        #expect(roles.canSee(social, by: "@anna:kommun.se") && !roles.canSee(social, by: "@bertil:kommun.se"))
        #expect(roles.canManage(social, by: "@ia:kommun.se"))
        social.unit = "Äldreomsorg"
        #expect(roles.recipients(for: social) == ["@ia:kommun.se"])
        social.guide = "@olle:kommun.se"
        #expect(roles.contacts(for: social) == ["@olle:kommun.se"])
    }
}

/// A transaction remembers its similar-idea searches while no other idea changes.
@Suite struct SimilarityMemoTests {
    let now = Date(timeIntervalSince1970: 1_790_000_000)

    func idea(_ number: Int, _ problem: String, stage: IdeaStage = .inkommen) -> Idea {
        Idea(
            number: number, author: "@anna:kommun.se", title: deriveTitle(from: problem), problem: problem,
            unit: "Socialtjänst", stage: stage, createdAt: now, updatedAt: now)
    }

    @Test func anAnswerHoldsUntilAnotherIdeaChanges() throws {
        let store = try IntakeStore()
        let text = "Tolkbokningen till hembesök tar för lång tid"
        try store.write { tx in
            try tx.saveIdea(idea(1, "Det tar för lång tid att boka tolk till hembesök."))
            try tx.saveIdea(idea(2, text, stage: .utkast))
            let key = SimilarityMemo.Key(terms: Similarity.terms(text), excluding: 2)
            #expect(try tx.similarIdeas(to: text, excluding: 2, limit: 50).map(\.number) == [1])
            #expect(tx.similarityMemo.found(key) != nil)
            // Submitting the idea the search leaves out keeps the answer, and the submission reads it.
            var submitted = try #require(try tx.idea(number: 2))
            submitted.stage = .inkommen
            try tx.saveIdea(submitted)
            #expect(tx.similarityMemo.found(key) != nil)
            #expect(try tx.recordSimilarity(of: submitted, at: now).map(\.number) == [1])
            // Another idea changes: the answer is asked anew and finds it.
            try tx.saveIdea(idea(3, "Hembesök väntar på tolkbokning i veckor"))
            #expect(tx.similarityMemo.found(key) == nil)
            #expect(Set(try tx.similarIdeas(to: text, excluding: 2, limit: 50).map(\.number)) == [1, 3])
            try tx.deleteIdea(number: 3)
            #expect(try tx.similarIdeas(to: text, excluding: 2, limit: 50).map(\.number) == [1])
            // A savepoint rolled back forgets every answer.
            try? tx.savepoint {
                try tx.saveIdea(idea(4, "Tolk till hembesök går inte att boka"))
                _ = try tx.similarIdeas(to: text, excluding: 4, limit: 50)
                throw IntakeError(.corrupt, "rolled back")
            }
            #expect(tx.similarityMemo.found(SimilarityMemo.Key(terms: Similarity.terms(text), excluding: 4)) == nil)
            #expect(try tx.similarIdeas(to: text, excluding: 2, limit: 50).map(\.number) == [1])
        }
    }
}
