import Chat
import Foundation
import GRDB
import Intake

extension AuditEntry: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "audit_log"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase
    public static func databaseDateEncodingStrategy(for column: String) -> DatabaseDateEncodingStrategy { .storedText }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

// Personal-data rights (SkavBot.docc/Privacy.md): the audit log, `mina data` and `glöm mig`, and retention.

extension IntakeTransaction {
    // MARK: Audit log

    @discardableResult
    public func audit(_ entry: AuditEntry) throws -> AuditEntry {
        // Through one prepared statement, the columns as the record writes them (GRDB's generic insert built
        // its SQL for every entry, and a message writes one or two).
        try db.cachedStatement(
            sql: "INSERT INTO audit_log (id, at, actor, idea_number, action, detail) VALUES (?, ?, ?, ?, ?, ?)"
        ).execute(arguments: [entry.id, StoredDate.text(entry.at), entry.actor, entry.ideaNumber, entry.action.rawValue, entry.detail])
        var entry = entry
        entry.id = db.lastInsertedRowID
        return entry
    }

    /// Audit entries, oldest first: of one idea, or all.
    public func auditEntries(idea number: Int? = nil) throws -> [AuditEntry] {
        var request = AuditEntry.all()
        if let number { request = request.filter(Column("idea_number") == number) }
        return try request.order(Column("id")).fetchAll(db)
    }

    // MARK: mina data

    public func personalData(of user: UserID) throws -> PersonalDataExport {
        let ideas = try ideas(author: user).reversed().map { idea in
            PersonalDataExport.IdeaRecord(
                idea: idea, events: try events(ofIdea: idea.number), links: try links(ofIdea: idea.number))
        }
        let guiding = try Int.fetchAll(
            db, sql: "SELECT number FROM idea WHERE guide = ? ORDER BY number", arguments: [user.rawValue])
        let rooms = try String.fetchAll(
            db, sql: "SELECT room_id FROM direct_room WHERE user_id = ? ORDER BY created_at", arguments: [user.rawValue])
        let pending = try Int.fetchOne(
            db,
            sql: """
                SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL
                AND (recipient = ? OR room_id IN (SELECT room_id FROM direct_room WHERE user_id = ?))
                """,
            arguments: [user.rawValue, user.rawValue]) ?? 0
        let audit = try AuditEntry.fetchAll(
            db,
            sql: """
                SELECT * FROM audit_log WHERE actor = ? OR idea_number IN (SELECT number FROM idea WHERE author = ?)
                ORDER BY id
                """,
            arguments: [user.rawValue, user.rawValue])
        return PersonalDataExport(
            user: user, person: try person(user), ideas: Array(ideas), guiding: guiding,
            directRooms: rooms.map(RoomID.init(rawValue:)), pendingMessages: pending, audit: audit,
            messages: try storedMessages(for: user), sentMessages: try sentMessageCount(for: user))
    }

    // MARK: glöm mig

    /// Forgets a person at once: deletes their drafts, conversation state, settings (the person row) and
    /// direct-room mapping, and replaces their id by `pseudonym` wherever it stays: as author and guide
    /// of submitted ideas, as actor in the history, links and audit log. Sent (or given-up) outbox
    /// entries to them or mentioning them are deleted; messages still waiting are delivered first, in
    /// their direct room, with the pseudonym for the id (see `forgetOutbox`).
    @discardableResult
    public func forgetPerson(_ user: UserID, pseudonym: String, at date: Date) throws -> ForgetOutcome {
        precondition(Pseudonym.isPseudonym(pseudonym), "a pseudonym starts with \(Pseudonym.prefix)")
        let id = user.rawValue
        let drafts = try Int.fetchAll(
            db, sql: "SELECT number FROM idea WHERE author = ? AND stage = ? ORDER BY number",
            arguments: [id, IdeaStage.utkast.rawValue])
        for number in drafts {
            try deleteIdea(number: number)
            try audit(AuditEntry(at: date, actor: pseudonym, ideaNumber: number, action: .deleted, detail: "glöm mig"))
        }
        // A consent question never answered cannot be answered any more: nothing is shown.
        try db.execute(
            sql: "DELETE FROM lift WHERE answer IS NULL AND idea_number IN (SELECT number FROM idea WHERE author = ?)",
            arguments: [id])
        try db.execute(sql: "UPDATE lift SET asked_by = ? WHERE asked_by = ?", arguments: [pseudonym, id])
        try db.execute(sql: "UPDATE campaign SET opened_by = ? WHERE opened_by = ?", arguments: [pseudonym, id])
        try db.execute(sql: "UPDATE campaign SET closed_by = ? WHERE closed_by = ?", arguments: [pseudonym, id])
        // A guide's digest runs are keyed by the guide: the record of them goes (at worst one more is sent).
        let runs = DigestRunKey.guidePrefix(UserID(id))
        try db.execute(sql: "DELETE FROM digest_run WHERE substr(key, 1, length(?)) = ?", arguments: [runs, runs])
        let submitted = try Int.fetchAll(
            db, sql: "SELECT number FROM idea WHERE author = ? ORDER BY number", arguments: [id])
        try db.execute(sql: "UPDATE idea SET author = ? WHERE author = ?", arguments: [pseudonym, id])
        try db.execute(sql: "UPDATE idea SET guide = ? WHERE guide = ?", arguments: [pseudonym, id])
        try db.execute(sql: "UPDATE idea_event SET actor = ? WHERE actor = ?", arguments: [pseudonym, id])
        try db.execute(sql: "UPDATE idea_link SET actor = ? WHERE actor = ?", arguments: [pseudonym, id])
        try db.execute(sql: "UPDATE audit_log SET actor = ? WHERE actor = ?", arguments: [pseudonym, id])
        for number in submitted {
            try audit(
                AuditEntry(at: date, actor: pseudonym, ideaNumber: number, action: .forgotten, detail: "glöm mig"))
        }
        try forgetOutbox(id, pseudonym: pseudonym)
        try forgetDigestRequests(id, pseudonym: pseudonym)
        // Planned reminders name the person as their recipient.
        try db.execute(sql: "DELETE FROM nudge WHERE recipient = ?", arguments: [id])
        try db.execute(sql: "DELETE FROM conversation_state WHERE user_id = ?", arguments: [id])
        try db.execute(sql: "DELETE FROM direct_room WHERE user_id = ?", arguments: [id])
        try db.execute(sql: "DELETE FROM person WHERE id = ?", arguments: [id])
        return ForgetOutcome(pseudonym: pseudonym, draftsDeleted: drafts.count, ideasPseudonymised: submitted.count)
    }

    /// Whether an actor name is in use anywhere (a new pseudonym must not be).
    public func isActorKnown(_ actor: String) throws -> Bool {
        try Bool.fetchOne(
            db,
            sql: """
                SELECT 1 WHERE EXISTS (SELECT 1 FROM idea WHERE author = ?1 OR guide = ?1)
                OR EXISTS (SELECT 1 FROM idea_event WHERE actor = ?1)
                OR EXISTS (SELECT 1 FROM audit_log WHERE actor = ?1)
                """,
            arguments: [actor]) ?? false
    }

    // MARK: Retention

    /// Deletes drafts not updated since `cutoff` and conversation states not changed since it
    /// (`privacy.draft_retention`). Submitted ideas are never touched.
    @discardableResult
    public func deleteExpired(before cutoff: Date, at date: Date) throws -> RetentionOutcome {
        let drafts = try Int.fetchAll(
            db, sql: "SELECT number FROM idea WHERE stage = ? AND updated_at < ? ORDER BY number",
            arguments: [IdeaStage.utkast.rawValue, StoredDate.text(cutoff)])
        for number in drafts {
            try deleteIdea(number: number)
            try audit(AuditEntry(at: date, actor: "retention", ideaNumber: number, action: .deleted, detail: "draft_retention"))
        }
        try db.execute(sql: "DELETE FROM conversation_state WHERE updated_at < ?", arguments: [StoredDate.text(cutoff)])
        return RetentionOutcome(drafts: drafts.count, states: db.changesCount)
    }
}

/// What one retention run deleted: drafts past the retention, and conversation states left behind.
public struct RetentionOutcome: Sendable, Equatable {
    public var drafts: Int
    public var states: Int
}
