import Chat
import Foundation
import GRDB
import Intake

/// Similar ideas in bounded time, whatever the size of the intake.
///
/// The candidates come from the full-text index, asked only for the new idea's *distinctive* stems: each
/// stem's document frequency (how many submitted ideas hold it or a longer stem it begins, since the
/// index is asked for the prefix; kept in `term_stats` as ideas are submitted: a range read of its key, not
/// a scan of the index's postings) is looked up, the rarest come first, and stems are taken while the
/// postings they bring stay within `postingBudget` (at most `maxQueryTerms`). Ordinary workplace words that half of all ideas share ("tid", "system") therefore
/// never make SQLite rank half the intake. SQLite ranks the matches with bm25 and returns the best
/// `candidateLimit`; those are scored with `Similarity.score` (Swedish stems, compounds), as before.
/// In a small intake every stem is within budget, so nothing changes there.
extension IntakeTransaction {
    /// Postings (ideas containing a query stem) read per lookup.
    static let postingBudget = 2_000
    static let maxQueryTerms = 8
    /// Candidates scored in Swift.
    static let candidateLimit = 40

    /// Up to `limit` submitted ideas whose text is close to `terms` (see `Similarity.terms`), best first.
    public func similarIdeas(terms: [String], excluding number: Int?, limit: Int) throws -> [SimilarIdea] {
        guard limit > 0 else { return [] }
        let numbers = try candidates(terms)
        guard !numbers.isEmpty else { return [] }
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT number, title, problem, solution, stage FROM idea
                WHERE number IN (\(numbers.map { _ in "?" }.joined(separator: ",")))
                """,
            arguments: StatementArguments(numbers))
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

    /// The candidates of a lookup, best first: the ideas holding the distinctive stems, ranked by the summed
    /// rarity (bm25's idf) of the stems each holds; among equals, the newer. Each stem's ideas come from the
    /// index (`"stem"*`, no ranking); SQLite's bm25 cost about 2 µs per matching idea, ten times what
    /// finding it costs, and was most of a lookup's time.
    func candidates(_ terms: [String]) throws -> [Int] {
        let stems = try distinctiveStems(terms)
        guard !stems.isEmpty else { return [] }
        let statement = try db.cachedStatement(sql: "SELECT rowid FROM idea_fts WHERE idea_fts MATCH ?")
        let total = Double(max(1, try Int.fetchOne(db, sql: "SELECT MAX(number) FROM idea") ?? 1))
        var weights: [Int: Double] = [:]
        for stem in stems {
            let numbers = try Int.fetchAll(statement, arguments: ["\"\(stem)\"*"])
            let documents = Double(numbers.count)
            let rarity = log((total - documents + 0.5) / (documents + 0.5) + 1)
            for number in numbers { weights[number, default: 0] += rarity }
        }
        return weights.sorted { ($0.value, $0.key) > ($1.value, $1.key) }.prefix(Self.candidateLimit).map(\.key)
    }

    /// The FTS query of the rarest stems within the posting budget, or nil when there is no stem (or none
    /// rare enough to say anything).
    func distinctiveQuery(_ terms: [String]) throws -> String? {
        let chosen = try distinctiveStems(terms)
        return chosen.isEmpty ? nil : chosen.map { "\"\($0)\"*" }.joined(separator: " OR ")
    }

    /// The rarest stems within the posting budget (none when there is no stem, or none rare enough to say anything).
    func distinctiveStems(_ terms: [String]) throws -> [String] {
        let stems = terms.prefix(32).map { $0.replacingOccurrences(of: "\"", with: "") }.filter { !$0.isEmpty }
        guard !stems.isEmpty else { return [] }
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
        return chosen
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
    /// About how many postings the index's prefix query of each stem (`"stem"*`) brings: the ideas holding
    /// each stem that begins with it, summed (stems no idea holds count 0). The query matches every word
    /// that begins with the stem, so a rare stem that begins common words (a typo's "tim" of "timmar") is
    /// as costly as they are: counted by its exact stem alone, it went first and SQLite ranked thousands.
    /// One range read of `term_stats`' key per stem.
    func termFrequencies(_ stems: [String]) throws -> [String: Int] {
        guard !stems.isEmpty else { return [:] }
        let statement = try db.cachedStatement(
            sql: "SELECT COALESCE(SUM(ideas), 0) FROM term_stats WHERE stem >= ? AND stem < ?")
        var result: [String: Int] = [:]
        for stem in Set(stems) {
            // U+10FFFF sorts after any character a stem can go on with (SQLite compares UTF-8 bytes).
            let postings = try Int.fetchOne(statement, arguments: [stem, stem + "\u{10FFFF}"]) ?? 0
            if postings > 0 { result[stem] = postings }
        }
        return result
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
