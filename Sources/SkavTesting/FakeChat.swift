import Chat
import Foundation
import Synchronization

/// An in-memory chat server for the bot's tests: records what the bot does, de-duplicates sends by
/// transaction id (as Synapse does), and fails on request.
public final class FakeChat: ChatService {
    public struct State: Sendable {
        public var sent: [OutgoingMessage] = []
        public var sendCalls = 0
        public var joined: [RoomID] = []
        public var left: [RoomID] = []
        public var opened: [UserID] = []
        public var failures: [ChatError] = []
        public var batches: [Result<ChatBatch, ChatError>] = []
        public var polls: [String?] = []
        public var connectResult: Result<UserID, ChatError> = .success("@skav:kommun.se")
        /// Events the server still has, for `fetchEvent`.
        public var stored: [String: ChatEvent] = [:]
        /// The cursors `skipPast` was asked to skip.
        public var skipped: [String?] = []
    }

    public let kind = ChatKind.matrix
    public let capabilities = ChatCapabilities(maxMessageBytes: 60_000, markup: .html)
    public let state = Mutex(State())

    public init() {}

    public func failNextSends(_ errors: [ChatError]) { state.withLock { $0.failures += errors } }
    public func queue(_ batches: [Result<ChatBatch, ChatError>]) { state.withLock { $0.batches += batches } }
    public var sent: [OutgoingMessage] { state.withLock { $0.sent } }
    public var sentTexts: [String] { sent.map(\.body.plainText) }
    /// The messages sent to one room, in order.
    public func messages(in room: RoomID) -> [OutgoingMessage] { sent.filter { $0.room == room } }

    public func connect() async throws -> UserID { try state.withLock { $0.connectResult }.get() }

    public func poll(cursor: String?) async throws -> ChatBatch {
        state.withLock { $0.polls.append(cursor) }
        // Nothing scripted: behave like an idle long poll until cancelled (this is the server being slow,
        // not a test waiting for something), answering as soon as a test queues a batch.
        while true {
            if let next = state.withLock({ $0.batches.isEmpty ? nil : $0.batches.removeFirst() }) { return try next.get() }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    public func send(_ message: OutgoingMessage) async throws -> SentMessage {
        try state.withLock { state in
            state.sendCalls += 1
            if !state.failures.isEmpty { throw state.failures.removeFirst() }
            if let index = state.sent.firstIndex(where: { $0.txnID == message.txnID && $0.room == message.room }) {
                return SentMessage(remoteID: "$event\(index)")
            }
            state.sent.append(message)
            return SentMessage(remoteID: "$event\(state.sent.count - 1)")
        }
    }

    public func fetchEvent(_ id: String, in room: RoomID) async throws -> ChatEvent? {
        state.withLock { $0.stored[id].flatMap { $0.room == room ? $0 : nil } }
    }

    public func skipPast(cursor: String?) async throws -> String {
        state.withLock { $0.skipped.append(cursor) }
        return "past-" + (cursor ?? "start")
    }

    public func join(_ room: RoomID) async throws { state.withLock { $0.joined.append(room) } }
    public func leave(_ room: RoomID) async throws { state.withLock { $0.left.append(room) } }
    public func openDirectRoom(with user: UserID) async throws -> RoomID {
        state.withLock { $0.opened.append(user) }
        return RoomID("!dm-\(user.rawValue)")
    }
}
