public import Chat
public import Foundation

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
public struct AuditEntry: Codable, Sendable, Equatable {
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


/// An outbox entry still holding a message for the person, as `mina data` lists it.
public struct StoredMessage: Codable, Sendable, Equatable {
    /// waiting (not sent yet), failed (given up; kept for the operator until retention), or unreadable (a
    /// damaged row, its stored text as it is).
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
