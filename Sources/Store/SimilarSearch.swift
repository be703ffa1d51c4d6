import Chat
import Foundation
import GRDB
import Intake

/// Similar ideas in bounded time, whatever the size of the intake.
///
/// The candidates come from the full-text index, asked only for the new idea's *distinctive* stems: each
/// stem's document frequency (how many submitted ideas hold it, kept in `term_stats` as ideas are
/// submitted: one indexed read, not a scan of the index's postings) is looked up, the rarest come first, and stems are taken while the postings they bring stay within `postingBudget` (at most
/// `maxQueryTerms`). Ordinary workplace words that half of all ideas share ("tid", "system") therefore
/// never make SQLite rank half the intake. SQLite ranks the matches with bm25 and returns the best
/// `candidateLimit`; those are scored with `Similarity.score` (Swedish stems, compounds), as before.
/// In a small intake every stem is within budget, so nothing changes there.
extension IntakeTransaction {
    /// Postings (ideas containing a query stem) SQLite may rank per lookup.
    static let postingBudget = 2_000
    static let maxQueryTerms = 8
    static let candidateLimit = 40

    /// Up to `limit` submitted ideas whose text is close to `terms` (see `Similarity.terms`), best first.
    public func similarIdeas(terms: [String], excluding number: Int?, limit: Int) throws -> [SimilarIdea] {
        guard limit > 0, let query = try distinctiveQuery(terms) else { return [] }
        let rows = try Row.fetchAll(
            try db.cachedStatement(sql: """
                SELECT i.number, i.title, i.problem, i.solution, i.stage
                FROM (SELECT rowid FROM idea_fts WHERE idea_fts MATCH ? ORDER BY rank LIMIT ?) AS f
                JOIN idea i ON i.number = f.rowid
                """),
            arguments: [query, Self.candidateLimit])
        var found: [SimilarIdea] = []
        for row in rows {
            let candidate: Int = row["number"]
            guard candidate != number, let stage = IdeaStage(rawValue: row["stage"]), stage != .utkast else { continue }
            let problem: String = row["problem"]
            let solution: String? = row["solution"]
            let score = Similarity.score(terms, Similarity.terms([problem, solution ?? ""].joined(separator: " ")))
            if score >= Similarity.threshold {
                found.append(SimilarIdea(number: candidate, title: row["title"], stage: stage, score: score))
            }
        }
        found.sort { ($0.score, -$0.number) > ($1.score, -$1.number) }
        return Array(found.prefix(limit))
    }

    /// The FTS query of the rarest stems within the posting budget, or nil when there is no stem (or none
    /// rare enough to say anything).
    func distinctiveQuery(_ terms: [String]) throws -> String? {
        let stems = terms.prefix(32).map { $0.replacingOccurrences(of: "\"", with: "") }.filter { !$0.isEmpty }
        guard !stems.isEmpty else { return nil }
        // How many ideas hold each stem, from `term_stats` (one indexed query; kept when ideas are submitted).
        let known = try termFrequencies(stems)
        // Rarest first; among equally rare stems, the order of the text.
        let frequencies = stems.enumerated().map { (stem: $0.element, documents: known[$0.element] ?? 0, position: $0.offset) }
        let ordered = frequencies.sorted { ($0.documents, $0.position) < ($1.documents, $1.position) }
        var chosen: [String] = []
        var postings = 0
        for (stem, documents, _) in ordered {
            guard chosen.count < Self.maxQueryTerms, postings + documents <= Self.postingBudget else { break }
            chosen.append(stem)
            postings += documents
        }
        return chosen.isEmpty ? nil : chosen.map { "\"\($0)\"*" }.joined(separator: " OR ")
    }
}

/// One similar idea stored at submit: its number and score.
public struct StoredMatch: Sendable, Equatable {
    public var number: Int
    public var score: Double

    public init(number: Int, score: Double) {
        self.number = number
        self.score = score
    }
}

extension IntakeTransaction {
    /// How many similar ideas are kept per submitted idea.
    public static let storedMatches = 10

    /// Finds and keeps the ideas similar to `idea` (called when it is submitted); returns them.
    @discardableResult
    public func recordSimilarity(of idea: Idea, at date: Date) throws -> [SimilarIdea] {
        try countTerms(of: idea)
        let found = try similarIdeas(
            terms: Similarity.terms(Similarity.text(of: idea)), excluding: idea.number, limit: Self.storedMatches)
        let matches = found.map { "\($0.number):\(String(format: "%.3f", $0.score))" }.joined(separator: " ")
        try db.cachedStatement(
            sql: """
                INSERT INTO idea_similarity (idea_number, matches, computed_at) VALUES (?, ?, ?)
                ON CONFLICT(idea_number) DO UPDATE SET matches = excluded.matches, computed_at = excluded.computed_at
                """
        ).execute(arguments: [idea.number, matches, date])
        return found
    }

    /// The stored similar ideas of these ideas, by number; ideas never looked at are missing.
    public func storedSimilarity(of numbers: [Int]) throws -> [Int: [StoredMatch]] {
        var result: [Int: [StoredMatch]] = [:]
        for chunk in numbers.inBatches() {
            let rows = try Row.fetchAll(
                db, sql: "SELECT idea_number, matches FROM idea_similarity WHERE idea_number IN (\(chunk.map { _ in "?" }.joined(separator: ",")))",
                arguments: StatementArguments(chunk))
            for row in rows {
                let text: String = row["matches"]
                result[row["idea_number"]] = text.split(separator: " ").compactMap { pair in
                    let parts = pair.split(separator: ":")
                    guard parts.count == 2, let number = Int(parts[0]), let score = Double(parts[1]) else { return nil }
                    return StoredMatch(number: number, score: score)
                }
            }
        }
        return result
    }
}

extension IntakeTransaction {
    /// How many submitted ideas hold each of these stems (stems no idea holds are missing).
    func termFrequencies(_ stems: [String]) throws -> [String: Int] {
        guard !stems.isEmpty else { return [:] }
        let rows = try Row.fetchAll(
            db, sql: "SELECT stem, ideas FROM term_stats WHERE stem IN (\(stems.map { _ in "?" }.joined(separator: ",")))",
            arguments: StatementArguments(stems))
        return Dictionary(rows.map { ($0["stem"], $0["ideas"]) }, uniquingKeysWith: { first, _ in first })
    }

    /// Counts a submitted idea's stems (called once per idea, when it is submitted).
    public func countTerms(of idea: Idea) throws {
        try Self.countTerms(Similarity.terms(Similarity.text(of: idea)), in: db)
    }

    static func countTerms(_ stems: [String], in db: Database) throws {
        for stem in stems {
            try db.cachedStatement(
                sql: "INSERT INTO term_stats (stem, ideas) VALUES (?, 1) ON CONFLICT(stem) DO UPDATE SET ideas = ideas + 1"
            ).execute(arguments: [stem])
        }
    }
}
