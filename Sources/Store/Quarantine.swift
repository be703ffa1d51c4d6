import Chat
import Foundation
import GRDB
import Intake

/// Input that took the process down: an incoming event, or one answer of the server's change feed.
///
/// Each death while the input was in flight is counted (`suspect`); at the second it is set aside
/// (`held`) and never read again until an operator puts it back (`skav quarantine retry`, `retry`).
/// Only ids are kept, never the text.
public struct QuarantineEntry: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "quarantine"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase
    public static func databaseDateEncodingStrategy(for column: String) -> DatabaseDateEncodingStrategy { .storedText }

    public enum Kind: String, Codable, Sendable {
        /// An incoming event, by its id.
        case event
        /// A change-feed answer, by the cursor it was asked with (the key is `sync:<cursor>`).
        case sync
    }

    public enum Status: String, Codable, Sendable {
        case suspect, held, retry
    }

    /// The event id, or the change-feed answer's key (built by the crash guard, `sync:<cursor>`).
    public var key: String
    public var kind: Kind
    /// The event's room, once known (an event is set aside when it is next read, with its room).
    public var roomID: RoomID?
    public var deaths: Int
    public var status: Status
    public var firstDeathAt: Date
    public var lastDeathAt: Date
    public var heldAt: Date?

    enum CodingKeys: String, CodingKey {
        case key, kind, roomID = "roomId", deaths, status, firstDeathAt, lastDeathAt, heldAt
    }

    /// Deaths after which the input is set aside.
    public static let deathsToHold = 2

    /// Has taken the process down often enough to be set aside.
    public var isPoison: Bool { deaths >= Self.deathsToHold }
}

extension IntakeTransaction {
    /// Counts one death against the input; returns the entry as it is now.
    @discardableResult
    public func recordDeath(kind: QuarantineEntry.Kind, key: String, at date: Date) throws -> QuarantineEntry {
        if var entry = try QuarantineEntry.fetchOne(db, key: key) {
            entry.deaths = min(entry.deaths, 1_000) + 1
            entry.lastDeathAt = date
            try entry.update(db)
            return entry
        }
        let entry = QuarantineEntry(
            key: key, kind: kind, roomID: nil, deaths: 1, status: .suspect, firstDeathAt: date, lastDeathAt: date)
        try entry.insert(db)
        return entry
    }

    /// The entries of these keys that are not set aside yet (suspects and retries), by key; empty and one
    /// cheap query when nothing ever died.
    public func quarantineCandidates(_ keys: [String]) throws -> [String: QuarantineEntry] {
        // Asked for every batch and every poll: a statement prepared once per connection.
        guard !keys.isEmpty,
            try Int.fetchOne(
                try db.cachedStatement(sql: "SELECT COUNT(*) FROM quarantine WHERE status <> ?"),
                arguments: [QuarantineEntry.Status.held.rawValue]) ?? 0 > 0
        else { return [:] }
        let entries = try QuarantineEntry.filter(keys: keys).fetchAll(db)
        return Dictionary(entries.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public func quarantineEntry(_ key: String) throws -> QuarantineEntry? {
        try QuarantineEntry.fetchOne(db, key: key)
    }

    /// Sets the input aside; false when it already was.
    @discardableResult
    public func hold(_ key: String, room: RoomID?, at date: Date) throws -> Bool {
        guard var entry = try QuarantineEntry.fetchOne(db, key: key), entry.status != .held else { return false }
        entry.status = .held
        entry.heldAt = date
        if let room { entry.roomID = room }
        try entry.update(db)
        return true
    }

    /// The input was handled after all (a death that was not its fault, or a retry that worked).
    public func clearQuarantine(_ key: String) throws {
        _ = try QuarantineEntry.deleteOne(db, key: key)
    }

    /// What was set aside or waits for a retry, newest first (at most `limit`).
    public func quarantined(limit: Int = 1_000) throws -> [QuarantineEntry] {
        try QuarantineEntry
            .filter(Column("status") != QuarantineEntry.Status.suspect.rawValue)
            .order(Column("held_at").desc, Column("key"))
            .limit(max(0, limit))
            .fetchAll(db)
    }

    public func quarantinedCount() throws -> Int {
        try QuarantineEntry.filter(Column("status") == QuarantineEntry.Status.held.rawValue).fetchCount(db)
    }

    /// `skav quarantine retry`: puts a set-aside input back, with its deaths forgotten. False when the key
    /// is not set aside.
    public func requestRetry(_ key: String) throws -> Bool {
        guard var entry = try QuarantineEntry.fetchOne(db, key: key), entry.status == .held else { return false }
        entry.status = .retry
        entry.deaths = 0
        try entry.update(db)
        return true
    }

    /// The value stored under `key` (`value(_:)`) and whether any input is in quarantine and not set aside
    /// (a suspect, or one an operator put back): what the receive loop reads before every poll, in one
    /// statement. Only when that is true does it ask `quarantineCandidates` and `pendingRetries`, which
    /// find nothing otherwise.
    public func valueAndQuarantineActivity(_ key: String) throws -> (value: String?, quarantineActive: Bool) {
        let row = try DirectStatement(
            db,
            """
            SELECT (SELECT value FROM sync_state WHERE key = ?),
                   EXISTS (SELECT 1 FROM quarantine WHERE status <> ?)
            """
        ).rows([key.databaseValue, QuarantineEntry.Status.held.rawValue.databaseValue]).first ?? []
        guard row.count == 2 else { throw IntakeError(.corrupt, "the poll state query gave \(row.count) columns") }
        let value: String? = try ColumnValue.optional(row[0], "value", of: "the sync state")
        let active: Bool = try ColumnValue.required(row[1], "quarantine activity", of: "the quarantine")
        return (value, active)
    }

    /// Inputs an operator put back, oldest first.
    public func pendingRetries(limit: Int = 20) throws -> [QuarantineEntry] {
        // Asked before every poll: a statement prepared once per connection.
        try QuarantineEntry.fetchAll(
            try db.cachedStatement(sql: "SELECT * FROM quarantine WHERE status = ? ORDER BY first_death_at LIMIT ?"),
            arguments: [QuarantineEntry.Status.retry.rawValue, max(0, limit)])
    }

    /// Forgets that an event was handled, so that a retry handles it again.
    public func unmarkProcessed(_ eventID: String) throws {
        try db.execute(sql: "DELETE FROM processed_event WHERE event_id = ?", arguments: [eventID])
    }
}
