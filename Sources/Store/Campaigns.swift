import Chat
import Foundation
import GRDB
import Intake

extension Campaign: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "campaign"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase
    public static func databaseDateEncodingStrategy(for column: String) -> DatabaseDateEncodingStrategy { .storedText }

    /// Read column by column, as people and ideas are: the open challenges are read for every message, and
    /// the `Decodable` path converted every column name from snake case for every row (18,000 instructions
    /// a message with no challenge at all). A value that cannot be read throws, never traps.
    public init(row: Row) throws {
        try self.init(values: Self.columns.map { (row[$0] as DatabaseValue?) ?? .null })
    }

    /// The columns `init(values:)` reads, in its order.
    static let columns = ["number", "title", "question", "deadline", "opened_by", "opened_at", "closed_at", "closed_by"]
    static let selection = columns.joined(separator: ", ")

    /// A challenge from the values of `columns`, in that order.
    init(values: [DatabaseValue]) throws {
        guard values.count == Self.columns.count else {
            throw IntakeError(.corrupt, "a challenge row has \(values.count) columns, not \(Self.columns.count)")
        }
        let what = "a challenge"
        let deadlineText: String = try ColumnValue.required(values[3], "deadline", of: what)
        guard let deadline = CivilDate(iso: deadlineText) else {
            throw IntakeError(.corrupt, "a challenge has a deadline that is no date: \(deadlineText)")
        }
        let closedBy: String? = try ColumnValue.optional(values[7], "closed_by", of: what)
        self.init(
            number: try ColumnValue.required(values[0], "number", of: what),
            title: try ColumnValue.required(values[1], "title", of: what),
            question: try ColumnValue.required(values[2], "question", of: what), deadline: deadline,
            openedBy: UserID(rawValue: try ColumnValue.required(values[4], "opened_by", of: what)),
            openedAt: try ColumnValue.requiredDate(values[5], "opened_at", of: what),
            closedAt: try ColumnValue.optionalDate(values[6], "closed_at", of: what),
            closedBy: closedBy.map(UserID.init(rawValue:)))
    }
}

extension LiftRequest: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "lift"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase
    public static func databaseDateEncodingStrategy(for column: String) -> DatabaseDateEncodingStrategy { .storedText }
}

extension IntakeTransaction {
    // MARK: Challenges

    public func campaign(number: Int) throws -> Campaign? {
        try Campaign.fetchOne(db, key: number)
    }

    /// Every challenge, or only those not closed, by number.
    public func campaigns(includeClosed: Bool = true) throws -> [Campaign] {
        // Read for every message: a statement prepared once per connection, run through SQLite's C interface
        // and read by position (`DirectStatement`).
        try DirectStatement(db, includeClosed ? Self.campaignsSQL : Self.openCampaignsSQL).rows([]).map(Campaign.init(values:))
    }

    static let campaignsSQL = "SELECT \(Campaign.selection) FROM campaign ORDER BY number"
    static let openCampaignsSQL = "SELECT \(Campaign.selection) FROM campaign WHERE closed_at IS NULL ORDER BY number"

    public func nextCampaignNumber() throws -> Int {
        (try Int.fetchOne(db, sql: "SELECT MAX(number) FROM campaign") ?? 0) + 1
    }

    public func saveCampaign(_ campaign: Campaign) throws {
        try campaign.upsert(db)
    }

    /// Remembers that the outbox entry `txnID` announces a challenge.
    public func recordCampaignPost(txnID: String, campaign: Int) throws {
        try db.execute(
            sql: "INSERT OR IGNORE INTO campaign_post (txn_id, campaign_number) VALUES (?, ?)",
            arguments: [txnID, campaign])
    }

    /// The challenge a sent message (by its server id) announced, if it did. Announcements and deadline
    /// reminders are queued as bulk, never as replies: the index of remote ids leaves replies out (v19).
    public func campaign(announcedBy remoteID: String) throws -> Int? {
        guard !remoteID.isEmpty else { return nil }
        return try Int.fetchOne(
            try db.cachedStatement(sql: """
                SELECT p.campaign_number FROM outbox o JOIN campaign_post p ON p.txn_id = o.txn_id
                WHERE o.remote_id = ? AND o.priority <> 0 LIMIT 1
                """),
            arguments: [remoteID])
    }

    /// Ideas sent to the challenge (drafts excluded), by number.
    public func ideas(campaign number: Int) throws -> [Idea] {
        try Idea.filter(Column("campaign") == number && Column("stage") != IdeaStage.utkast.rawValue)
            .order(Column("number")).fetchAll(db)
    }

    /// The people who opted in to challenge news (`utmaningar på`), by id.
    public func challengeUpdatePeople() throws -> [Person] {
        try Person.filter(Column("challenge_updates") == true).order(Column("id")).fetchAll(db)
    }

    // MARK: Good examples

    public func liftRequest(idea number: Int) throws -> LiftRequest? {
        try LiftRequest.fetchOne(try db.cachedStatement(sql: "SELECT * FROM lift WHERE idea_number = ?"), arguments: [number])
    }

    public func saveLiftRequest(_ request: LiftRequest) throws {
        try request.upsert(db)
    }

    /// The unanswered consent requests for the person's ideas, oldest idea first.
    public func pendingLiftRequests(author: UserID) throws -> [LiftRequest] {
        try LiftRequest.fetchAll(
            db,
            sql: """
                SELECT l.* FROM lift l JOIN idea i ON i.number = l.idea_number
                WHERE i.author = ? AND l.answer IS NULL ORDER BY l.idea_number
                """,
            arguments: [author.rawValue])
    }

    // MARK: Digests

    /// Whether the scheduled digest with this key (period and audience) was sent.
    public func digestSent(key: String) throws -> Bool {
        try Int.fetchOne(db, sql: "SELECT 1 FROM digest_run WHERE key = ?", arguments: [key]) != nil
    }

    public func recordDigest(key: String, since: Date, until: Date, parts: Int, at date: Date) throws {
        try db.execute(
            sql: "INSERT INTO digest_run (key, since, until, parts, sent_at) VALUES (?, ?, ?, ?, ?)",
            arguments: [key, StoredDate.text(since), StoredDate.text(until), parts, StoredDate.text(date)])
    }

    /// The end of the period of the last scheduled digest whose key starts with `prefix`.
    public func lastDigestUntil(prefix: String) throws -> Date? {
        try Date.fetchOne(
            db, sql: "SELECT MAX(until) FROM digest_run WHERE substr(key, 1, length(?1)) = ?1", arguments: [prefix])
    }
}

/// `sammanfattning`: a digest asked for in chat, built later outside the conversation's transaction.
public struct DigestRequest: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "digest_request"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase
    public static func databaseDateEncodingStrategy(for column: String) -> DatabaseDateEncodingStrategy { .storedText }

    /// Stable: derived from the message that asked (`ondemand.<event id>`).
    public var key: String
    public var requestedBy: UserID
    /// Where the digest goes: a room, or (when the room is not known yet) a person's direct chat.
    public var roomID: RoomID?
    public var recipient: UserID?
    public var requestedAt: Date
    public var doneAt: Date?

    enum CodingKeys: String, CodingKey {
        case key, requestedBy, roomID = "roomId", recipient, requestedAt, doneAt
    }

    public init(key: String, requestedBy: UserID, roomID: RoomID?, recipient: UserID?, requestedAt: Date) {
        self.key = key
        self.requestedBy = requestedBy
        self.roomID = roomID
        self.recipient = recipient
        self.requestedAt = requestedAt
    }
}

extension IntakeTransaction {
    /// Records the request once (a replayed message does not ask twice).
    public func requestDigest(_ request: DigestRequest) throws {
        try request.insert(db, onConflict: .ignore)
    }

    /// Requests not served yet, oldest first.
    public func pendingDigestRequests(limit: Int = 10) throws -> [DigestRequest] {
        try DigestRequest.filter(Column("done_at") == nil).order(Column("requested_at"), Column("key")).limit(limit).fetchAll(db)
    }

    /// Marks a request served; false when it already was (or is unknown).
    public func finishDigestRequest(_ key: String, at date: Date) throws -> Bool {
        try db.execute(sql: "UPDATE digest_request SET done_at = ? WHERE key = ? AND done_at IS NULL", arguments: [StoredDate.text(date), key])
        return db.changesCount > 0
    }
}
