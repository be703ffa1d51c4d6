import Chat
import Foundation
import GRDB
import Intake
import Prompts

// GRDB conformances of the model: snake_case columns, one record per table.

extension Person: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "person"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase
    public static func databaseDateEncodingStrategy(for column: String) -> DatabaseDateEncodingStrategy { .storedText }

    /// Read column by column, as `Idea` is: the same result as the `Decodable` path, which converted every
    /// column name from snake case for every row (the person is read several times for each message).
    /// A value that cannot be read throws, as the `Decodable` path did, never traps.
    public init(row: Row) throws {
        try self.init(values: Self.columns.map { (row[$0] as DatabaseValue?) ?? .null })
    }

    /// The columns `init(values:)` reads, in its order (the hot read names them: `IntakeTransaction.person`).
    static let columns = [
        "id", "language", "unit", "greeted_at", "created_at", "reminders_off", "paused_until", "weekly_checkin",
        "challenge_updates",
    ]
    static let selection = columns.joined(separator: ", ")

    /// A person from the values of `columns`, in that order.
    init(values: [DatabaseValue]) throws {
        guard values.count == Self.columns.count else {
            throw IntakeError(.corrupt, "a person row has \(values.count) columns, not \(Self.columns.count)")
        }
        let what = "a person"
        let language: Language?
        if let stored: String = try ColumnValue.optional(values[1], "language", of: what) {
            guard let known = Language(rawValue: stored) else {
                throw IntakeError(.corrupt, "a person has an unknown language \(stored)")
            }
            language = known
        } else {
            language = nil
        }
        self.init(
            id: UserID(rawValue: try ColumnValue.required(values[0], "id", of: what)), language: language,
            unit: try ColumnValue.optional(values[2], "unit", of: what),
            greetedAt: try ColumnValue.optionalDate(values[3], "greeted_at", of: what),
            createdAt: try ColumnValue.requiredDate(values[4], "created_at", of: what),
            remindersOff: try ColumnValue.required(values[5], "reminders_off", of: what),
            pausedUntil: try ColumnValue.optionalDate(values[6], "paused_until", of: what),
            weeklyCheckin: try ColumnValue.required(values[7], "weekly_checkin", of: what),
            challengeUpdates: try ColumnValue.required(values[8], "challenge_updates", of: what))
    }
}

extension Idea: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "idea"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase
    public static func databaseDateEncodingStrategy(for column: String) -> DatabaseDateEncodingStrategy { .storedText }

    /// Read column by column: the same result as the `Decodable` path at a fraction of its cost (a digest of
    /// a large intake reads tens of thousands of ideas; the generic decoder hashed every column name). A value
    /// that cannot be read throws, never traps.
    public init(row: Row) throws {
        try self.init(values: Self.columns.map { (row[$0] as DatabaseValue?) ?? .null })
    }

    /// The columns `init(values:)` reads, in its order (the draft is read by number for every message).
    static let columns = [
        "number", "author", "title", "problem", "benefits", "solution", "challenge", "unit", "stage", "guide",
        "created_at", "updated_at", "submitted_at", "campaign",
    ]
    static let selection = columns.joined(separator: ", ")

    /// An idea from the values of `columns`, in that order.
    init(values: [DatabaseValue]) throws {
        guard values.count == Self.columns.count else {
            throw IntakeError(.corrupt, "an idea row has \(values.count) columns, not \(Self.columns.count)")
        }
        let number: Int = try ColumnValue.required(values[0], "number", of: "an idea")
        let what = "idea \(number)"
        guard let stage = IdeaStage(rawValue: (try ColumnValue.optional(values[8], "stage", of: what)) ?? "") else {
            throw IntakeError(.corrupt, "idea \(number) has an unknown stage")
        }
        self.init(
            number: number, author: UserID(rawValue: try ColumnValue.required(values[1], "author", of: what)),
            title: try ColumnValue.required(values[2], "title", of: what),
            problem: try ColumnValue.required(values[3], "problem", of: what),
            benefits: try ColumnValue.optional(values[4], "benefits", of: what),
            solution: try ColumnValue.optional(values[5], "solution", of: what),
            theme: try ColumnValue.optional(values[6], "challenge", of: what),
            unit: try ColumnValue.optional(values[7], "unit", of: what), stage: stage,
            guide: (try ColumnValue.optional(values[9], "guide", of: what) as String?).map(UserID.init(rawValue:)),
            createdAt: try ColumnValue.requiredDate(values[10], "created_at", of: what),
            updatedAt: try ColumnValue.requiredDate(values[11], "updated_at", of: what),
            submittedAt: try ColumnValue.optionalDate(values[12], "submitted_at", of: what),
            campaign: try ColumnValue.optional(values[13], "campaign", of: what))
    }
}

extension IdeaEvent: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "idea_event"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase
    public static func databaseDateEncodingStrategy(for column: String) -> DatabaseDateEncodingStrategy { .storedText }
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
            id: row["id"], ideaNumber: number, at: try StoredDate.required(row, "at", "a history line of idea \(number)"),
            actor: UserID(rawValue: row["actor"]), kind: kind,
            fromStage: try stage("from_stage"), toStage: try stage("to_stage"), comment: row["comment"])
    }
}

/// A message waiting in (or sent from) the outbox.
public struct OutboxEntry: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "outbox"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase
    public static func databaseDateEncodingStrategy(for column: String) -> DatabaseDateEncodingStrategy { .storedText }

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

    /// Read column by column: the same result as the `Decodable` path (the sender reads the first entry of
    /// every lane each round, and the generic decoder converted every column name from snake case). The text
    /// and the file are JSON, decoded with the record's own `databaseJSONDecoder`; a value that cannot be read
    /// throws, as before, never traps. When a column name appears twice the leftmost is read, as before.
    public init(row: Row) throws {
        try self.init(values: Self.columns.map { (row[$0] as DatabaseValue?) ?? .null })
    }

    /// The position of `body` in `columns` (the sender's lane query reads the body's bytes there).
    static let bodyIndex = 6

    /// An entry from the values of `columns`, in that order (the sender's lane query names them and reads
    /// them by position: GRDB's `Row` lowercased and hashed every column name of every query).
    /// `bodyIsText`: the body column was text, read as a blob (`CAST(body AS BLOB)`) for its bytes: the form
    /// this process writes is read from them directly (or is `writtenBody`, read from the same bytes before),
    /// anything else as the text GRDB would have read.
    init(values: [DatabaseValue], bodyIsText: Bool = false, writtenBody known: RichText? = nil) throws {
        guard values.count >= Self.columns.count else {
            throw IntakeError(.corrupt, "an outbox row has \(values.count) columns, not \(Self.columns.count)")
        }
        var values = values
        var writtenBody: RichText?
        if bodyIsText, case .blob(let bytes) = values[Self.bodyIndex].storage {
            writtenBody = known ?? RichText(writtenStoredJSON: bytes)
            if writtenBody == nil {
                // As `String(cString:)` reads a text column: up to a NUL, anything not UTF-8 replaced.
                values[Self.bodyIndex] = String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self).databaseValue
            }
        }
        let what = "an outbox entry"
        func raw<T: RawRepresentable>(_ index: Int) throws -> T where T.RawValue: DatabaseValueConvertible {
            let value: T.RawValue = try ColumnValue.required(values[index], Self.columns[index], of: what)
            guard let result = T(rawValue: value) else {
                throw IntakeError(.corrupt, "an outbox entry has an unknown \(Self.columns[index]) \(value)")
            }
            return result
        }
        func json<T: Decodable>(_ type: T.Type, _ index: Int) throws -> T? {
            let column = Self.columns[index]
            switch values[index].storage {
            case .null: return nil
            case .string(let text): return try Self.databaseJSONDecoder(for: column).decode(T.self, from: Data(text.utf8))
            case .blob(let data): return try Self.databaseJSONDecoder(for: column).decode(T.self, from: data)
            case .int64, .double: throw IntakeError(.corrupt, "an outbox entry's \(column) is not JSON")
            }
        }
        let fastBody: RichText? =
            if let writtenBody { writtenBody } else if case .string(let text) = values[Self.bodyIndex].storage { RichText(storedJSON: text) } else { nil }
        guard let body = try fastBody ?? json(RichText.self, Self.bodyIndex) else {
            throw IntakeError(.corrupt, "an outbox entry has no body")
        }
        self.init(
            txnID: try ColumnValue.required(values[3], "txn_id", of: what), kind: try raw(1),
            roomID: (try ColumnValue.optional(values[4], "room_id", of: what) as String?).map(RoomID.init(rawValue:)),
            recipient: (try ColumnValue.optional(values[5], "recipient", of: what) as String?).map(UserID.init(rawValue:)),
            body: body, style: try raw(7), inReplyTo: try ColumnValue.optional(values[8], "in_reply_to", of: what),
            attachment: try json(FileAttachment.self, 9),
            createdAt: try ColumnValue.requiredDate(values[10], "created_at", of: what), priority: try raw(2))
        id = try ColumnValue.optional(values[0], "id", of: what)
        notBefore = try ColumnValue.optionalDate(values[11], "not_before", of: what)
        attempts = try ColumnValue.required(values[12], "attempts", of: what)
        lastError = try ColumnValue.optional(values[13], "last_error", of: what)
        sentAt = try ColumnValue.optionalDate(values[14], "sent_at", of: what)
        remoteID = try ColumnValue.optional(values[15], "remote_id", of: what)
        failedAt = try ColumnValue.optionalDate(values[16], "failed_at", of: what)
    }

    /// Written column by column: the same row as the `Encodable` path (which first tried the text and the
    /// file as single values and threw before falling back to JSON): JSON text with sorted keys for them.
    public func encode(to container: inout PersistenceContainer) throws {
        for (column, value) in zip(Self.columns, try columnValues()) { container[column] = value }
    }

    /// The outbox's columns, in the order of `columnValues()`.
    static let columns = [
        "id", "kind", "priority", "txn_id", "room_id", "recipient", "body", "style", "in_reply_to", "attachment",
        "created_at", "not_before", "attempts", "last_error", "sent_at", "remote_id", "failed_at",
    ]

    /// The entry's row, column by column (`columns`): the text and the file as JSON, the dates as GRDB writes them.
    /// `storedBody`: `body.storedJSON`, when the caller has it already.
    /// As `DatabaseValue`s, each converted from its own type (no `DatabaseValueConvertible` existentials).
    func columnValues(storedBody: String? = nil) throws -> [DatabaseValue] {
        func json(_ value: some Encodable, _ column: String) throws -> String {
            String(decoding: try Self.databaseJSONEncoder(for: column).encode(value), as: UTF8.self)
        }
        func value<Value: DatabaseValueConvertible>(_ value: Value?) -> DatabaseValue { value?.databaseValue ?? .null }
        return [
            value(id), value(kind.rawValue), value(priority.rawValue), value(txnID), value(roomID?.rawValue),
            value(recipient?.rawValue), value(storedBody ?? body.storedJSON), value(style.rawValue), value(inReplyTo),
            value(try attachment.map { try json($0, "attachment") }), value(StoredDate.text(createdAt)),
            value(notBefore.map(StoredDate.text)), value(attempts), value(lastError), value(sentAt.map(StoredDate.text)),
            value(remoteID), value(failedAt.map(StoredDate.text)),
        ]
    }

    public static func databaseJSONEncoder(for column: String) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return encoder
    }
}
