import Chat
import Foundation
import GRDB
import Intake

// GRDB conformances of the model: snake_case columns, one record per table.

extension Person: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "person"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase
}

extension Idea: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "idea"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    /// Read column by column: the same result as the `Decodable` path at a fraction of its cost (a digest of
    /// a large intake reads tens of thousands of ideas; the generic decoder hashed every column name).
    public init(row: Row) throws {
        guard let stage = IdeaStage(rawValue: row["stage"] ?? "") else {
            throw IntakeError(.corrupt, "idea \(row["number"] as Int? ?? 0) has an unknown stage")
        }
        self.init(
            number: row["number"], author: UserID(rawValue: row["author"]), title: row["title"],
            problem: row["problem"], benefits: row["benefits"], solution: row["solution"], challenge: row["challenge"],
            unit: row["unit"], stage: stage, guide: (row["guide"] as String?).map(UserID.init(rawValue:)),
            createdAt: row["created_at"], updatedAt: row["updated_at"], submittedAt: row["submitted_at"],
            campaign: row["campaign"])
    }
}

extension IdeaEvent: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "idea_event"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    /// Read column by column, as `Idea` is: the same result as the `Decodable` path, without its cost per
    /// column (a digest reads the week's history lines).
    public init(row: Row) throws {
        let number: Int = row["idea_number"]
        guard let kind = Kind(rawValue: row["kind"] ?? "") else {
            throw IntakeError(.corrupt, "a history line of idea \(number) has an unknown kind")
        }
        func stage(_ column: String) throws -> IdeaStage? {
            guard let raw: String = row[column] else { return nil }
            guard let stage = IdeaStage(rawValue: raw) else {
                throw IntakeError(.corrupt, "a history line of idea \(number) has an unknown stage")
            }
            return stage
        }
        self.init(
            id: row["id"], ideaNumber: number, at: row["at"], actor: UserID(rawValue: row["actor"]), kind: kind,
            fromStage: try stage("from_stage"), toStage: try stage("to_stage"), comment: row["comment"])
    }
}

/// A message waiting in (or sent from) the outbox.
public struct OutboxEntry: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "outbox"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    public enum Kind: String, Codable, Sendable {
        case message, join, leave
    }

    /// Which entries go first. A reply to what a person just wrote never waits behind bulk; bulk still goes
    /// (rooms take turns, so it is never starved either). Within one room the order is always kept.
    public enum Priority: Int, Codable, Sendable, Comparable {
        /// The answer to a message a person just wrote (and joining or leaving the room it came from).
        case reply = 0
        /// A message to another person about something that happened (a relay, a stage change, a routed idea).
        case notice = 1
        /// Nudges, announcements, digests, good examples: sent when no reply or notice waits.
        case bulk = 2

        public static func < (a: Priority, b: Priority) -> Bool { a.rawValue < b.rawValue }
    }

    public var id: Int64?
    public var kind: Kind
    public var priority: Priority
    /// Stable across restarts: derived from the incoming event (`<event id>.<index>`) or the nudge.
    public var txnID: String
    /// Where to send; nil when only the recipient is known (the sender opens the direct chat).
    public var roomID: RoomID?
    public var recipient: UserID?
    public var body: RichText
    public var style: OutgoingMessage.Style
    public var inReplyTo: String?
    /// A file to send, with `body` as its caption.
    public var attachment: FileAttachment?
    public var createdAt: Date
    /// Do not try before this time (set after a failure).
    public var notBefore: Date?
    public var attempts: Int
    public var lastError: String?
    public var sentAt: Date?
    public var remoteID: String?
    /// Set when the entry was given up on (a permanent refusal); it stays for the operator to see.
    public var failedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, kind, priority, txnID = "txnId", roomID = "roomId", recipient, body, style, inReplyTo, attachment, createdAt
        case notBefore
        case attempts, lastError, sentAt, remoteID = "remoteId", failedAt
    }

    public init(
        txnID: String, kind: Kind = .message, roomID: RoomID?, recipient: UserID? = nil, body: RichText = RichText(),
        style: OutgoingMessage.Style = .text, inReplyTo: String? = nil, attachment: FileAttachment? = nil, createdAt: Date,
        priority: Priority = .notice
    ) {
        self.kind = kind
        self.priority = priority
        self.attachment = attachment
        self.txnID = txnID
        self.roomID = roomID
        self.recipient = recipient
        self.body = body
        self.style = style
        self.inReplyTo = inReplyTo
        self.createdAt = createdAt
        self.attempts = 0
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    public static func databaseJSONEncoder(for column: String) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return encoder
    }
}
