import Chat
import Foundation
import GRDB
import Intake

// What the outbox keeps (issue 11.4 and 11.5): a sent entry keeps only what exactly-once delivery and
// replies to announcements need (transaction id, room, remote id, sent time); its text, file and
// recipient go in the transaction that marks it sent. Retention removes old entries; `glöm mig` leaves
// the person's raw id in none of them.

extension OutboxEntry {
    /// The stored form of an emptied body: an empty `RichText`, as the record encodes it.
    public static let emptyBodyJSON: String = {
        let data = (try? databaseJSONEncoder(for: "body").encode(RichText())) ?? Data(#"{"spans":[]}"#.utf8)
        return String(decoding: data, as: UTF8.self)
    }()
}

/// What one outbox retention run deleted.
public struct OutboxRetentionOutcome: Sendable, Equatable {
    /// Sent entries (already without text) past the period.
    public var sent: Int
    /// Entries never delivered (waiting or given up) older than the retention: not sent any more.
    public var undelivered: Int
}

extension IntakeTransaction {
    /// How long a sent entry (its transaction id, room and remote id; no text) is kept: exactly as long as
    /// the ids of processed events (a replayed event must find its replies already in the outbox), which is
    /// far past the server's de-duplication of transaction ids (Synapse: minutes to a day). Then it goes,
    /// whatever the retention: the outbox does not grow with the intake.
    public static let sentOutboxMinimumKeep: TimeInterval = 30 * 86_400

    /// Retention for the outbox: deletes sent entries once `sentOutboxMinimumKeep` has passed (not the
    /// announcements of a challenge still open, which replies point to), and entries never delivered,
    /// waiting or given up, created before `cutoff` (`privacy.draft_retention`): a reply that late would
    /// only puzzle, and its text is personal data.
    @discardableResult
    public func deleteExpiredOutbox(before cutoff: Date, at date: Date) throws -> OutboxRetentionOutcome {
        let sentCutoff = date.addingTimeInterval(-Self.sentOutboxMinimumKeep)
        try db.execute(
            sql: """
                DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at < ?
                AND txn_id NOT IN (SELECT p.txn_id FROM campaign_post p JOIN campaign c ON c.number = p.campaign_number
                                   WHERE c.closed_at IS NULL)
                """,
            arguments: [StoredDate.text(sentCutoff)])
        let sent = db.changesCount
        // Waiting (through `outbox_by_lane`) and given up (through `outbox_done`): each read through its index.
        try db.execute(
            sql: "DELETE FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL AND created_at < ?",
            arguments: [StoredDate.text(cutoff)])
        var undelivered = db.changesCount
        try db.execute(
            sql: "DELETE FROM outbox WHERE sent_at IS NULL AND failed_at IS NOT NULL AND created_at < ?",
            arguments: [StoredDate.text(cutoff)])
        undelivered += db.changesCount
        return OutboxRetentionOutcome(sent: sent, undelivered: undelivered)
    }

    /// Rewrites the next `limit` entries (by id) after the last pass's end, the sent ones among them taken
    /// out and written back as they are, so their pages are full again; returns how many were rewritten,
    /// and whether entries beyond these remain. Marking an entry sent empties its text in place, and SQLite
    /// merges a page with its neighbours only when a row leaves it, never when a row shrinks: every long
    /// message sent (a help text, a list, an announcement) left a page nearly empty for the whole retention
    /// (2,248 `hjälp` replies sent: 1,998 pages, 94 % of their bytes unused). Doing that at each send cost the
    /// conversation a fifth more instructions; here consecutive entries share pages, so each page is written
    /// once a pass. Waiting entries are left as they are (no lane, no trigger is touched: the triggers act
    /// only on unsent rows; one sent after the pass went by keeps its page as it is). The pass's end is kept
    /// in `sync_state`.
    ///
    /// An entry queued within the last hour that still waits will be sent soon: the pass stops before the
    /// first such one (and says there is no more), so it is rewritten with the rest once sent. One waiting
    /// longer (a rate-limited room's backlog, an announcement paced for hours) is passed by, so it cannot
    /// hold every later entry back.
    public func compactSentOutbox(limit: Int, at date: Date) throws -> (rewritten: Int, more: Bool) {
        let limit = max(1, limit)
        let start = Int64(try value(Self.compactedThroughKey) ?? "") ?? 0
        let ids = try Int64.fetchAll(
            try db.cachedStatement(sql: "SELECT id FROM outbox WHERE id > ? ORDER BY id LIMIT ?"), arguments: [start, limit + 1])
        guard var end = ids.prefix(limit).last else { return (0, false) }
        var more = ids.count > limit
        if let waiting = try Int64.fetchOne(
            try db.cachedStatement(
                sql: """
                    SELECT min(id) FROM outbox
                    WHERE id > ? AND id <= ? AND sent_at IS NULL AND failed_at IS NULL AND created_at > ?
                    """),
            arguments: [start, end, StoredDate.text(date.addingTimeInterval(-Self.compactionWaitsFor))])
        {
            end = waiting - 1
            more = false
            guard end > start else { return (0, false) }
        }
        try db.execute(sql: "CREATE TEMP TABLE IF NOT EXISTS outbox_compacting AS SELECT * FROM main.outbox WHERE 0")
        try db.execute(
            sql: """
                INSERT INTO temp.outbox_compacting SELECT * FROM main.outbox WHERE id > ? AND id <= ? AND sent_at IS NOT NULL;
                DELETE FROM main.outbox WHERE id IN (SELECT id FROM temp.outbox_compacting);
                INSERT INTO main.outbox SELECT * FROM temp.outbox_compacting ORDER BY id;
                """,
            arguments: [start, end])
        let rewritten = db.changesCount  // the rows written back by the last statement
        try db.execute(sql: "DELETE FROM temp.outbox_compacting")
        try setValue(String(end), for: Self.compactedThroughKey)
        return (rewritten, more)
    }

    /// Where the last `compactSentOutbox` pass ended (an outbox id).
    static let compactedThroughKey = "outbox.compacted_through"
    /// How young a waiting entry must be for `compactSentOutbox` to stop before it (an hour, its interval).
    static let compactionWaitsFor: TimeInterval = 3_600

    /// The entries still holding a message for `user` (waiting or given up), to them or in their direct
    /// chats, oldest first: the waiting ones through `outbox_by_lane`, the given-up ones through `outbox_done`.
    /// A row that cannot be read as an entry (a damaged or hand-edited database; the sender gives such rows
    /// up) is still listed, as `unreadable` with its stored text as it is, so one bad row neither hides the
    /// rest nor fails the person's export.
    public func storedMessages(for user: UserID) throws -> [StoredMessage] {
        let rows = try Row.fetchCursor(
            db,
            sql: """
                SELECT * FROM outbox INDEXED BY outbox_by_lane WHERE sent_at IS NULL AND failed_at IS NULL
                    AND kind = 'message' AND (recipient = ?1 OR room_id IN (SELECT room_id FROM direct_room WHERE user_id = ?1))
                UNION ALL
                SELECT * FROM outbox WHERE sent_at IS NULL AND failed_at IS NOT NULL AND kind = 'message'
                    AND (recipient = ?1 OR room_id IN (SELECT room_id FROM direct_room WHERE user_id = ?1))
                ORDER BY id
                """,
            arguments: [user.rawValue])
        var messages: [StoredMessage] = []
        while let row = try rows.next() {
            if let entry = try? OutboxEntry(row: row) {
                messages.append(
                    StoredMessage(
                        status: entry.failedAt == nil ? "waiting" : "failed", room: entry.roomID, createdAt: entry.createdAt,
                        text: entry.body.plainText, file: entry.attachment?.filename))
                continue
            }
            let body: String
            switch (row["body"] as DatabaseValue?)?.storage {
            case .string(let text): body = text
            case .blob(let bytes): body = String(decoding: bytes, as: UTF8.self)
            case .int64(let number): body = String(number)
            case .double(let number): body = String(number)
            case .null, nil: body = ""
            }
            messages.append(
                StoredMessage(
                    status: "unreadable", room: (row["room_id"] as String?).map(RoomID.init(rawValue:)),
                    createdAt: (row["created_at"] as DatabaseValue?).flatMap(Date.fromDatabaseValue) ?? Date(timeIntervalSince1970: 0),
                    text: body, file: nil))
        }
        return messages
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

    /// The forms in which an id can stand in stored JSON: as is, and escaped (`/` as `\/`).
    static func storedForms(of id: String) -> [String] {
        var forms = [id]
        if let data = try? JSONEncoder().encode(id) {
            let escaped = String(decoding: data, as: UTF8.self).dropFirst().dropLast()
            if escaped != id { forms.append(String(escaped)) }
        }
        let slashes = id.replacingOccurrences(of: "/", with: "\\/")
        if !forms.contains(slashes) { forms.append(slashes) }
        return forms
    }

    /// `glöm mig` in the outbox, before the person's direct rooms are forgotten: sent or given-up entries
    /// to them or mentioning them go; a waiting entry to them is pinned to their direct room and loses the
    /// recipient (it is delivered there, and no new chat is ever opened for them); one with no room known
    /// or with a file for them (their data) is deleted; the id in other waiting entries' text becomes the
    /// pseudonym. The id is matched also as JSON escapes it (`@a\/b:…`).
    func forgetOutbox(_ id: String, pseudonym: String) throws {
        let forms = Self.storedForms(of: id)
        let mentions = forms.map { _ in "instr(CAST(body AS TEXT), ?) > 0" }.joined(separator: " OR ")
        let mentionsError = forms.map { _ in "instr(coalesce(last_error, ''), ?) > 0" }.joined(separator: " OR ")
        let formArguments = StatementArguments(forms.map { $0 as (any DatabaseValueConvertible)? })
        try db.execute(
            sql: """
                DELETE FROM outbox WHERE (sent_at IS NOT NULL OR failed_at IS NOT NULL)
                AND (recipient = ? OR room_id IN (SELECT room_id FROM direct_room WHERE user_id = ?)
                     OR \(mentions) OR \(mentionsError))
                """,
            arguments: [id, id] + formArguments + formArguments)
        // Their data, waiting as a file: it holds the raw id (encoded), and they asked to be forgotten.
        try db.execute(
            sql: """
                DELETE FROM outbox WHERE attachment IS NOT NULL
                AND (recipient = ? OR room_id IN (SELECT room_id FROM direct_room WHERE user_id = ?))
                """,
            arguments: [id, id])
        let room = try directRoom(of: UserID(rawValue: id))
        try db.execute(
            sql: "UPDATE outbox SET room_id = ? WHERE recipient = ? AND room_id IS NULL",
            arguments: [room?.rawValue, id])
        try db.execute(sql: "DELETE FROM outbox WHERE recipient = ? AND room_id IS NULL", arguments: [id])
        try db.execute(sql: "UPDATE outbox SET recipient = NULL WHERE recipient = ?", arguments: [id])
        // What stays waiting names the pseudonym instead (a guide's card of the idea, say).
        for form in forms {
            try db.execute(
                sql: """
                    UPDATE outbox SET body = CASE typeof(body)
                        WHEN 'blob' THEN CAST(replace(CAST(body AS TEXT), ?1, ?2) AS BLOB)
                        ELSE replace(body, ?1, ?2) END
                    WHERE instr(CAST(body AS TEXT), ?1) > 0
                    """,
                arguments: [form, pseudonym])
            try db.execute(
                sql: "UPDATE outbox SET last_error = replace(last_error, ?1, ?2) WHERE instr(last_error, ?1) > 0",
                arguments: [form, pseudonym])
        }
    }

    /// `glöm mig` for `sammanfattning` requests (`digest_request`): the requester becomes the pseudonym; one
    /// still to be sent to the person's direct chat by recipient is pinned to that chat (or dropped when
    /// none is known), and none keeps the id as its recipient.
    func forgetDigestRequests(_ id: String, pseudonym: String) throws {
        try db.execute(sql: "UPDATE digest_request SET requested_by = ? WHERE requested_by = ?", arguments: [pseudonym, id])
        let room = try directRoom(of: UserID(rawValue: id))
        try db.execute(
            sql: "UPDATE digest_request SET room_id = ? WHERE recipient = ? AND room_id IS NULL",
            arguments: [room?.rawValue, id])
        try db.execute(
            sql: "DELETE FROM digest_request WHERE recipient = ? AND room_id IS NULL AND done_at IS NULL", arguments: [id])
        try db.execute(sql: "UPDATE digest_request SET recipient = NULL WHERE recipient = ?", arguments: [id])
    }

    /// Records the direct room the sender opened for an entry's recipient and returns it. When the entry no
    /// longer waits for that recipient (its person was forgotten meanwhile), nothing is stored: the room
    /// `glöm mig` pinned it to is returned, or nil when the entry is gone.
    public func recordOpenedDirectRoom(_ room: RoomID, for recipient: UserID, outbox id: Int64, at date: Date) throws
        -> RoomID?
    {
        guard let entry = try OutboxEntry.fetchOne(db, key: id), entry.sentAt == nil else { return nil }
        guard entry.recipient == recipient else { return entry.roomID }
        try setDirectRoom(room, for: recipient, at: date)
        try setOutboxRoom(id, room: room)
        return room
    }
}
