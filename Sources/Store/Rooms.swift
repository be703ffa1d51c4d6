import Chat
import Foundation
import GRDB
import Intake

/// Migration v8: what keeps a direct chat direct, and room creation safe to retry.
enum RoomsSchema {
    static func v8(_ db: Database) throws {
        // A direct invite the bot accepted whose members it has not seen yet: the greeting waits for them.
        try db.create(table: "direct_invite") { t in
            t.primaryKey("room_id", .text)
            t.column("user_id", .text).notNull().indexed()
            t.column("invited_at", .datetime).notNull()
        }
        // Rooms that are no direct chat: found to have other members when the bot joined, or joined by a third
        // person later. Never taken for anyone's direct chat again; `user_id` is the person who invited the
        // bot (nil after `glöm mig`), whose messages there are answered in a fresh direct chat.
        try db.create(table: "retired_room") { t in
            t.primaryKey("room_id", .text)
            t.column("user_id", .text).indexed()
            t.column("retired_at", .datetime).notNull()
        }
        // A direct room being created for a recipient, recorded before the request: after a lost answer or a
        // crash the room made with this token is looked for before another one is created.
        try db.create(table: "room_creation") { t in
            t.primaryKey("recipient", .text)
            t.column("token", .text).notNull()
            t.column("started_at", .datetime).notNull()
            t.column("attempts", .integer).notNull().defaults(to: 0)
        }
    }
}

/// A room creation the sender is about to attempt: its token, and whether an earlier attempt may have
/// created a room already (its answer lost, or the process died before storing it).
public struct PendingRoomCreation: Sendable, Equatable {
    public var token: String
    public var attemptedBefore: Bool
}

extension IntakeTransaction {
    // MARK: Direct invites waiting for their members

    public func recordDirectInvite(_ room: RoomID, from user: UserID, at date: Date) throws {
        try db.execute(
            sql: "INSERT OR REPLACE INTO direct_invite (room_id, user_id, invited_at) VALUES (?, ?, ?)",
            arguments: [room.rawValue, user.rawValue, StoredDate.text(date)])
    }

    /// The person whose direct invite to `room` waits for the room's members, removing the record.
    public func takeDirectInvite(_ room: RoomID) throws -> UserID? {
        let user = try String.fetchOne(
            db, sql: "SELECT user_id FROM direct_invite WHERE room_id = ?", arguments: [room.rawValue])
        try db.execute(sql: "DELETE FROM direct_invite WHERE room_id = ?", arguments: [room.rawValue])
        return user.map(UserID.init(rawValue:))
    }

    // MARK: Rooms that are no direct chat

    /// Whether `room` was found not to be a direct chat; `owner` is who it was offered by (nil when unknown).
    public func retiredRoom(_ room: RoomID) throws -> (retired: Bool, owner: UserID?) {
        guard let row = try Row.fetchOne(
            try db.cachedStatement(sql: "SELECT user_id FROM retired_room WHERE room_id = ?"), arguments: [room.rawValue])
        else { return (false, nil) }
        let owner: String? = row["user_id"]
        return (true, owner.map(UserID.init(rawValue:)))
    }

    /// Stops using `room` as anyone's direct chat, for good. Messages still waiting to go there go to their
    /// person's (fresh) direct chat instead (`handBackWaitingMessages`).
    public func retireRoom(_ room: RoomID, owner: UserID?, at date: Date) throws {
        if let owner { try handBackWaitingMessages(in: room, to: owner) }
        try forgetDirectRoom(room)
        try db.execute(sql: "DELETE FROM direct_invite WHERE room_id = ?", arguments: [room.rawValue])
        try db.execute(
            sql: "INSERT OR IGNORE INTO retired_room (room_id, user_id, retired_at) VALUES (?, ?, ?)",
            arguments: [room.rawValue, owner?.rawValue, StoredDate.text(date)])
    }

    /// Messages still waiting to go to `room` go to their person's direct chat instead, found or opened by
    /// the sender when their turn comes: each to the person it was queued for (notices and announcements are
    /// queued with that person's known chat), or to `owner`, the room's person, when it was queued for the
    /// room alone (a reply). For a room that stops being a direct chat: shared (`retireRoom`) or encrypted.
    public func handBackWaitingMessages(in room: RoomID, to owner: UserID) throws {
        // The lane's key is the room when it is known: the entries are found through `outbox_by_lane`.
        try db.execute(
            sql: """
                UPDATE outbox SET room_id = NULL, recipient = coalesce(recipient, ?1)
                WHERE \(Schema.laneKey()) = ?2 AND room_id = ?2 AND kind = 'message'
                    AND sent_at IS NULL AND failed_at IS NULL
                """,
            arguments: [owner.rawValue, room.rawValue])
    }

    // MARK: Room creation

    /// Records that a direct room for `recipient` is about to be created (before the request), and returns
    /// the token to create it with: the same for every attempt until `finishRoomCreation`.
    public func beginRoomCreation(for recipient: UserID, at date: Date) throws -> PendingRoomCreation {
        if let row = try Row.fetchOne(
            db, sql: "SELECT token, attempts FROM room_creation WHERE recipient = ?", arguments: [recipient.rawValue])
        {
            let token: String = row["token"]
            let attempts: Int = row["attempts"]
            try db.execute(
                sql: "UPDATE room_creation SET attempts = attempts + 1 WHERE recipient = ?",
                arguments: [recipient.rawValue])
            return PendingRoomCreation(token: token, attemptedBefore: attempts > 0)
        }
        let token = UUID().uuidString.lowercased()
        try db.execute(
            sql: "INSERT INTO room_creation (recipient, token, started_at, attempts) VALUES (?, ?, ?, 1)",
            arguments: [recipient.rawValue, token, StoredDate.text(date)])
        return PendingRoomCreation(token: token, attemptedBefore: false)
    }

    /// The room is created and stored: the record of the attempt goes.
    public func finishRoomCreation(for recipient: UserID) throws {
        try db.execute(sql: "DELETE FROM room_creation WHERE recipient = ?", arguments: [recipient.rawValue])
    }

    /// `glöm mig`: the person's traces in these tables. A retired room stays retired, without its owner.
    public func forgetRoomTraces(of user: UserID) throws {
        try db.execute(sql: "DELETE FROM direct_invite WHERE user_id = ?", arguments: [user.rawValue])
        try db.execute(sql: "UPDATE retired_room SET user_id = NULL WHERE user_id = ?", arguments: [user.rawValue])
        try db.execute(sql: "DELETE FROM room_creation WHERE recipient = ?", arguments: [user.rawValue])
    }
}
