import Chat
import Foundation
import GRDB

// What the outbox keeps (issue 11.4): a sent entry keeps only what exactly-once delivery and replies to
// announcements need (transaction id, room, remote id, sent time); its text, file and recipient go in the
// transaction that marks it sent. Retention removes old entries.

extension OutboxEntry {
    /// The stored form of an emptied body: an empty `RichText`, as the record encodes it.
    public static let emptyBodyJSON: String = {
        let data = (try? databaseJSONEncoder(for: "body").encode(RichText())) ?? Data(#"{"spans":[]}"#.utf8)
        return String(decoding: data, as: UTF8.self)
    }()
}

/// An outbox entry still holding a message for the person, as `mina data` lists it.
public struct StoredMessage: Codable, Sendable, Equatable {
    /// waiting (not sent yet) or failed (given up; kept for the operator until retention).
    public var status: String
    public var room: RoomID?
    public var createdAt: Date
    public var text: String
    /// The name of a file sent with it (its content is the file itself), if any.
    public var file: String?

    public init(status: String, room: RoomID?, createdAt: Date, text: String, file: String?) {
        self.status = status
        self.room = room
        self.createdAt = createdAt
        self.text = text
        self.file = file
    }
}

/// What one outbox retention run deleted.
public struct OutboxRetentionOutcome: Sendable, Equatable {
    /// Sent entries (already without text) past the period.
    public var sent: Int
    /// Entries never delivered (waiting or given up) older than the retention: not sent any more.
    public var undelivered: Int
    public init(sent: Int, undelivered: Int) {
        self.sent = sent
        self.undelivered = undelivered
    }
}

extension IntakeTransaction {
    /// The shortest time a sent entry's transaction id is kept, whatever the retention: as long as the ids
    /// of processed events (a replayed event must find its replies already in the outbox), and far past
    /// the server's de-duplication of transaction ids (Synapse: minutes).
    public static let sentOutboxMinimumKeep: TimeInterval = 30 * 86_400

    /// `privacy.draft_retention` for the outbox: deletes sent entries sent before `cutoff` (but not before
    /// `sentOutboxMinimumKeep` has passed, and not the announcements of a challenge still open, which
    /// replies point to), and entries never delivered, waiting or given up, created before `cutoff`: a
    /// reply that late would only puzzle, and its text is personal data.
    @discardableResult
    public func deleteExpiredOutbox(before cutoff: Date, at date: Date) throws -> OutboxRetentionOutcome {
        let sentCutoff = min(cutoff, date.addingTimeInterval(-Self.sentOutboxMinimumKeep))
        try db.execute(
            sql: """
                DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at < ?
                AND txn_id NOT IN (SELECT p.txn_id FROM campaign_post p JOIN campaign c ON c.number = p.campaign_number
                                   WHERE c.closed_at IS NULL)
                """,
            arguments: [sentCutoff])
        let sent = db.changesCount
        try db.execute(sql: "DELETE FROM outbox WHERE sent_at IS NULL AND created_at < ?", arguments: [cutoff])
        return OutboxRetentionOutcome(sent: sent, undelivered: db.changesCount)
    }

    /// The entries still holding a message for `user` (waiting or given up), to them or in their direct
    /// chats, oldest first.
    public func storedMessages(for user: UserID) throws -> [StoredMessage] {
        let entries = try OutboxEntry.fetchAll(
            db,
            sql: """
                SELECT * FROM outbox WHERE sent_at IS NULL AND kind = 'message'
                AND (recipient = ? OR room_id IN (SELECT room_id FROM direct_room WHERE user_id = ?))
                ORDER BY id
                """,
            arguments: [user.rawValue, user.rawValue])
        return entries.map { entry in
            StoredMessage(
                status: entry.failedAt == nil ? "waiting" : "failed", room: entry.roomID, createdAt: entry.createdAt,
                text: entry.body.plainText, file: entry.attachment?.filename)
        }
    }

    /// How many sent entries (transaction id, room, time; no text) are kept for the person's direct chats.
    public func sentMessageCount(for user: UserID) throws -> Int {
        try Int.fetchOne(
            db,
            sql: """
                SELECT COUNT(*) FROM outbox WHERE sent_at IS NOT NULL
                AND room_id IN (SELECT room_id FROM direct_room WHERE user_id = ?)
                """,
            arguments: [user.rawValue]) ?? 0
    }
}
