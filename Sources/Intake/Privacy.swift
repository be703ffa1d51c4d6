import Chat
import Foundation
import GRDB

// Personal-data rights (SkavBot.docc/Privacy.md): the audit log, `mina data` and `glöm mig`, and retention.

/// What an audit entry records.
public enum AuditAction: String, Codable, Sendable, CaseIterable {
    /// An idea's details were shown (`idé N`); lists (`inkorg`, `mina idéer`) are not recorded.
    case read
    case created
    /// A field, the guide, or a link changed.
    case changed
    /// The stage changed (submitting included); the detail is `from→to`.
    case stage
    case deleted
    /// `mina data`: the person's stored data was sent to them.
    case exported
    /// `glöm mig`: the idea-giver was pseudonymised on the idea.
    case forgotten
}

/// One line of the audit log: who read or changed which idea, and when. Append-only, like the history;
/// only the actor may be replaced by a pseudonym (`glöm mig`).
public struct AuditEntry: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "audit_log"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    public var id: Int64?
    public var at: Date
    /// A user id, a pseudonym (`anonym-…`), `cli` or `retention`.
    public var actor: String
    /// Nil for entries about a person rather than one idea (`mina data`).
    public var ideaNumber: Int?
    public var action: AuditAction
    public var detail: String?

    public init(
        id: Int64? = nil, at: Date, actor: String, ideaNumber: Int?, action: AuditAction, detail: String? = nil
    ) {
        self.id = id
        self.at = at
        self.actor = actor
        self.ideaNumber = ideaNumber
        self.action = action
        self.detail = detail
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// Everything the store holds about one person, for `mina data`. The conversation state is added by the
/// conversation, which has it decoded.
public struct PersonalDataExport: Codable, Sendable, Equatable {
    /// One of the person's ideas (drafts included) with its history and links.
    public struct IdeaRecord: Codable, Sendable, Equatable {
        public var idea: Idea
        public var events: [IdeaEvent]
        public var links: [Int]
        public init(idea: Idea, events: [IdeaEvent], links: [Int]) {
            self.idea = idea
            self.events = events
            self.links = links
        }
    }

    public var user: UserID
    /// Language, unit and when the greeting was sent; nil when nothing is stored.
    public var person: Person?
    public var ideas: [IdeaRecord]
    /// Ideas the person follows up as a guide.
    public var guiding: [Int]
    /// The direct chats the bot knows as theirs.
    public var directRooms: [RoomID]
    /// Messages to them still waiting to be sent.
    public var pendingMessages: Int
    /// Audit entries about their ideas, and those in which they are the actor, oldest first.
    public var audit: [AuditEntry]
    /// The messages to them the outbox still holds (waiting, or given up), with their text.
    public var messages: [StoredMessage]
    /// Sent messages in their direct chats the outbox keeps a record of (transaction id, room, time; the
    /// text goes when a message is sent).
    public var sentMessages: Int

    public init(
        user: UserID, person: Person?, ideas: [IdeaRecord], guiding: [Int] = [], directRooms: [RoomID] = [],
        pendingMessages: Int = 0, audit: [AuditEntry] = [], messages: [StoredMessage] = [], sentMessages: Int = 0
    ) {
        self.messages = messages
        self.sentMessages = sentMessages
        self.user = user
        self.person = person
        self.ideas = ideas
        self.guiding = guiding
        self.directRooms = directRooms
        self.pendingMessages = pendingMessages
        self.audit = audit
    }
}

/// What `glöm mig` did.
public struct ForgetOutcome: Sendable, Equatable {
    public var pseudonym: String
    public var draftsDeleted: Int
    public var ideasPseudonymised: Int
    public init(pseudonym: String, draftsDeleted: Int, ideasPseudonymised: Int) {
        self.pseudonym = pseudonym
        self.draftsDeleted = draftsDeleted
        self.ideasPseudonymised = ideasPseudonymised
    }
}

/// What one retention run deleted.
public struct RetentionOutcome: Sendable, Equatable {
    public var drafts: Int
    public var states: Int
    public init(drafts: Int, states: Int) {
        self.drafts = drafts
        self.states = states
    }
}

/// A pseudonym for a forgotten person: `anonym-` and 8 hex digits.
public enum Pseudonym {
    public static let prefix = "anonym-"

    /// Random, so that nobody (the operator with the database and a staff directory included) can turn it
    /// back into the person; one `glöm mig` gives all their ideas the same one.
    public static func make<G: RandomNumberGenerator>(using generator: inout G) -> String {
        let value = UInt32.random(in: .min ... .max, using: &generator)
        let hex = String(value, radix: 16)
        return prefix + String(repeating: "0", count: 8 - hex.count) + hex
    }

    public static func isPseudonym(_ actor: String) -> Bool { actor.hasPrefix(prefix) }
}

extension IntakeTransaction {
    // MARK: Audit log

    @discardableResult
    public func audit(_ entry: AuditEntry) throws -> AuditEntry {
        var entry = entry
        try entry.insert(db)
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
        try db.execute(
            sql: "DELETE FROM digest_run WHERE substr(key, 1, length(?)) = ?", arguments: ["guide:\(id):", "guide:\(id):"])
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

    /// Deletes drafts not updated since `cutoff` and conversation states older than it
    /// (`privacy.draft_retention`). Submitted ideas are never touched.
    @discardableResult
    public func deleteExpired(before cutoff: Date, at date: Date) throws -> RetentionOutcome {
        let drafts = try Int.fetchAll(
            db, sql: "SELECT number FROM idea WHERE stage = ? AND updated_at < ? ORDER BY number",
            arguments: [IdeaStage.utkast.rawValue, cutoff])
        for number in drafts {
            try deleteIdea(number: number)
            try audit(AuditEntry(at: date, actor: "retention", ideaNumber: number, action: .deleted, detail: "draft_retention"))
        }
        try db.execute(sql: "DELETE FROM conversation_state WHERE updated_at < ?", arguments: [cutoff])
        return RetentionOutcome(drafts: drafts.count, states: db.changesCount)
    }
}
