import Chat
import Foundation
import GRDB
import Intake

// The store queries the digest needs (SkavBot.docc/Digests.md) that the rest of the intake does not.

extension IntakeTransaction {
    /// Ideas submitted in `[since, until)` (drafts never), by number.
    public func ideas(submittedFrom since: Date, until: Date) throws -> [Idea] {
        try Idea.filter(
            Column("stage") != IdeaStage.utkast.rawValue && Column("submitted_at") >= since
                && Column("submitted_at") < until
        ).order(Column("number")).fetchAll(db)
    }

    /// These ideas (drafts too), by number, in one query per 500 numbers; numbers without an idea are missing.
    public func ideas(numbers: [Int]) throws -> [Int: Idea] {
        // The numbers as one JSON list: one prepared statement for any count.
        // Columns by position: the similar ideas of every submission are read here.
        let statement = try DirectStatement(db, "SELECT \(Idea.selection) FROM idea WHERE number IN (SELECT value FROM json_each(?))")
        var result: [Int: Idea] = [:]
        for chunk in numbers.inBatches() {
            for values in try statement.rows([Self.jsonList(chunk).databaseValue]) {
                let idea = try Idea(values: values)
                result[idea.number] = idea
            }
        }
        return result
    }

    /// The consent requests of these ideas, by idea number, in one query per 500 numbers.
    public func liftRequests(ideas numbers: [Int]) throws -> [Int: LiftRequest] {
        let statement = try db.cachedStatement(sql: "SELECT * FROM lift WHERE idea_number IN (SELECT value FROM json_each(?))")
        var result: [Int: LiftRequest] = [:]
        for chunk in numbers.inBatches() {
            for request in try LiftRequest.fetchAll(statement, arguments: [Self.jsonList(chunk)]) { result[request.ideaNumber] = request }
        }
        return result
    }

    /// Numbers as a JSON list, the argument of `IN (SELECT value FROM json_each(?))`.
    static func jsonList(_ numbers: some Collection<Int>) -> String {
        "[" + numbers.map(String.init).joined(separator: ",") + "]"
    }

    /// History lines of every idea with `at` in `[since, until)`, of the given kinds (nil: all), oldest first.
    public func ideaEvents(from since: Date, until: Date, kinds: [IdeaEvent.Kind]? = nil) throws -> [IdeaEvent] {
        var request = IdeaEvent.filter(Column("at") >= since && Column("at") < until)
        if let kinds { request = request.filter(kinds.map(\.rawValue).contains(Column("kind"))) }
        return try request.order(Column("at"), Column("id")).fetchAll(db)
    }

    /// The ideas that may be overdue by the digest's rules, found with indexes: `inkommen` ideas submitted
    /// before `followupBefore`, and `utvecklas`/`testas` ideas not updated since `staleBefore`. (Working time
    /// is never longer than calendar time, so these bounds keep every idea that can be overdue.)
    /// Read lean: without their texts (`problem` is empty; `benefits`, `solution` and `challenge` are nil),
    /// which a digest does not show and which were a third of reading thousands of open ideas.
    public func overdueCandidates(followupBefore: Date, staleBefore: Date) throws -> [Idea] {
        let rows = try Row.fetchCursor(
            db,
            sql: """
                SELECT number, author, title, unit, stage, guide, created_at, updated_at, submitted_at, campaign
                FROM idea
                WHERE (stage = ? AND submitted_at < ?) OR (stage IN (?, ?) AND updated_at < ?)
                ORDER BY number
                """,
            arguments: [
                IdeaStage.inkommen.rawValue, StoredDate.text(followupBefore), IdeaStage.utvecklas.rawValue,
                IdeaStage.testas.rawValue, StoredDate.text(staleBefore),
            ])
        var found: [Idea] = []
        while let row = try rows.next() {
            guard let stage = IdeaStage(rawValue: row[4]) else {
                throw IntakeError(.corrupt, "idea \(row[0] as Int? ?? 0) has an unknown stage")
            }
            found.append(
                Idea(
                    number: row[0], author: UserID(rawValue: row[1]), title: row[2], problem: "", unit: row[3],
                    stage: stage, guide: (row[5] as String?).map(UserID.init(rawValue:)),
                    createdAt: try StoredDate.required(row, 6, "idea \(row[0] as Int? ?? 0)"),
                    updatedAt: try StoredDate.required(row, 7, "idea \(row[0] as Int? ?? 0)"),
                    submittedAt: StoredDate.date(row, 8), campaign: row[9]))
        }
        return found
    }

    /// The history of each of these ideas, oldest first, in one query per 500 ideas.
    public func events(ofIdeas numbers: [Int]) throws -> [Int: [IdeaEvent]] {
        var result: [Int: [IdeaEvent]] = [:]
        for chunk in numbers.inBatches() {
            for event in try IdeaEvent.filter(chunk.contains(Column("idea_number"))).order(Column("idea_number"), Column("id")).fetchAll(db) {
                result[event.ideaNumber, default: []].append(event)
            }
        }
        return result
    }

    /// What the overdue rules read of each idea's history (when, who, what), without the stages and
    /// comments: a lean read for the thousands of open ideas a digest looks at.
    public func timelines(ofIdeas numbers: [Int]) throws -> [Int: [IdeaEvent]] {
        var result: [Int: [IdeaEvent]] = [:]
        for chunk in numbers.inBatches() {
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT idea_number, at, actor, kind FROM idea_event
                    WHERE idea_number IN (\(chunk.map { _ in "?" }.joined(separator: ","))) ORDER BY idea_number, id
                    """,
                arguments: StatementArguments(chunk))
            while let row = try rows.next() {
                // By position: a name lookup per column and row is noticeable over thousands of histories.
                guard let kind = IdeaEvent.Kind(rawValue: row[3]) else { continue }
                let number: Int = row[0]
                let at = try StoredDate.required(row, 1, "a history line of idea \(number)")
                let actor: String = row[2]
                result[number, default: []].append(IdeaEvent(ideaNumber: number, at: at, actor: UserID(actor), kind: kind))
            }
        }
        return result
    }

    /// How many ideas are in each stage (stages without ideas are missing).
    public func ideaCountsByStage() throws -> [IdeaStage: Int] {
        var counts: [IdeaStage: Int] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT stage, COUNT(*) AS n FROM idea GROUP BY stage") {
            if let stage = IdeaStage(rawValue: row["stage"]) { counts[stage] = row["n"] }
        }
        return counts
    }

    /// `similarIdeas(to: Similarity.text(of: idea), excluding: idea.number, limit:)` for each idea, by its
    /// number: the same candidates, scores and order, but each candidate is read and split into stems once
    /// for the whole batch (a digest of a busy week asks about hundreds of ideas that share candidates).
    public func similarIdeas(toEach ideas: [Idea], limit: Int) throws -> [Int: [SimilarIdea]] {
        var known: [Int: ComparableIdea?] = [:]
        var result: [Int: [SimilarIdea]] = [:]
        for idea in ideas {
            let terms = Similarity.terms(Similarity.text(of: idea))
            guard limit > 0 else {
                result[idea.number] = []
                continue
            }
            let numbers = try candidates(terms)
            let unread = numbers.filter { known[$0] == nil }
            for number in unread { known[number] = .some(nil) }
            for (number, other) in try comparableIdeas(unread) { known[number] = other }
            var found: [SimilarIdea] = []
            for number in numbers where number != idea.number {
                guard let other = known[number] ?? nil, other.stage != .utkast else { continue }
                let score = Similarity.score(terms, other.terms)
                if score >= Similarity.threshold {
                    found.append(SimilarIdea(number: number, title: other.title, stage: other.stage, score: score))
                }
            }
            found.sort { ($0.score, -$0.number) > ($1.score, -$1.number) }
            result[idea.number] = Array(found.prefix(limit))
        }
        return result
    }
}

// MARK: Reading the whole intake in bounded memory (`skav ideas export`)

extension IntakeTransaction {
    /// Every submitted idea (drafts never), by number, handed to `body` in batches of at most `size`: read
    /// from one database cursor, so memory holds one batch whatever the size of the intake.
    public func forEachIdeaBatch(size: Int = 500, _ body: ([Idea]) throws -> Void) throws {
        let cursor = try Idea.filter(Column("stage") != IdeaStage.utkast.rawValue).order(Column("number")).fetchCursor(db)
        var batch: [Idea] = []
        batch.reserveCapacity(max(1, size))
        while let idea = try cursor.next() {
            batch.append(idea)
            if batch.count >= max(1, size) {
                try body(batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        if !batch.isEmpty { try body(batch) }
    }

    /// The linked ideas of each of these ideas (as `links(ofIdea:)` gives them: ascending, each once), in one
    /// query per 500 ideas. Ideas without links are missing.
    public func links(ofIdeas numbers: [Int]) throws -> [Int: [Int]] {
        var found: [Int: Set<Int>] = [:]
        for chunk in numbers.inBatches() {
            let marks = chunk.map { _ in "?" }.joined(separator: ",")
            let arguments = StatementArguments(chunk + chunk)
            for row in try Row.fetchAll(
                db,
                sql: "SELECT a AS idea, b AS other FROM idea_link WHERE a IN (\(marks)) UNION SELECT b, a FROM idea_link WHERE b IN (\(marks))",
                arguments: arguments)
            {
                found[row["idea"], default: []].insert(row["other"])
            }
        }
        return found.mapValues { $0.sorted() }
    }
}

extension Array {
    /// The elements in batches of at most `size`: one `IN (…)` query per batch stays under SQLite's limit
    /// on bound parameters, whatever the number of ideas.
    func inBatches(of size: Int = 500) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min(count, $0 + size)] }
    }
}
