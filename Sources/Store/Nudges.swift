import Chat
import Foundation
import GRDB
import Intake

/// A planned reminder (SkavBot.docc/Nudges.md). Planned with a unique dedupe key, so planning twice never makes
/// two; done once, with an outcome, in the same transaction as its outbox entry.
public struct Nudge: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "nudge"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase
    public static func databaseDateEncodingStrategy(for column: String) -> DatabaseDateEncodingStrategy { .storedText }

    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// A draft left silent: once, after `nudges.draft_reminder_after`.
        case draftReminder = "draft_reminder"
        /// A draft left silent for `nudges.draft_park_after`: set aside, with a word on how to resume it.
        case draftPark = "draft_park"
        /// An idea *inkommen* with no guide action: to the unit's guides.
        case guideFollowup = "guide_followup"
        /// Still no guide action later: to the coordinators.
        case guideEscalation = "guide_escalation"
        /// *utvecklas*/*testas* with no update: to the assigned guide.
        case staleStage = "stale_stage"
        /// The opt-in weekly question.
        case weeklyCheckin = "weekly_checkin"
        /// Halfway to a challenge's deadline: to people who opted in (`utmaningar på`).
        case challengeHalfway = "challenge_halfway"
        /// Two working days before a challenge's deadline: to people who opted in.
        case challengeDeadline = "challenge_deadline"

        /// Voluntary nudges obey `påminn inte`, the pause and the per-day cap; guides' work reminders
        /// only working time.
        public var isVoluntary: Bool {
            switch self {
            case .draftReminder, .draftPark, .weeklyCheckin, .challengeHalfway, .challengeDeadline: true
            case .guideFollowup, .guideEscalation, .staleStage: false
            }
        }
    }

    public enum Outcome: String, Codable, Sendable {
        case sent
        case skippedOptOut = "skipped_opt_out"
        case skippedPaused = "skipped_paused"
        case skippedCap = "skipped_cap"
        /// No longer warranted (the draft was submitted, a guide acted, the person opted out of the weekly question).
        case cancelled
    }

    public var id: Int64?
    public var kind: Kind
    public var recipient: UserID
    public var ideaNumber: Int?
    public var dueAt: Date
    public var dedupeKey: String
    public var createdAt: Date
    public var doneAt: Date?
    public var doneDay: String?
    public var outcome: Outcome?
    /// The challenge a deadline reminder is about.
    public var campaignNumber: Int?

    public init(
        kind: Kind, recipient: UserID, ideaNumber: Int?, dueAt: Date, dedupeKey: String, createdAt: Date,
        campaignNumber: Int? = nil
    ) {
        self.campaignNumber = campaignNumber
        self.kind = kind
        self.recipient = recipient
        self.ideaNumber = ideaNumber
        self.dueAt = dueAt
        self.dedupeKey = dedupeKey
        self.createdAt = createdAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    /// The outbox transaction id of this nudge's message: stable across restarts.
    public var txnID: String { TxnID.nudge(id ?? 0).rawValue }
}

extension IntakeTransaction {
    /// Inserts the nudge unless its dedupe key exists; returns whether it was inserted.
    @discardableResult
    public func planNudge(_ planned: Nudge) throws -> Bool {
        if try nudge(dedupeKey: planned.dedupeKey) != nil { return false }
        var inserted = planned
        try inserted.insert(db)
        return true
    }

    public func nudge(dedupeKey: String) throws -> Nudge? {
        try Nudge.filter(Column("dedupe_key") == dedupeKey).fetchOne(db)
    }

    /// The nudges with these dedupe keys, by key (one query per 500 keys).
    public func nudges(dedupeKeys keys: [String]) throws -> [String: Nudge] {
        var result: [String: Nudge] = [:]
        for chunk in keys.inBatches() {
            for nudge in try Nudge.filter(chunk.contains(Column("dedupe_key"))).fetchAll(db) {
                result[nudge.dedupeKey] = nudge
            }
        }
        return result
    }

    public func nudge(id: Int64) throws -> Nudge? {
        try Nudge.fetchOne(db, key: id)
    }

    /// Nudges not done yet, earliest first.
    public func pendingNudges() throws -> [Nudge] {
        try Nudge.filter(Column("done_at") == nil).order(Column("due_at"), Column("id")).fetchAll(db)
    }

    /// Pending nudges due at or before `date`, earliest first.
    public func dueNudges(at date: Date, limit: Int = 500) throws -> [Nudge] {
        try Nudge.filter(Column("done_at") == nil && Column("due_at") <= StoredDate.text(date))
            .order(Column("due_at"), Column("id")).limit(limit).fetchAll(db)
    }

    /// The earliest due time among pending nudges.
    public func nextNudgeDue() throws -> Date? {
        try Date.fetchOne(db, sql: "SELECT MIN(due_at) FROM nudge WHERE done_at IS NULL")
    }

    public func allNudges() throws -> [Nudge] {
        try Nudge.order(Column("id")).fetchAll(db)
    }

    public func setNudgeDue(_ id: Int64, to date: Date) throws {
        try db.execute(sql: "UPDATE nudge SET due_at = ? WHERE id = ? AND done_at IS NULL", arguments: [StoredDate.text(date), id])
    }

    public func finishNudge(_ id: Int64, outcome: Nudge.Outcome, at date: Date, day: CivilDate) throws {
        try db.execute(
            sql: "UPDATE nudge SET done_at = ?, done_day = ?, outcome = ? WHERE id = ? AND done_at IS NULL",
            arguments: [StoredDate.text(date), day.description, outcome.rawValue, id])
    }

    /// How many voluntary nudges were sent to `recipient` on the local day `day`.
    public func voluntaryNudgesSent(to recipient: UserID, on day: CivilDate) throws -> Int {
        let kinds = Nudge.Kind.allCases.filter(\.isVoluntary).map(\.rawValue)
        return try Nudge.filter(
            Column("recipient") == recipient.rawValue && Column("done_day") == day.description
                && Column("outcome") == Nudge.Outcome.sent.rawValue && kinds.contains(Column("kind"))
        ).fetchCount(db)
    }

    /// Drafts (stage `utkast`), oldest first.
    public func drafts() throws -> [Idea] {
        try Idea.filter(Column("stage") == IdeaStage.utkast.rawValue).order(Column("number")).fetchAll(db)
    }

    /// People who opted in to the weekly question.
    public func weeklyCheckinPeople() throws -> [Person] {
        try Person.filter(Column("weekly_checkin") == true).order(Column("id")).fetchAll(db)
    }
}

extension IntakeTransaction {
    /// Done nudges are kept only while the planner could want them again: the unique dedupe key is what
    /// stops a reminder from being planned twice. A done nudge older than `cutoff` goes once its situation
    /// is over: a draft reminder once the draft is submitted or gone, a follow-up once the idea left
    /// `inkommen`, a stale-stage reminder once the idea moved or was updated after it (its key names the
    /// stage and the time it counts from), a weekly question of a past week, a challenge reminder once the
    /// challenge closed. Returns how many rows went.
    @discardableResult
    public func compactNudges(before cutoff: Date) throws -> Int {
        try db.execute(
            sql: """
                DELETE FROM nudge WHERE done_at IS NOT NULL AND done_at < :cutoff AND (
                    kind = 'weekly_checkin'
                    OR (kind IN ('draft_reminder', 'draft_park') AND NOT EXISTS (
                        SELECT 1 FROM idea WHERE idea.number = nudge.idea_number AND idea.stage = 'utkast'))
                    OR (kind IN ('guide_followup', 'guide_escalation') AND NOT EXISTS (
                        SELECT 1 FROM idea WHERE idea.number = nudge.idea_number AND idea.stage = 'inkommen'))
                    OR (kind = 'stale_stage' AND NOT EXISTS (
                        SELECT 1 FROM idea WHERE idea.number = nudge.idea_number
                            AND idea.stage IN ('utvecklas', 'testas') AND idea.updated_at <= nudge.created_at))
                    OR (kind IN ('challenge_halfway', 'challenge_deadline') AND EXISTS (
                        SELECT 1 FROM campaign WHERE campaign.number = nudge.campaign_number AND campaign.closed_at IS NOT NULL))
                )
                """,
            arguments: ["cutoff": StoredDate.text(cutoff)])
        return db.changesCount
    }
}
