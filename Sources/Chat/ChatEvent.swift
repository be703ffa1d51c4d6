import Foundation

/// Something that happened on the chat server that the bot may act on.
/// Adapters translate their protocol into these and drop everything else
/// (own messages, notices, edits, redactions, system posts).
public struct ChatEvent: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A text message from a person.
        case message(text: String)
        /// The bot was invited to a room. `encrypted` is true when the room has end-to-end encryption.
        case invite(isDirect: Bool, encrypted: Bool)
        /// A message the bot cannot read (an end-to-end encrypted event).
        case unreadable
        /// Who is in a room the bot has joined, reported when the bot joins and whenever someone joins, is
        /// invited or leaves. It is the state after the change; `sender` is whoever made the last change
        /// (possibly the bot itself), and the event comes before the room's messages of the same batch.
        case membership(RoomMembership)
    }

    /// The server's id for the event (Matrix event id, Mattermost post id); unique per server.
    public var id: String
    public var room: RoomID
    public var sender: UserID
    public var kind: Kind
    /// When the server received it.
    public var timestamp: Date
    /// What the adapter knows of the room: true for a direct chat, false for a group room, nil if unknown.
    public var isDirectRoom: Bool?
    /// The event this one replies to, when it is a reply.
    public var inReplyTo: String?

    public init(
        id: String, room: RoomID, sender: UserID, kind: Kind, timestamp: Date,
        isDirectRoom: Bool? = nil, inReplyTo: String? = nil
    ) {
        self.id = id
        self.room = room
        self.sender = sender
        self.kind = kind
        self.timestamp = timestamp
        self.isDirectRoom = isDirectRoom
        self.inReplyTo = inReplyTo
    }
}

/// The members of a room, as the adapter knows them: how many have joined and how many are invited
/// (the bot included in either count), and who the members other than the bot are. `others` may be
/// incomplete in a large room (the adapter names up to a handful); in a room of two it is complete.
public struct RoomMembership: Sendable, Equatable {
    public var joined: Int
    public var invited: Int
    /// Joined or invited members other than the bot, as far as the adapter knows.
    public var others: [UserID]

    public init(joined: Int, invited: Int, others: [UserID]) {
        self.joined = joined
        self.invited = invited
        self.others = others
    }

    /// Whether this is a direct chat between the bot and `person` only: nobody but `person` besides the
    /// bot has joined or is invited.
    public func isDirect(with person: UserID) -> Bool {
        total <= 2 && others.allSatisfy { $0 == person }
    }

    /// Joined and invited together (saturating: counts come from the server).
    public var total: Int {
        let (sum, overflow) = max(0, joined).addingReportingOverflow(max(0, invited))
        return overflow ? .max : sum
    }
}

/// One answer of a poll: the events in server order and the cursor to poll from next.
/// The cursor is opaque to the bot and is committed together with the effects of the events.
public struct ChatBatch: Sendable, Equatable {
    public var events: [ChatEvent]
    public var cursor: String

    public init(events: [ChatEvent], cursor: String) {
        self.events = events
        self.cursor = cursor
    }
}

/// A message on its way out. `txnID` is stable across restarts: a re-send with the same id must not
/// produce a second message on the server.
public struct OutgoingMessage: Sendable, Codable, Equatable {
    public enum Style: String, Sendable, Codable, Equatable {
        /// An ordinary message.
        case text
        /// A bot notice (Matrix `m.notice`); other bots never answer those.
        case notice
    }

    public var txnID: String
    public var room: RoomID
    public var body: RichText
    public var style: Style
    public var inReplyTo: String?
    /// A file to send instead of text, where the server takes files (`ChatCapabilities.supportsFiles`);
    /// `body` is then its caption.
    public var attachment: FileAttachment?

    public init(
        txnID: String, room: RoomID, body: RichText, style: Style = .text, inReplyTo: String? = nil,
        attachment: FileAttachment? = nil
    ) {
        self.txnID = txnID
        self.room = room
        self.body = body
        self.style = style
        self.inReplyTo = inReplyTo
        self.attachment = attachment
    }
}

/// A file the bot sends (the person's data export, say).
public struct FileAttachment: Sendable, Codable, Equatable {
    public var filename: String
    public var mimeType: String
    public var data: Data

    public init(filename: String, mimeType: String, data: Data) {
        self.filename = filename
        self.mimeType = mimeType
        self.data = data
    }
}

/// What the server answered to a send.
public struct SentMessage: Sendable, Equatable {
    /// The server's id of the message (Matrix event id, Mattermost post id).
    public var remoteID: String
    public init(remoteID: String) { self.remoteID = remoteID }
}
