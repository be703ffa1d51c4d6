import Chat
import Foundation

/// The chat "server" of `skav` without a config: the person is at the terminal, the bot's replies are
/// printed. Only `send` is used: the terminal session feeds lines to the engine itself.
///
/// The person at the keyboard is one person with one room, `room`. What the bot sends to anyone else (an
/// idea routed to a guide, a digest for the coordinators) goes to a room of that person's own and is
/// printed under a line that says who it was for, so that it never takes over the terminal's room.
public final class TerminalChat: ChatService {
    /// The terminal person's room.
    public static let room = RoomID("!terminal")
    public let kind = ChatKind.terminal
    /// Files are printed: the person at the terminal can copy them.
    public let capabilities = ChatCapabilities(maxMessageBytes: 1 << 20, markup: .plain, supportsFiles: true)
    private let output: @Sendable (String) -> Void
    private let botUser: UserID
    private let person: UserID
    /// The line printed before a message meant for someone else, given their id.
    private let forOther: @Sendable (String) -> String

    public init(
        botUser: UserID, person: UserID, forOther: @escaping @Sendable (String) -> String = { "(\($0))" },
        output: @escaping @Sendable (String) -> Void
    ) {
        self.botUser = botUser
        self.person = person
        self.forOther = forOther
        self.output = output
    }

    /// The room the terminal gives to someone other than the person at the keyboard.
    static let otherPrefix = "!terminal-to:"

    public func connect() async throws -> UserID { botUser }

    public func poll(cursor: String?) async throws -> ChatBatch {
        ChatBatch(events: [], cursor: cursor ?? "terminal")
    }

    public func send(_ message: OutgoingMessage) async throws -> SentMessage {
        var lines: [String] = []
        if message.room != Self.room {
            let raw = message.room.rawValue
            lines.append(forOther(raw.hasPrefix(Self.otherPrefix) ? String(raw.dropFirst(Self.otherPrefix.count)) : raw))
        }
        lines.append(message.body.plainText)
        if let attachment = message.attachment {
            let content = String(data: attachment.data, encoding: .utf8) ?? "(\(attachment.data.count) bytes)"
            lines += ["--- \(attachment.filename) ---", content]
        }
        output(lines.filter { !$0.isEmpty }.joined(separator: "\n"))
        return SentMessage(remoteID: message.txnID)
    }

    public func join(_ room: RoomID) async throws {}
    public func leave(_ room: RoomID) async throws {}
    public func openDirectRoom(with user: UserID) async throws -> RoomID {
        user == person ? Self.room : RoomID(Self.otherPrefix + user.rawValue)
    }
}
