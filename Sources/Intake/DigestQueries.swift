import Chat
import Foundation
import GRDB

// The store queries the digest needs (DESIGN.md §5) that the rest of the intake does not.

extension IntakeTransaction {
    /// Ideas submitted in `[since, until)` (drafts never), by number.
    public func ideas(submittedFrom since: Date, until: Date) throws -> [Idea] {
        try Idea.filter(
            Column("stage") != IdeaStage.utkast.rawValue && Column("submitted_at") >= since
                && Column("submitted_at") < until
        ).order(Column("number")).fetchAll(db)
    }

    /// History lines of every idea with `at` in `[since, until)`, of the given kinds (nil: all), oldest first.
    public func ideaEvents(from since: Date, until: Date, kinds: [IdeaEvent.Kind]? = nil) throws -> [IdeaEvent] {
        var request = IdeaEvent.filter(Column("at") >= since && Column("at") < until)
        if let kinds { request = request.filter(kinds.map(\.rawValue).contains(Column("kind"))) }
        return try request.order(Column("at"), Column("id")).fetchAll(db)
    }
}

extension IntakeTransaction {
    /// How many ideas are in each stage (stages without ideas are missing).
    public func ideaCountsByStage() throws -> [IdeaStage: Int] {
        var counts: [IdeaStage: Int] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT stage, COUNT(*) AS n FROM idea GROUP BY stage") {
            if let stage = IdeaStage(rawValue: row["stage"]) { counts[stage] = row["n"] }
        }
        return counts
    }
}
