import Chat
import Foundation

/// The chat "server" of `skav` without a config: the person is at the terminal, the bot's replies are
/// printed. Only `send` is used: the terminal session feeds lines to the engine itself.
public final class TerminalChat: ChatService {
    public let kind = ChatKind.terminal
    /// Files are printed: the person at the terminal can copy them.
    public let capabilities = ChatCapabilities(maxMessageBytes: 1 << 20, markup: .plain, supportsFiles: true)
    private let output: @Sendable (String) -> Void
    private let botUser: UserID

    public init(botUser: UserID, output: @escaping @Sendable (String) -> Void) {
        self.botUser = botUser
        self.output = output
    }

    public func connect() async throws -> UserID { botUser }

    public func poll(cursor: String?) async throws -> ChatBatch {
        ChatBatch(events: [], cursor: cursor ?? "terminal")
    }

    public func send(_ message: OutgoingMessage) async throws -> SentMessage {
        if let attachment = message.attachment {
            let content = String(data: attachment.data, encoding: .utf8) ?? "(\(attachment.data.count) bytes)"
            output([message.body.plainText, "--- \(attachment.filename) ---", content].filter { !$0.isEmpty }.joined(separator: "\n"))
        } else {
            output(message.body.plainText)
        }
        return SentMessage(remoteID: message.txnID)
    }

    public func join(_ room: RoomID) async throws {}
    public func leave(_ room: RoomID) async throws {}
    public func openDirectRoom(with user: UserID) async throws -> RoomID { RoomID("!terminal") }
}
