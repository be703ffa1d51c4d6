import Chat
import Foundation
import GRDB
import Intake
import Synchronization

/// Similar ideas in bounded time, whatever the size of the intake.
///
/// The index (`idea_stems`, FTS5) holds each submitted idea's stems, kept when it was submitted, and is asked
/// only for the new idea's *distinctive* stems: each stem's document frequency (how many submitted ideas hold
/// it or a longer stem it begins, since the index is asked for the prefix; kept in `term_stats` as ideas are
/// submitted: a range read of its key, not a scan of postings) is looked up, the rarest come first, and stems
/// are taken while the postings they bring stay within `postingBudget` (at most `maxQueryTerms`). Ordinary
/// workplace words that half of all ideas share ("tid", "system") therefore never bring half the intake. The
/// ideas found are ranked by the summed rarity of the stems each holds, the best `candidateLimit` are read
/// with their kept stems and scored with `Similarity.score` (Swedish stems, compounds). In a small intake
/// every stem is within budget, so nothing changes there.
extension IntakeTransaction {
    /// Postings (ideas containing a query stem) read per lookup.
    static let postingBudget = 2_000
    static let maxQueryTerms = 8
    /// Candidates scored in Swift.
    static let candidateLimit = 40

    /// Up to `limit` submitted ideas whose text is close to `terms` (see `Similarity.terms`), best first.
    public func similarIdeas(terms: [String], excluding number: Int?, limit: Int) throws -> [SimilarIdea] {
        guard limit > 0 else { return [] }
        let key = SimilarityMemo.Key(terms: terms, excluding: number)
        if let known = similarityMemo.found(key) { return Array(known.prefix(limit)) }
        let found = try allSimilarIdeas(terms: terms, excluding: number)
        similarityMemo.remember(found, for: key)
        return Array(found.prefix(limit))
    }

    /// Every candidate at or above the threshold, best first.
    func allSimilarIdeas(terms: [String], excluding number: Int?) throws -> [SimilarIdea] {
        let numbers = try candidates(terms)
        guard !numbers.isEmpty else { return [] }
        var found: [SimilarIdea] = []
        for (candidate, other) in try comparableIdeas(numbers) where candidate != number && other.stage != .utkast {
            let score = Similarity.score(terms, other.terms)
            if score >= Similarity.threshold {
                found.append(SimilarIdea(number: candidate, title: other.title, stage: other.stage, score: score))
            }
        }
        found.sort { ($0.score, -$0.number) > ($1.score, -$1.number) }
        return found
    }

    /// An idea as a similar-idea lookup compares it: its title, stage and stems.
    struct ComparableIdea {
        var title: String
        var stage: IdeaStage
        var terms: [String]
    }

    /// These ideas as a lookup compares them, by number (missing numbers are left out). The stems come from
    /// `idea_stems`, kept when each idea was submitted: splitting every candidate's text into stems again was
    /// two thirds of a lookup's time at 100,000 ideas. An idea without kept stems (its text changed since)
    /// is split from its text.
    func comparableIdeas(_ numbers: [Int]) throws -> [(Int, ComparableIdea)] {
        var result: [(Int, ComparableIdea)] = []
        result.reserveCapacity(numbers.count)
        // The numbers as one JSON list: one prepared statement whatever their count (a list of `?` made a
        // statement to prepare for every lookup).
        let statement = try db.cachedStatement(
            sql: """
                SELECT idea.number, idea.title, idea.stage, idea_stems.stems,
                       CASE WHEN idea_stems.stems IS NULL THEN idea.problem END,
                       CASE WHEN idea_stems.stems IS NULL THEN idea.solution END
                FROM idea LEFT JOIN idea_stems ON idea_stems.rowid = idea.number
                WHERE idea.number IN (SELECT value FROM json_each(?))
                """)
        for chunk in numbers.inBatches() {
            let rows = try Row.fetchCursor(statement, arguments: [Self.jsonList(chunk)])
            while let row = try rows.next() {
                guard let stage = IdeaStage(rawValue: row[2]) else { continue }
                let terms: [String]
                if let stems: String = row[3] {
                    terms = Self.splitStems(stems)
                } else {
                    let problem: String = row[4] ?? ""
                    let solution: String? = row[5]
                    terms = Similarity.terms(Similarity.text(problem: problem, solution: solution))
                }
                result.append((row[0], ComparableIdea(title: row[1], stage: stage, terms: terms)))
            }
        }
        return result
    }

    /// Stems as `idea_stems` keeps them: separated by one space (a stem is letters and digits only).
    static func joinStems(_ stems: [String]) -> String { stems.joined(separator: " ") }
    static func splitStems(_ text: String) -> [String] {
        text.utf8.split(separator: UInt8(ascii: " ")).compactMap { String($0) }
    }

    /// The candidates of a lookup, best first: the ideas holding the distinctive stems, ranked by the summed
    /// rarity (bm25's idf) of the stems each holds; among equals, the newer. Each stem's ideas come from the
    /// index, no ranking (SQLite's bm25 cost about 2 µs per matching idea, ten times what finding it costs,
    /// and was most of a lookup's time): the ideas with a stem it begins (`"tolk"*` finds "tolkbok") and
    /// those with a shorter stem of at least four letters that begins it (`"tolk"` for "tolkbok"), as
    /// `Similarity.score` matches them.
    func candidates(_ terms: [String]) throws -> [Int] {
        let stems = try distinctiveStems(terms)
        guard !stems.isEmpty else { return [] }
        let statement = try db.cachedStatement(sql: "SELECT rowid FROM idea_stems WHERE idea_stems MATCH ?")
        let total = Double(max(1, try Int.fetchOne(try db.cachedStatement(sql: "SELECT MAX(number) FROM idea")) ?? 1))
        var weights: [Int: Double] = [:]
        for stem in stems {
            // A stem is one word to Skav; SQLite's tokenizer (Unicode 6.1) may see letters of a newer script as
            // separators and the stem as a phrase, which an index without positions refuses: that stem finds
            // nothing, the lookup goes on with the others.
            let numbers: [Int]
            do {
                numbers = try Int.fetchAll(statement, arguments: [Self.indexQuery(of: stem)])
            } catch let error as DatabaseError where error.resultCode == .SQLITE_ERROR {
                continue
            }
            let documents = Double(numbers.count)
            let rarity = log((total - documents + 0.5) / (documents + 0.5) + 1)
            for number in numbers { weights[number, default: 0] += rarity }
        }
        return weights.sorted { ($0.value, $0.key) > ($1.value, $1.key) }.prefix(Self.candidateLimit).map(\.key)
    }

    /// The index's query for one stem: itself as a prefix, and its shorter stems exactly.
    static func indexQuery(of stem: String) -> String {
        (["\"\(stem)\"*"] + shorterStems(of: stem).map { "\"\($0)\"" }).joined(separator: " OR ")
    }

    /// The shorter stems that `Similarity.score` matches with `stem`: its beginnings of four letters or more
    /// (at most 32 of them, however long the stem).
    static func shorterStems(of stem: String) -> [String] {
        let count = stem.count
        guard count > 4 else { return [] }
        return (4..<min(count, 36)).map { String(stem.prefix($0)) }
    }

    /// The FTS query of the rarest stems within the posting budget, or nil when there is no stem (or none
    /// rare enough to say anything).
    func distinctiveQuery(_ terms: [String]) throws -> String? {
        let chosen = try distinctiveStems(terms)
        return chosen.isEmpty ? nil : chosen.map { "\"\($0)\"*" }.joined(separator: " OR ")
    }

    /// The rarest stems within the posting budget (none when there is no stem, or none rare enough to say anything).
    func distinctiveStems(_ terms: [String]) throws -> [String] {
        // A stem is letters and digits; a quote would end the index's query early, so none is let through.
        let stems = terms.prefix(32).map { $0.utf8.contains(0x22) ? String($0.filter { $0 != "\"" }) : $0 }
            .filter { !$0.isEmpty }
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

/// The similar-idea searches of one transaction, so that the same search is not made twice: the reply to
/// `klar` names the similar ideas, and the submission then keeps them (`recordSimilarity`), both for the
/// same text in the same batch. A search's answer holds while no idea changes, except the one it leaves
/// out: saving or deleting idea N forgets every answer but those that leave N out (N's own submission), and
/// a savepoint rolled back forgets them all. (Submitting N also counts its stems in `term_stats`, which
/// steers which stems a later search asks for; the answer kept for N's submission is the one given before
/// N counted, with N left out either way.)
final class SimilarityMemo: Sendable {
    struct Key: Hashable, Sendable {
        var terms: [String]
        var excluding: Int?
    }

    private let answers = Mutex<[Key: [SimilarIdea]]>([:])

    func found(_ key: Key) -> [SimilarIdea]? { answers.withLock { $0[key] } }

    func remember(_ found: [SimilarIdea], for key: Key) {
        answers.withLock { answers in
            // A batch makes a handful of searches; a bound all the same.
            if answers.count >= 64 { answers.removeAll() }
            answers[key] = found
        }
    }

    func forget(changing number: Int) {
        answers.withLock { answers in
            guard !answers.isEmpty else { return }
            answers = answers.filter { $0.key.excluding == number }
        }
    }

    func forgetAll() { answers.withLock { $0.removeAll() } }
}

/// One similar idea stored at submit: its number and score.
public struct StoredMatch: Sendable, Equatable {
    public var number: Int
    public var score: Double
}

extension IntakeTransaction {
    /// How many similar ideas are kept per submitted idea.
    public static let storedMatches = 10

    /// Finds and keeps the ideas similar to `idea` (called when it is submitted); returns them.
    @discardableResult
    public func recordSimilarity(of idea: Idea, at date: Date) throws -> [SimilarIdea] {
        let found = try similarIdeas(
            terms: Similarity.terms(Similarity.text(of: idea)), excluding: idea.number, limit: Self.storedMatches)
        let matches = found.map { "\($0.number):\(String(format: "%.3f", $0.score))" }.joined(separator: " ")
        try db.cachedStatement(
            sql: """
                INSERT INTO idea_similarity (idea_number, matches, computed_at) VALUES (?, ?, ?)
                ON CONFLICT(idea_number) DO UPDATE SET matches = excluded.matches, computed_at = excluded.computed_at
                """
        ).execute(arguments: [idea.number, matches, StoredDate.text(date)])
        return found
    }

    /// The stored similar ideas of these ideas, by number. Of the ideas never looked at (submitted before
    /// matches were kept at submit), at most `lookups` are looked up now (and not kept: a digest reads from a
    /// snapshot); the others are missing.
    public func storedSimilarity(of ideas: [Idea], lookingUpAtMost lookups: Int) throws -> [Int: [StoredMatch]] {
        var stored = try storedSimilarity(of: ideas.map(\.number))
        for idea in ideas.filter({ stored[$0.number] == nil }).prefix(max(0, lookups)) {
            stored[idea.number] = try similarIdeas(
                terms: Similarity.terms(Similarity.text(of: idea)), excluding: idea.number, limit: Self.storedMatches
            ).map { StoredMatch(number: $0.number, score: $0.score) }
        }
        return stored
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
    /// About how many postings the index's query of each stem (`indexQuery`) brings: the ideas holding each
    /// stem that begins with it and each shorter stem it begins with, summed (stems no idea holds count 0).
    /// The prefix query matches every stem that begins with the stem, so a rare stem that begins common ones
    /// (a typo's "tim" of "timm") is as costly as they are: counted by its exact stem alone, it went first
    /// and SQLite ranked thousands. One range read of `term_stats`' key per stem, one key read per shorter stem.
    func termFrequencies(_ stems: [String]) throws -> [String: Int] {
        guard !stems.isEmpty else { return [:] }
        let range = try db.cachedStatement(
            sql: "SELECT COALESCE(SUM(ideas), 0) FROM term_stats WHERE stem >= ? AND stem < ?")
        let exact = try db.cachedStatement(sql: "SELECT ideas FROM term_stats WHERE stem = ?")
        var result: [String: Int] = [:]
        for stem in Set(stems) {
            // U+10FFFF sorts after any character a stem can go on with (SQLite compares UTF-8 bytes).
            var postings = try Int.fetchOne(range, arguments: [stem, stem + "\u{10FFFF}"]) ?? 0
            for shorter in Self.shorterStems(of: stem) { postings += try Int.fetchOne(exact, arguments: [shorter]) ?? 0 }
            if postings > 0 { result[stem] = postings }
        }
        return result
    }

    /// Puts a submitted idea in the similar-idea index: its stems kept for lookups to find and compare, and
    /// counted in `term_stats` (by `saveIdea`, when the index does not hold the idea yet). Counts only grow:
    /// they steer which stems a lookup asks for, and a text that changes after submission is rare.
    func indexTerms(of idea: Idea) throws {
        let stems = Similarity.terms(Similarity.text(of: idea))
        try Self.countTerms(stems, in: db)
        try db.cachedStatement(sql: "DELETE FROM idea_stems WHERE rowid = ?").execute(arguments: [idea.number])
        try db.cachedStatement(sql: "INSERT INTO idea_stems (rowid, stems) VALUES (?, ?)")
            .execute(arguments: [idea.number, Self.joinStems(stems)])
    }

    static func countTerms(_ stems: [String], in db: Database) throws {
        for stem in stems {
            try db.cachedStatement(
                sql: "INSERT INTO term_stats (stem, ideas) VALUES (?, 1) ON CONFLICT(stem) DO UPDATE SET ideas = ideas + 1"
            ).execute(arguments: [stem])
        }
    }
}
