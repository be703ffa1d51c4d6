import Chat
import Conversation
import Foundation
import Intake
import Logging
import SkavBot
import Store
import Synchronization

/// The engine and the sender together against the fake server, over a fresh store: what a person would
/// see. One harness for every engine test; each suite says only what its bot is configured with.
public final class EngineHarness: Sendable {
    /// The moment most engine tests happen at (2026-09-21).
    public static let start = Date(timeIntervalSince1970: 1_790_000_000)
    /// The bot's own account.
    public static let botUser = UserID("@skav:kommun.se")

    /// The database file, when the store is on disk (`onDisk: true`); nil for an in-memory store.
    public let path: String?
    public let store: IntakeStore
    public let engine: BotEngine
    public let chat: FakeChat
    public let logger: Logger
    /// The on-demand digest service, when the harness was given a digest builder; `drain()` serves it first.
    public let digests: DigestRequestService?
    private let parallelSends: Int
    private let events = Counter()

    /// The settings of a test bot: `@skav:kommun.se`, people of `kommun.se`, the cursor at `matrix.cursor`.
    public static func settings(
        _ conversation: ConversationConfig, allowedDomains: [String] = ["kommun.se"],
        flood: FloodGate.Limit = FloodGate.Limit(), sharedRoom: RoomID? = nil, coordinatorsRoom: RoomID? = nil
    ) -> BotSettings {
        BotSettings(
            botUser: botUser, allowedDomains: allowedDomains, conversation: conversation, cursorKey: "matrix.cursor",
            flood: flood, sharedRoom: sharedRoom, coordinatorsRoom: coordinatorsRoom)
    }

    /// - Parameters:
    ///   - onDisk: a database file in a new temporary directory (for what stays on disk), else in memory.
    ///   - parallelSends: the sender's `limits.parallel_sends`.
    ///   - digest: builds an on-demand digest (`sammanfattning`); without it requests are only stored.
    public init(
        _ conversation: ConversationConfig, allowedDomains: [String] = ["kommun.se"],
        flood: FloodGate.Limit = FloodGate.Limit(), sharedRoom: RoomID? = nil, coordinatorsRoom: RoomID? = nil,
        onDisk: Bool = false, parallelSends: Int = OutboxSender.defaultParallelSends, logger: Logger = quietLogger,
        digest: (@Sendable (IntakeTransaction, Date) throws -> DigestMessages)? = nil
    ) throws {
        if onDisk {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("skav-test-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let path = directory.appendingPathComponent("skav.sqlite").path
            self.path = path
            TemporaryFolders.removeAtExit(directory)
            store = try IntakeStore(path: path)
        } else {
            path = nil
            store = try IntakeStore()
        }
        chat = FakeChat()
        self.logger = logger
        self.parallelSends = parallelSends
        engine = BotEngine(
            store: store, prompts: testPrompts,
            settings: Self.settings(
                conversation, allowedDomains: allowedDomains, flood: flood, sharedRoom: sharedRoom,
                coordinatorsRoom: coordinatorsRoom),
            logger: logger)
        let store = self.store
        digests = digest.map { build in
            DigestRequestService(store: store, build: build, wake: WakeSignal(), sent: nil, logger: logger)
        }
    }

    /// Another engine over the same store (a restart, or other settings).
    public func engine(_ settings: BotSettings) -> BotEngine {
        BotEngine(store: store, prompts: testPrompts, settings: settings, logger: logger)
    }

    /// A sender as after a restart: new object, same database.
    public func sender(crashpoints: Crashpoints = Crashpoints(specification: nil)) -> OutboxSender {
        OutboxSender(
            store: store, chat: chat, wake: WakeSignal(), crashpoints: crashpoints, logger: logger, parallelSends: parallelSends)
    }

    /// What the running bot does after a batch: requested digests are built, then the outbox is sent.
    public func drain() async throws {
        try digests?.serve(now: Self.start)
        try await sender().drain()
    }

    /// Handles the messages, one batch each (event `$eN`, cursor `sN`, numbered across the harness's life),
    /// in `room` or the person's direct room (`Cast.directRoom(of:)`); nothing is sent.
    public func say(_ texts: [String], from user: UserID, in room: RoomID? = nil, at now: Date) throws {
        for text in texts {
            let index = events.increment()
            let event = ChatEvent(
                id: "$e\(index)", room: room ?? Cast.directRoom(of: user), sender: user,
                kind: .message(text: text), timestamp: now, isDirectRoom: true)
            try engine.process(ChatBatch(events: [event], cursor: "s\(index)"), now: now)
        }
    }

    /// `say`, then delivers the outbox; returns the texts sent meanwhile.
    @discardableResult
    public func send(_ texts: [String], from user: UserID, in room: RoomID? = nil, at now: Date) async throws -> [String] {
        let before = chat.sent.count
        try say(texts, from: user, in: room, at: now)
        try await drain()
        return Array(chat.sentTexts[before...])
    }

    public func messages(in room: RoomID) -> [OutgoingMessage] { chat.messages(in: room) }

    /// Every byte the database holds on disk (the file, its write-ahead log and journal), as text.
    public func bytesOnDisk() -> String {
        guard let path else { return "" }
        var all = Data()
        for suffix in ["", "-wal", "-journal"] {
            if let data = FileManager.default.contents(atPath: path + suffix) { all.append(data) }
        }
        return String(decoding: all, as: UTF8.self)
    }
}

/// Folders removed when the test process ends (an on-disk harness's database: each run of the suite left a
/// dozen behind in the temporary folder). Not when the harness goes: its store may still be in use then, and
/// a reader connection opened later would find no file.
public enum TemporaryFolders {
    private static let folders = Mutex<[URL]>([])
    private static let registered: Void = { atexit { TemporaryFolders.removeAll() } }()

    public static func removeAtExit(_ folder: URL) {
        _ = registered
        folders.withLock { $0.append(folder) }
    }

    private static func removeAll() {
        for folder in folders.withLock({ $0 }) { try? FileManager.default.removeItem(at: folder) }
    }
}
