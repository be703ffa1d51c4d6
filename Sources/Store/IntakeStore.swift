import CSQLiteSetup
import Chat
import Foundation
import GRDB
import Intake

/// A failure of the store, with a message an operator can act on.
public struct IntakeError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case cannotOpen = "cannot_open"
        case newerSchema = "newer_schema"
        case corrupt
        case invalid
    }
    public var code: Code
    public var message: String
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
    public var description: String { message }
}

/// The intake database: SQLite through GRDB, WAL mode, migrations run at open.
/// All effects of one incoming batch go through one `write` call: one transaction.
public final class IntakeStore: Sendable {
    /// Only the store touches the database: everyone else goes through `write`, `read` and the
    /// transaction's typed calls (tests reach it with `@testable import Store`).
    let writer: any DatabaseWriter
    /// The file, or nil in memory.
    public let path: String?
    /// The stored JSON of the last text queued, kept from one write to the next (see `StoredTextMemo`).
    let storedTexts = StoredTextMemo()

    /// SQLite's process-wide options, set once before the first store opens (`skav_sqlite_setup`): no memory
    /// statistics. SQLite's allocations and frees took a process-wide mutex to count the bytes (324 times a
    /// message in a burst, for most of its about 160 allocations and 230 frees; 5 % of its instructions).
    /// SQLITE_OK, or SQLITE_MISUSE when something opened a database before (the options then stay SQLite's defaults, which work the same, only dearer).
    /// SQLite wants no other call of it running meanwhile: the bot sets them before it opens anything; a test
    /// process, whose suites open databases in parallel, may race on them (harmless: the counting is on or
    /// off, and nothing reads it).
    public static let sqliteSetup: Int32 = skav_sqlite_setup()

    /// Opens (creating if needed) the database file and its folder, and migrates it. A new folder is made
    /// 0700 and a new file 0600 (its -wal and -shm follow the file), whatever the umask: the database holds
    /// the bot's access token and everyone's ideas.
    public init(path: String) throws {
        _ = Self.sqliteSetup
        let url = URL(fileURLWithPath: path)
        do {
            try PrivateFiles.createDirectory(url.deletingLastPathComponent())
        } catch {
            throw IntakeError(.cannotOpen, "cannot create the folder for the database \(path): \(error.localizedDescription)")
        }
        do {
            try PrivateFiles.createFile(path)
        } catch {
            throw IntakeError(.cannotOpen, "cannot create the database \(path): \(error.localizedDescription)")
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // A page cache of 512 KiB for each connection instead of SQLite's 2,000 KiB: the pages are in the
            // system's file cache as well, and six connections (the writer and up to five readers) each kept
            // up to 2,000 KiB. A burst of 200 replies peaked 1.5 MiB lower, with the same instructions a message;
            // at 100,000 ideas the similar-idea lookup and the reply after `klar` took as long as with 2 MiB
            // (within the machine's noise: `bash Tests/bench.sh --scale 100000 --parts lookup,reply`).
            try db.execute(sql: "PRAGMA cache_size = -512")
            // Deleted rows are overwritten, so `glöm mig` and retention leave no copies in free pages.
            try db.execute(sql: "PRAGMA secure_delete = ON")
            // A new database gives the pages retention frees back to the file system (`releaseFreePages`).
            // It must be said before the file is switched to WAL; on an existing database it changes nothing.
            if !db.configuration.readonly {
                try db.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL")
                // The writer's statement journals (each event of a batch runs in a savepoint) stay in memory.
                // On disk, every batch that touched more than 64 KiB of pages made an unlinked file in the
                // temporary folder and wrote copies of those pages (people's words among them) into it. The
                // writer sorts nothing large (digests and exports read on readers); `vacuum` goes to disk.
                try db.execute(sql: "PRAGMA temp_store = MEMORY")
            }
        }
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
        } catch {
            throw IntakeError(.cannotOpen, "cannot open the database \(path): \(Self.describe(error))")
        }
        self.writer = pool
        self.path = path
        try migrate()
        // Readers opened before the migrations (to check the schema version) may hold the old schema.
        pool.invalidateReadOnlyConnections()
    }

    /// A private in-memory database (tests, dry runs).
    public init(inMemory: Void = ()) throws {
        _ = Self.sqliteSetup
        writer = try DatabaseQueue()
        path = nil
        try migrate()
    }

    private func migrate() throws {
        let migrator = Schema.migrator
        do {
            let (superseded, completed) = try writer.read { db in
                (try migrator.hasBeenSuperseded(db), try migrator.hasCompletedMigrations(db))
            }
            if superseded {
                throw IntakeError(
                    .newerSchema,
                    "the database \(path ?? ":memory:") was written by a newer version of Skav; upgrade Skav or use another file")
            }
            // An up-to-date database is not written to at open (the migrator's check is a write transaction).
            if !completed { try migrator.migrate(writer) }
        } catch let error as IntakeError {
            throw error
        } catch {
            throw IntakeError(.corrupt, "cannot prepare the database \(path ?? ":memory:"): \(Self.describe(error))")
        }
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? DatabaseError {
            return error.message ?? "\(error.resultCode)"
        }
        return "\(error)"
    }

    /// Runs `body` in one write transaction: everything or nothing.
    public func write<T>(_ body: (IntakeTransaction) throws -> T) throws -> T {
        try writer.write { db in try body(IntakeTransaction(db: db, storedTexts: storedTexts)) }
    }

    public func write<T: Sendable>(_ body: @escaping @Sendable (IntakeTransaction) throws -> T) async throws -> T {
        let storedTexts = storedTexts
        return try await writer.write { db in try body(IntakeTransaction(db: db, storedTexts: storedTexts)) }
    }

    public func read<T>(_ body: (IntakeTransaction) throws -> T) throws -> T {
        try writer.read { db in try body(IntakeTransaction(db: db, storedTexts: storedTexts)) }
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (IntakeTransaction) throws -> T) async throws -> T {
        let storedTexts = storedTexts
        return try await writer.read { db in try body(IntakeTransaction(db: db, storedTexts: storedTexts)) }
    }

    /// A read on the writer's connection, outside any transaction: each statement reads on its own, so
    /// it suits a one-statement read that comes right before a write of the same caller (the sync loop's,
    /// before each poll). A reader's connection forgets its page cache whenever another connection wrote,
    /// and comes from the pool through a transaction of its own: that was most of such a read's cost. The
    /// read waits for a write in progress. `body` only reads; statements that must agree use `read`.
    public func readOnWriter<T>(_ body: (IntakeTransaction) throws -> T) throws -> T {
        try writer.writeWithoutTransaction { db in try body(IntakeTransaction(db: db, storedTexts: storedTexts)) }
    }

    /// Copies the write-ahead log into the database file and empties it, so deleted data leaves no old
    /// page copies behind in the log (after `glöm mig` and retention). A no-op in memory.
    public func checkpoint() throws {
        guard path != nil else { return }
        try writer.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
    }

    /// Rewrites the whole file without free pages (for an operator, or a database from before incremental
    /// auto-vacuum: afterwards it has it). Takes a while on a large database and blocks writers meanwhile.
    public func vacuum() throws {
        try writer.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL")
            // VACUUM builds its copy in a temporary database: on disk, not in memory (the writer keeps its
            // temporary storage in memory otherwise), so a large database is not copied into RAM.
            try db.execute(sql: "PRAGMA temp_store = FILE")
            defer { try? db.execute(sql: "PRAGMA temp_store = MEMORY") }
            try db.execute(sql: "VACUUM")
        }
        try checkpoint()
    }

    /// Gives the pages that deletions freed back to the file system (databases created with incremental
    /// auto-vacuum; a no-op on older ones), so the file shrinks when retention deletes. Then checkpoints.
    public func releaseFreePages() throws {
        guard path != nil else { return }
        try writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA incremental_vacuum") }
        try checkpoint()
    }

    /// The schema versions applied, in the order they run, for `doctor`.
    public func appliedMigrations() throws -> [String] {
        let migrator = Schema.migrator
        let applied = try writer.read { try migrator.appliedIdentifiers($0) }
        return migrator.migrations.filter(applied.contains)
    }

    /// `PRAGMA integrity_check`, for `doctor`: "ok" when healthy.
    public func integrityCheck() throws -> String {
        try writer.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "; ") }
    }

    /// Each table with its indexes' bytes on disk and its rows, largest first (for `doctor` and the scale
    /// benchmark). Bytes come from SQLite's `dbstat` table; 0 where the library was built without it.
    public func tableSizes() throws -> [(table: String, bytes: Int, rows: Int)] {
        try writer.read { db in
            let tables = try String.fetchAll(
                db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'idea_stems_%'")
            var bytes: [String: Int] = [:]
            if let rows = try? Row.fetchAll(
                db,
                sql: """
                    SELECT coalesce(m.tbl_name, s.name) AS owner, SUM(s.pgsize) AS bytes
                    FROM dbstat s LEFT JOIN sqlite_master m ON m.name = s.name GROUP BY owner
                    """)
            {
                for row in rows {
                    let owner: String = row["owner"]
                    // The full-text index's shadow tables count for the index.
                    let table = owner.hasPrefix("idea_stems") ? "idea_stems" : owner
                    bytes[table, default: 0] += row["bytes"] ?? 0
                }
            }
            return try tables.map { table in
                let rows = try Int.fetchOne(db, sql: "SELECT count(*) FROM \"\(table)\"") ?? 0
                return (table, bytes[table] ?? 0, rows)
            }.sorted { $0.bytes > $1.bytes }
        }
    }

    public func journalMode() throws -> String {
        try writer.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "?" }
    }
}

/// An outbox row that cannot be read as an entry, with why.
public struct UnreadableOutboxEntry: Sendable, Equatable {
    public let id: Int64
    public let reason: String
    /// The lane, when it is the lane that is wrong (its first entry does not wait), not the row.
    public let staleLane: String?
    public init(id: Int64, reason: String, staleLane: String? = nil) {
        self.id = id
        self.reason = reason
        self.staleLane = staleLane
    }
}

/// A savepoint's work failed and could not be undone: the enclosing transaction must not commit.
public struct SavepointRollbackFailed: Error, CustomStringConvertible {
    public let error: any Error
    public let rollback: any Error
    public var description: String { "\(error); undoing it failed: \(rollback)" }
}

/// Typed access to the tables inside one transaction.
public struct IntakeTransaction: IntakeReading {
    /// Internal: other modules use the typed calls below, never SQL.
    let db: Database
    /// The similar-idea searches of this transaction (see `SimilarityMemo`).
    let similarityMemo = SimilarityMemo()
    /// The stored JSON of the last text queued (see `StoredTextMemo`): the store's, for its writes.
    let storedTexts: StoredTextMemo

    init(db: Database, storedTexts: StoredTextMemo = StoredTextMemo()) {
        self.db = db
        self.storedTexts = storedTexts
    }

    /// Runs `body` in one read transaction unless inside a transaction already (then as it is): its
    /// statements read one snapshot, and on the writer outside a write (`IntakeStore.readOnWriter`) the
    /// log's read lock is taken once instead of once for every statement (two system calls each: the
    /// sender's read of the lanes is three statements and one for each lane's first entry).
    ///
    /// `body` only reads: the transaction is begun and ended with statements prepared once per connection,
    /// where GRDB's transaction block parses its `BEGIN` and `COMMIT` anew each time (about 12,000
    /// instructions a read; with messages coming one by one the sender reads the lanes a few times a
    /// message). A read loses nothing if SQLite ends its transaction by itself, so GRDB's guard against
    /// statements after that is not needed here.
    public func together<T>(_ body: () throws -> T) throws -> T {
        guard !db.isInsideTransaction else { return try body() }
        try db.cachedStatement(sql: "BEGIN DEFERRED TRANSACTION").execute()
        let value: T
        do {
            value = try body()
            try db.cachedStatement(sql: "COMMIT TRANSACTION").execute()
        } catch {
            // Never left open: the next read would see this snapshot still.
            if db.isInsideTransaction { try? db.execute(sql: "ROLLBACK TRANSACTION") }
            throw error
        }
        return value
    }

    /// Runs `body` in a savepoint: when it throws, what it did is rolled back and the error passes on,
    /// while the enclosing transaction (the rest of the batch) goes on.
    public func savepoint(_ body: () throws -> Void) throws {
        do {
            if db.isInsideTransaction {
                try messageSavepoint(body)
            } else {
                // Outside a transaction GRDB opens one instead (a top-level savepoint would be a deferred one).
                try db.inSavepoint {
                    try body()
                    return .commit
                }
            }
        } catch {
            similarityMemo.forgetAll()
            throw error
        }
    }

    /// `savepoint` inside the batch's transaction (the caller checked that one is open, so the savepoint
    /// never begins a transaction of its own), with statements prepared once per connection: GRDB's
    /// `inSavepoint` prepared its two statements for every message (3 % of a message's instructions in a
    /// burst). The transaction's own block still refuses statements once SQLite has aborted it.
    private func messageSavepoint(_ body: () throws -> Void) throws {
        try DirectStatement(db, "SAVEPOINT skav_message").run([])
        do {
            try body()
        } catch {
            // What `body` did is undone. If that fails, half of it could be committed with the batch: the
            // batch's transaction must end instead (`SavepointRollbackFailed`).
            if db.isInsideTransaction {
                do {
                    // Through the same interface as the savepoint's beginning (GRDB's own bookkeeping of
                    // savepoints sees none of the three).
                    try DirectStatement(db, "ROLLBACK TRANSACTION TO SAVEPOINT skav_message").run([])
                    try DirectStatement(db, "RELEASE SAVEPOINT skav_message").run([])
                } catch let rollback {
                    throw SavepointRollbackFailed(error: error, rollback: rollback)
                }
            }
            throw error
        }
        try DirectStatement(db, "RELEASE SAVEPOINT skav_message").run([])
    }

    /// The row id of the last row inserted in this transaction (the entry `enqueue` or `planNudge` just stored).
    public var lastInsertedID: Int64 { db.lastInsertedRowID }

    // MARK: People

    public func person(_ id: UserID) throws -> Person? {
        // The hot reads and writes of a message use statements prepared once per connection (GRDB's cache):
        // preparing one (SQLite's parser and GRDB's authorizer) cost more than running it. They run through
        // SQLite's C interface (`DirectStatement`), their columns taken by position: GRDB's `Row` hashed every
        // column name for every read.
        try DirectStatement(db, Self.personByIDSQL).rows([id.rawValue.databaseValue]).first.map(Person.init(values:))
    }

    /// A person's row by id (made once: an SQL text made at every call was a string built and hashed anew).
    static let personByIDSQL = "SELECT \(Person.selection) FROM person WHERE id = ?"

    public func savePerson(_ person: Person) throws {
        // Column by column through one prepared statement, its dates as `StoredDate.text`, as the draft is
        // (`saveIdea`): GRDB's generic upsert encodes the record through `Encodable` and builds its SQL for
        // every save. The same row as GRDB writes (`PositionalReadTests`).
        try db.cachedStatement(
            sql: """
                INSERT INTO person (\(Person.selection)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET
                    language = excluded.language, unit = excluded.unit, greeted_at = excluded.greeted_at,
                    created_at = excluded.created_at, reminders_off = excluded.reminders_off,
                    paused_until = excluded.paused_until, weekly_checkin = excluded.weekly_checkin,
                    challenge_updates = excluded.challenge_updates
                """
        ).execute(arguments: [
            person.id.rawValue, person.language?.rawValue, person.unit, person.greetedAt.map(StoredDate.text),
            StoredDate.text(person.createdAt), person.remindersOff, person.pausedUntil.map(StoredDate.text),
            person.weeklyCheckin, person.challengeUpdates,
        ])
    }

    public func people() throws -> [Person] {
        try Person.order(Column("id")).fetchAll(db)
    }

    // MARK: Direct rooms

    public func directRoom(of user: UserID) throws -> RoomID? {
        try String.fetchOne(
            try db.cachedStatement(sql: "SELECT room_id FROM direct_room WHERE user_id = ? ORDER BY created_at DESC LIMIT 1"),
            arguments: [user.rawValue]
        ).map(RoomID.init(rawValue:))
    }

    /// The person a direct room belongs to, if it is one of the bot's direct chats.
    public func directRoomOwner(_ room: RoomID) throws -> UserID? {
        let owner = try DirectStatement(db, "SELECT user_id FROM direct_room WHERE room_id = ?").firstValue([room.rawValue.databaseValue])
        return try owner.flatMap { try ColumnValue.optional($0, "user_id", of: "the direct room \(room)") as String? }
            .map(UserID.init(rawValue:))
    }

    public func setDirectRoom(_ room: RoomID, for user: UserID, at date: Date) throws {
        try db.execute(
            sql: """
                INSERT INTO direct_room (room_id, user_id, created_at) VALUES (?, ?, ?)
                ON CONFLICT(room_id) DO UPDATE SET user_id = excluded.user_id
                """,
            arguments: [room.rawValue, user.rawValue, StoredDate.text(date)])
    }

    public func forgetDirectRoom(_ room: RoomID) throws {
        try db.execute(sql: "DELETE FROM direct_room WHERE room_id = ?", arguments: [room.rawValue])
    }

    // MARK: Ideas

    public func idea(number: Int) throws -> Idea? {
        try DirectStatement(db, Self.ideaByNumberSQL).rows([number.databaseValue]).first.map(Idea.init(values:))
    }

    /// An idea's row by number (`idea(number:)`, and `saveIdea` before it writes).
    static let ideaByNumberSQL = "SELECT \(Idea.selection) FROM idea WHERE number = ?"

    public func ideas(author: UserID) throws -> [Idea] {
        // A prepared statement: asked at every submission (the milestone count) and by `mina idéer`.
        try DirectStatement(db, "SELECT \(Idea.selection) FROM idea WHERE author = ? ORDER BY number DESC")
            .rows([author.rawValue.databaseValue]).map(Idea.init(values:))
    }

    /// Ideas past the draft stage (or of the given stages), oldest first.
    public func ideas(stages: [IdeaStage]? = nil, unit: String? = nil) throws -> [Idea] {
        var request = Idea.all()
        if let stages {
            request = request.filter(stages.map(\.rawValue).contains(Column("stage")))
        } else {
            request = request.filter(Column("stage") != IdeaStage.utkast.rawValue)
        }
        if let unit { request = request.filter(Column("unit") == unit) }
        return try request.order(Column("number")).fetchAll(db)
    }

    public func nextIdeaNumber() throws -> Int {
        let counter = try Int.fetchOne(try db.cachedStatement(sql: "SELECT value FROM counter WHERE name = 'idea'")) ?? 0
        let highest = try Int.fetchOne(try db.cachedStatement(sql: "SELECT MAX(number) FROM idea")) ?? 0
        return max(counter, highest) + 1
    }

    /// Inserts or updates the idea; the number counter never goes back. A submitted idea (not a draft) that
    /// the similar-idea index does not hold yet (just submitted, or its text changed, which drops it) is
    /// indexed: its stems kept and counted.
    public func saveIdea(_ idea: Idea) throws {
        // The values in the order of `Idea.columns`, as the record writes them.
        let values: [DatabaseValue] = [
            idea.number.databaseValue, idea.author.rawValue.databaseValue, idea.title.databaseValue,
            idea.problem.databaseValue, idea.benefits.databaseValue, idea.solution.databaseValue,
            idea.theme.databaseValue, idea.unit.databaseValue, idea.stage.rawValue.databaseValue,
            idea.guide?.rawValue.databaseValue ?? .null, StoredDate.text(idea.createdAt).databaseValue,
            StoredDate.text(idea.updatedAt).databaseValue, idea.submittedAt.map(StoredDate.text).databaseValue,
            idea.campaign.databaseValue,
        ]
        // A stored idea gets only the columns that changed: an UPDATE rewrites the index entries of every
        // column it sets, so setting all of them (the draft is saved at every answer, most often with a new
        // text only) wrote a page of each of the idea's four indexes into the log for nothing.
        if let stored = try DirectStatement(db, Self.ideaByNumberSQL).rows([idea.number.databaseValue]).first {
            let changed = (1..<values.count).filter { !Self.sameStored(stored[$0], values[$0]) }
            if !changed.isEmpty {
                let assignments = changed.map { "\(Idea.columns[$0]) = ?" }.joined(separator: ", ")
                try db.cachedStatement(sql: "UPDATE idea SET \(assignments) WHERE number = ?")
                    .execute(arguments: StatementArguments(changed.map { values[$0] } + [values[0]]))
            }
        } else {
            // Written column by column through one prepared statement: GRDB's generic insert encodes the
            // record through `Encodable` and builds its SQL for every save.
            try db.cachedStatement(
                sql: "INSERT INTO idea (\(Idea.selection)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            ).execute(arguments: StatementArguments(values))
            // The number counter never goes back (a deleted idea's number is not given again).
            try db.cachedStatement(
                sql: """
                    INSERT INTO counter (name, value) VALUES ('idea', ?)
                    ON CONFLICT(name) DO UPDATE SET value = MAX(value, excluded.value)
                    """
            ).execute(arguments: [idea.number])
        }
        similarityMemo.forget(changing: idea.number)
        if idea.stage != .utkast,
            try Int.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM idea_stems WHERE rowid = ?"), arguments: [idea.number]) == nil
        {
            try indexTerms(of: idea)
        }
    }

    /// Whether a stored value is the one about to be written: texts byte for byte (Swift's `==` on strings
    /// holds canonically equivalent texts equal, and a text respelled that way is still a change to keep).
    static func sameStored(_ stored: DatabaseValue, _ value: DatabaseValue) -> Bool {
        if case .string(var old) = stored.storage, case .string(var new) = value.storage {
            guard old.utf8.count == new.utf8.count else { return false }
            return old.withUTF8 { old in
                new.withUTF8 { new in
                    guard let a = old.baseAddress, let b = new.baseAddress else { return true }  // both empty
                    return memcmp(a, b, old.count) == 0
                }
            }
        }
        return stored == value
    }

    public func deleteIdea(number: Int) throws {
        similarityMemo.forget(changing: number)
        _ = try Idea.deleteOne(db, key: number)
    }

    @discardableResult
    public func appendEvent(_ event: IdeaEvent) throws -> IdeaEvent {
        // Through one prepared statement, the columns as the record writes them.
        try db.cachedStatement(
            sql: """
                INSERT INTO idea_event (id, idea_number, at, actor, kind, from_stage, to_stage, comment)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            event.id, event.ideaNumber, StoredDate.text(event.at), event.actor.rawValue, event.kind.rawValue,
            event.fromStage?.rawValue, event.toStage?.rawValue, event.comment,
        ])
        var event = event
        event.id = db.lastInsertedRowID
        return event
    }

    public func events(ofIdea number: Int) throws -> [IdeaEvent] {
        try IdeaEvent.filter(Column("idea_number") == number).order(Column("id")).fetchAll(db)
    }

    // MARK: Links and similar ideas

    /// Links two ideas (in either order); returns false when they were linked already.
    @discardableResult
    public func linkIdeas(_ first: Int, _ second: Int, by actor: UserID, at date: Date) throws -> Bool {
        guard first != second else { return false }
        try db.execute(
            sql: "INSERT OR IGNORE INTO idea_link (a, b, actor, created_at) VALUES (?, ?, ?, ?)",
            arguments: [min(first, second), max(first, second), actor.rawValue, StoredDate.text(date)])
        return db.changesCount > 0
    }

    public func links(ofIdea number: Int) throws -> [Int] {
        try Int.fetchAll(
            db,
            sql: "SELECT b FROM idea_link WHERE a = ? UNION SELECT a FROM idea_link WHERE b = ? ORDER BY 1",
            arguments: [number, number])
    }

    /// Submitted ideas whose text is close to `text`: candidates from the FTS5 index (prefix query of the
    /// stems), scored with `Similarity.score`, at or above `Similarity.threshold`, best first.
    public func similarIdeas(to text: String, excluding number: Int?, limit: Int) throws -> [SimilarIdea] {
        try similarIdeas(terms: Similarity.terms(text), excluding: number, limit: limit)
    }

    // MARK: Conversation state

    public func conversationState(of user: UserID) throws -> Data? {
        let state = try DirectStatement(db, "SELECT state FROM conversation_state WHERE user_id = ?").firstValue([user.rawValue.databaseValue])
        return try state.flatMap { try ColumnValue.optional($0, "state", of: "the conversation state of \(user)") }
    }

    public func setConversationState(_ state: Data?, of user: UserID, at date: Date) throws {
        if let state {
            try db.cachedStatement(
                sql: """
                    INSERT INTO conversation_state (user_id, state, updated_at) VALUES (?, ?, ?)
                    ON CONFLICT(user_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at
                    """
            ).execute(arguments: [user.rawValue, state, StoredDate.text(date)])
        } else {
            try db.execute(sql: "DELETE FROM conversation_state WHERE user_id = ?", arguments: [user.rawValue])
        }
    }

    // MARK: Incoming events

    public func isProcessed(_ eventID: String) throws -> Bool {
        try Bool.fetchOne(try db.cachedStatement(sql: "SELECT 1 FROM processed_event WHERE event_id = ?"), arguments: [eventID])
            ?? false
    }

    /// Remembers the event as processed; false when it already was (a duplicate), in one statement.
    @discardableResult
    public func markProcessed(_ eventID: String, at date: Date) throws -> Bool {
        try DirectStatement(db, "INSERT OR IGNORE INTO processed_event (event_id, processed_at) VALUES (?, ?)")
            .run([eventID.databaseValue, StoredDate.text(date).databaseValue]) > 0
    }

    /// Forgets processed ids older than `date` (servers never re-deliver events that old).
    @discardableResult
    public func pruneProcessed(before date: Date) throws -> Int {
        try db.execute(sql: "DELETE FROM processed_event WHERE processed_at < ?", arguments: [StoredDate.text(date)])
        return db.changesCount
    }

    // MARK: Key/value state (sync cursor, credentials)

    public func value(_ key: String) throws -> String? {
        try String.fetchOne(try db.cachedStatement(sql: "SELECT value FROM sync_state WHERE key = ?"), arguments: [key])
    }

    public func setValue(_ value: String?, for key: String) throws {
        if let value {
            try db.cachedStatement(
                sql: """
                    INSERT INTO sync_state (key, value) VALUES (?, ?)
                    ON CONFLICT(key) DO UPDATE SET value = excluded.value
                    """
            ).execute(arguments: [key, value])
        } else {
            try db.execute(sql: "DELETE FROM sync_state WHERE key = ?", arguments: [key])
        }
    }

    // MARK: Outbox

    /// Adds the entry unless one with the same transaction id exists (a replayed event adds nothing).
    /// Returns whether it was added.
    @discardableResult
    public func enqueue(_ entry: OutboxEntry) throws -> Bool {
        // Written column by column through one prepared statement (GRDB's generic insert encoded the record
        // and built its SQL for every entry); the text and the file as the record writes them. An entry whose
        // transaction id is already there is left as it is, in the same statement (no look-up first).
        try DirectStatement(
            db,
            """
            INSERT INTO outbox (id, kind, priority, txn_id, room_id, recipient, body, style, in_reply_to, attachment,
                                created_at, not_before, attempts, last_error, sent_at, remote_id, failed_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(txn_id) DO NOTHING
            """
        ).run(try entry.columnValues(storedBody: storedTexts.storedJSON(of: entry.body))) > 0
    }

    /// The first unsent entry of each lane (a room, or a recipient whose room is not known yet), the lanes
    /// whose first entry is due by `now` first, then by the most urgent entry waiting in them, then by age:
    /// what the sender should start next. A lane's later entries wait for its first (the order within a
    /// room is kept). Read from the lanes the store keeps (`outbox_lane`), however many entries wait; lanes
    /// waiting for a retry come last, so however many rooms are rate-limited or failing, a read always sees
    /// the others. When more lanes than `limit` had a retry time, those of each priority that come first
    /// are the ones whose retry time came first (not the oldest).
    /// `excluding` leaves out lanes whose first entry is one of those ids (the sender's sends in flight, or
    /// sent and not recorded yet): skipped in the lanes' indexes, never read.
    /// A row that cannot be read as an entry (an unknown kind, style or priority, a body that is not JSON,
    /// a date that is not one) makes the read throw; the sender uses the form that hands such rows back.
    public func outboxLaneHeads(
        limit: Int, dueBy now: Date, excluding: some Collection<Int64> = [Int64]()
    ) throws -> [(entry: OutboxEntry, lanePriority: OutboxEntry.Priority)] {
        var unreadable: [UnreadableOutboxEntry] = []
        let heads = try outboxLaneHeads(limit: limit, dueBy: now, excluding: excluding, unreadable: &unreadable)
        if let first = unreadable.first { throw IntakeError(.corrupt, "outbox entry \(first.id): \(first.reason)") }
        return heads
    }

    /// `outboxLaneHeads`, with the lanes whose first row cannot be read as an entry left out and handed back
    /// in `unreadable` (to be given up with `giveUpUnreadable`): one such row must not stop every send.
    public func outboxLaneHeads(
        limit: Int, dueBy now: Date, excluding: some Collection<Int64> = [Int64](),
        unreadable: inout [UnreadableOutboxEntry]
    ) throws -> [(entry: OutboxEntry, lanePriority: OutboxEntry.Priority)] {
        let limit = max(0, limit)
        guard limit > 0 else { return [] }
        // The lanes come from `outbox_lane` through its indexes, each part in the index's own order (no
        // sort, no temporary table: one statement that merged the parts in SQL opened six temporary
        // B-trees a read, most of its cost): the ready lanes (no retry time) most urgent and oldest first,
        // and only when any lane has a retry time, each priority's such lanes earliest first. The lanes in
        // `excluding` are read past and left out here. Then merged and cut to `limit`, and only then the
        // heads' rows read by id.
        // Usually the sender's send slots (at most 64): searched in a list, cheaper than hashing them into a
        // set for every read; a set only for more.
        let excludedList = Array(excluding)
        let excludedSet = excludedList.count > 64 ? Set(excludedList) : nil
        func isExcluded(_ head: Int64) -> Bool { excludedSet?.contains(head) ?? excludedList.contains(head) }
        let span = limit + excludedList.count
        let nowText = StoredDate.text(now)
        var candidates: [(head: Int64, priority: Int, waiting: Bool, lane: DatabaseValue)] = []
        // Each row: the lane's first entry, then its priority (ready lanes) or its retry time, then its key
        // (in the index too: it is the table's key).
        func lanes(_ sql: String, _ arguments: [DatabaseValue], _ candidate: (Int64, DatabaseValue, DatabaseValue) -> Void) throws {
            // The excluded lanes, and a head that is no number (only a hand could store one), are left out
            // as they are stepped past.
            try DirectStatement(db, sql).run(arguments) { row in
                guard row.count == 3, let head = Int64.fromDatabaseValue(row[0]), !isExcluded(head) else { return }
                candidate(head, row[1], row[2])
            }
        }
        try lanes(Self.readyLanesSQL, [span.databaseValue]) { candidates.append(($0, Int.fromDatabaseValue($1) ?? 1, false, $2)) }
        if try hasRetryLanes() {
            for priority in 0...2 {
                // The stored time is clamped to a date's text by the triggers: compared as SQLite would.
                try lanes(Self.retryLanesSQL, [priority.databaseValue, span.databaseValue]) {
                    candidates.append(($0, priority, (String.fromDatabaseValue($1) ?? "") > nowText, $2))
                }
            }
        }
        candidates.sort { ($0.waiting ? 1 : 0, $0.priority, $0.head) < ($1.waiting ? 1 : 0, $1.priority, $1.head) }
        // Each body decoded once, whatever the read (`StoredTextMemo`: a burst's replies, an announcement's DMs
        // are one text many times). The entry's columns in `OutboxEntry.columns` order (the retry time
        // clamped), then whether the body was text, read by position.
        let entry = try DirectStatement(db, Self.laneHeadSQL)
        var heads: [(entry: OutboxEntry, lanePriority: OutboxEntry.Priority)] = []
        for candidate in candidates.prefix(limit) {
            guard let values = try entry.rows([candidate.head.databaseValue]).first else {
                // The lane names an entry that is not waiting (only a hand could leave it so): never sent
                // again, and the lane set again from what does wait (`giveUpUnreadable`).
                unreadable.append(
                    UnreadableOutboxEntry(id: candidate.head, reason: "its lane's first entry is not waiting", staleLane: String.fromDatabaseValue(candidate.lane)))
                continue
            }
            let count = OutboxEntry.columns.count
            let bodyIsText = values.count > count ? Bool.fromDatabaseValue(values[count]) ?? false : false
            var written: RichText?
            if bodyIsText, case .blob(let bytes) = values[OutboxEntry.bodyIndex].storage {
                written = storedTexts.text(ofWritten: bytes)
            }
            do {
                heads.append(
                    (try OutboxEntry(values: values, bodyIsText: bodyIsText, writtenBody: written),
                     OutboxEntry.Priority(rawValue: candidate.priority) ?? .notice))
            } catch {
                unreadable.append(UnreadableOutboxEntry(id: candidate.head, reason: "\(error)"))
            }
        }
        return heads
    }

    /// Gives up entries that cannot be read (`outboxLaneHeads`): failed now, the reason kept as the last
    /// error, so the entries behind them in their rooms go on; a lane that named an entry that does not wait
    /// is set again from its room instead. Returns how many entries were given up.
    @discardableResult
    public func giveUpUnreadable(_ entries: [UnreadableOutboxEntry], at date: Date) throws -> Int {
        var count = 0
        for entry in entries {
            if let lane = entry.staleLane {
                for sql in Schema.rebuildLaneSQL { try db.execute(sql: sql, arguments: [lane]) }
                continue
            }
            try db.execute(
                sql: """
                    UPDATE outbox SET failed_at = ?, last_error = ?, not_before = NULL
                    WHERE id = ? AND sent_at IS NULL AND failed_at IS NULL
                    """,
                arguments: [StoredDate.text(date), "unreadable: " + String(entry.reason.prefix(500)), entry.id])
            count += db.changesCount
        }
        return count
    }

    /// The lanes without a retry time, most urgent and oldest first (`outbox_lane_ready`'s order).
    static let readyLanesSQL = "SELECT head, priority, lane FROM outbox_lane WHERE not_before IS NULL ORDER BY priority, head LIMIT ?"
    /// Whether any lane waits for a retry time (rarely: the statements for them are then skipped).
    static let anyRetryLaneSQL = "SELECT EXISTS (SELECT 1 FROM outbox_lane WHERE not_before IS NOT NULL)"

    private func hasRetryLanes() throws -> Bool {
        try DirectStatement(db, Self.anyRetryLaneSQL).firstValue([]).flatMap(Bool.fromDatabaseValue) == true
    }
    /// One priority's lanes with a retry time, earliest first (`outbox_lane_retry`'s order).
    static let retryLanesSQL = """
        SELECT head, not_before, lane FROM outbox_lane WHERE not_before IS NOT NULL AND priority = ? ORDER BY not_before LIMIT ?
        """
    /// A lane's first entry by id, if it waits (an entry sent or given up is never read to be sent again).
    static let laneHeadSQL = """
        SELECT \(laneHeadSelection), typeof(outbox.body) = 'text' FROM outbox
        WHERE id = ? AND sent_at IS NULL AND failed_at IS NULL
        """

    /// Whether any entry is still to send (or waits for a retry): whether any lane is left, so that a sender
    /// with nothing to do does not run `outboxLaneHeads`.
    public func hasUnsentOutbox() throws -> Bool {
        try DirectStatement(db, "SELECT EXISTS (SELECT 1 FROM outbox_lane)").firstValue([]).flatMap(Bool.fromDatabaseValue) ?? false
    }

    /// Entries still to send (including those waiting for a retry time), in the order they were written.
    /// The sender keeps that order per room: an entry that is not due yet holds back the later ones.
    public func unsentOutbox(limit: Int = 200) throws -> [OutboxEntry] {
        // The clamped retry time comes first: a record reads the leftmost column of a name. Read through
        // `outbox_by_lane`, which holds the unsent entries alone (not the sent ones kept for retention).
        try OutboxEntry.fetchAll(
            db,
            sql: """
                SELECT \(Self.clampedNotBefore) AS not_before, * FROM outbox INDEXED BY outbox_by_lane
                WHERE sent_at IS NULL AND failed_at IS NULL ORDER BY id LIMIT ?
                """,
            arguments: [max(0, limit)])
    }

    /// The outbox's columns for the lane query, `not_before` clamped, the body's bytes as they are (a blob:
    /// read without making a `String` of them; whether they were text comes after the columns).
    static let laneHeadSelection: String = OutboxEntry.columns.map { column -> String in
        switch column {
        case "not_before": "\(clampedNotBefore) AS not_before"
        case "body": "CAST(outbox.body AS BLOB) AS body"
        default: "outbox.\(column)"
        }
    }.joined(separator: ", ")

    /// `not_before` as a date GRDB can always read: an older build could store a server's absurd
    /// `Retry-After` as a retry time in a year past 9999 (or anything else that is no date), and reading
    /// that failed every pass. Such a value reads as the end of year 9999; the sender then reschedules it.
    static let clampedNotBefore = Schema.clampedTime("not_before")

    /// Sets an entry's retry time (the sender's repair of an absurd stored one).
    public func rescheduleOutbox(_ id: Int64, notBefore: Date) throws {
        try db.execute(sql: "UPDATE outbox SET not_before = ? WHERE id = ?", arguments: [StoredDate.text(notBefore), id])
    }

    public func unsentOutboxCount() throws -> Int {
        try OutboxEntry.filter(Column("sent_at") == nil && Column("failed_at") == nil).fetchCount(db)
    }

    /// The earliest retry time of a lane's first entry (what the later ones wait for), to know when to wake
    /// up: the first of each priority's lanes with a retry time (`retryLanesSQL`), one step into its index.
    public func nextOutboxRetry() throws -> Date? {
        guard try hasRetryLanes() else { return nil }
        let retrying = try DirectStatement(db, Self.retryLanesSQL)
        return try (0...2).compactMap { priority in
            try retrying.rows([priority.databaseValue, 1.databaseValue]).first.flatMap { $0.count >= 2 ? Date.fromDatabaseValue($0[1]) : nil }
        }.min()
    }

    public func outboxEntry(txnID: String) throws -> OutboxEntry? {
        try OutboxEntry.filter(Column("txn_id") == txnID).fetchOne(db)
    }

    public func allOutbox() throws -> [OutboxEntry] {
        try OutboxEntry.order(Column("id")).fetchAll(db)
    }

    /// Marks the entry sent and, in the same transaction, empties it of what the person now has: the text,
    /// a file (a data export) and the recipient. What exactly-once needs stays: the transaction id, the
    /// room, the remote id and the time.
    public func markSent(_ id: Int64, remoteID: String, room: RoomID, at date: Date) throws {
        try DirectStatement(
            db,
            """
            UPDATE outbox SET sent_at = ?, remote_id = ?, room_id = ?, last_error = NULL, attachment = NULL,
                body = ?, recipient = NULL
            WHERE id = ?
            """
        ).run([
            StoredDate.text(date).databaseValue, remoteID.databaseValue, room.rawValue.databaseValue,
            OutboxEntry.emptyBodyJSON.databaseValue, id.databaseValue,
        ])
    }

    /// Records a failed attempt; the entry is tried again after `retryAt`, or given up when `retryAt` is nil.
    public func markAttemptFailed(_ id: Int64, error: String, retryAt: Date?, at date: Date) throws {
        try db.execute(
            sql: "UPDATE outbox SET attempts = attempts + 1, last_error = ?, not_before = ?, failed_at = ? WHERE id = ?",
            arguments: [error, retryAt.map(StoredDate.text), retryAt == nil ? StoredDate.text(date) : nil, id])
    }

    /// Records that the server rate-limited the entry's send: it goes again at `retryAt` (the server's time),
    /// and the refusal is not counted as a failed attempt (a server that is busy for long must not make an
    /// entry be given up).
    public func markRateLimited(_ id: Int64, error: String, retryAt: Date) throws {
        try db.execute(
            sql: "UPDATE outbox SET last_error = ?, not_before = ? WHERE id = ?",
            arguments: [error, StoredDate.text(retryAt), id])
    }

    /// Records the room resolved for a recipient, so a retry does not open another one.
    public func setOutboxRoom(_ id: Int64, room: RoomID) throws {
        try db.execute(sql: "UPDATE outbox SET room_id = ? WHERE id = ?", arguments: [room.rawValue, id])
    }
}
