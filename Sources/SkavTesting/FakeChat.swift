import Chat
import Foundation
import Logging
import Synchronization

/// An in-memory chat server for the bot's tests: records what the bot does, de-duplicates sends by
/// transaction id (as Synapse does), and fails on request.
final class FakeChat: ChatService {
    struct State {
        var sent: [OutgoingMessage] = []
        var sendCalls = 0
        var joined: [RoomID] = []
        var left: [RoomID] = []
        var opened: [UserID] = []
        var failures: [ChatError] = []
        var batches: [Result<ChatBatch, ChatError>] = []
        var polls: [String?] = []
        var connectResult: Result<UserID, ChatError> = .success("@skav:kommun.se")
        /// Events the server still has, for `fetchEvent`.
        var stored: [String: ChatEvent] = [:]
        /// The cursors `skipPast` was asked to skip.
        var skipped: [String?] = []
    }

    let kind = ChatKind.matrix
    let capabilities = ChatCapabilities(maxMessageBytes: 60_000, markup: .html)
    let state = Mutex(State())

    func failNextSends(_ errors: [ChatError]) { state.withLock { $0.failures += errors } }
    func queue(_ batches: [Result<ChatBatch, ChatError>]) { state.withLock { $0.batches += batches } }
    var sent: [OutgoingMessage] { state.withLock { $0.sent } }
    var sentTexts: [String] { sent.map(\.body.plainText) }

    func connect() async throws -> UserID { try state.withLock { $0.connectResult }.get() }

    func poll(cursor: String?) async throws -> ChatBatch {
        let next = state.withLock { state -> Result<ChatBatch, ChatError>? in
            state.polls.append(cursor)
            return state.batches.isEmpty ? nil : state.batches.removeFirst()
        }
        guard let next else {
            // Nothing scripted: behave like an idle long poll until cancelled.
            try await Task.sleep(for: .seconds(3600))
            throw CancellationError()
        }
        return try next.get()
    }

    func send(_ message: OutgoingMessage) async throws -> SentMessage {
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

    func fetchEvent(_ id: String, in room: RoomID) async throws -> ChatEvent? {
        state.withLock { $0.stored[id].flatMap { $0.room == room ? $0 : nil } }
    }

    func skipPast(cursor: String?) async throws -> String {
        state.withLock { $0.skipped.append(cursor) }
        return "past-" + (cursor ?? "start")
    }

    func join(_ room: RoomID) async throws { state.withLock { $0.joined.append(room) } }
    func leave(_ room: RoomID) async throws { state.withLock { $0.left.append(room) } }
    func openDirectRoom(with user: UserID) async throws -> RoomID {
        state.withLock { $0.opened.append(user) }
        return RoomID("!dm-\(user.rawValue)")
    }
}

/// Tests log nowhere (the logging system is never bootstrapped in tests).
let quietLogger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
