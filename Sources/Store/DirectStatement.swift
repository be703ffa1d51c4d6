import Foundation
import GRDB
import GRDBSQLite

/// The statements of every message, run through SQLite's C interface on a statement GRDB prepared and keeps
/// in its cache (`Database.cachedStatement`). GRDB's way around one execution (its arguments built from
/// `DatabaseValueConvertible` existentials and checked, a cursor object, generic code not specialized across
/// modules, its per-statement checks for suspension and observation) cost 5,000 instructions for a write
/// and 11,000 for a one-row read, more than SQLite's own work on most of them; a burst message ran about
/// ten. GRDB's statement cache, its transactions and its connection handling stay GRDB's.
///
/// Only for statements no GRDB call runs too (each SQL text here is used through `DirectStatement` alone), so
/// GRDB never finds bindings it did not set. The store's transactions use no transaction observers, so no
/// change goes unseen. Where it differs from GRDB's execution:
/// - Cancellation: GRDB refuses to start a statement in an `async` access whose task was cancelled, and turns
///   an interrupted statement's error into `CancellationError`; here the statement runs, and an interrupted
///   one throws its `DatabaseError` (`SQLITE_INTERRUPT`). The statements of every message run in synchronous
///   accesses (the engine's batch, the sender's record and reads), which nothing cancels; an `async` access
///   that reads through one (the terminal's first read of its person) only fails differently at shutdown.
/// - After SQLite ended a transaction by itself: GRDB refuses every statement of the transaction's block;
///   here only writes are refused (`run`). A read then reads what is committed, and the block's own `COMMIT`
///   fails; the message's savepoint statements run only inside a transaction (`messageSavepoint`'s caller
///   checks).
struct DirectStatement {
    let statement: Statement
    private let connection: SQLiteConnection

    init(_ db: Database, _ sql: String) throws {
        statement = try db.cachedStatement(sql: sql)
        guard let connection = db.sqliteConnection else {
            throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "the connection is closed", sql: sql)
        }
        self.connection = connection
    }

    /// One row of a running statement; valid only inside the `run` callback that gives it.
    struct Row {
        fileprivate let handle: SQLiteStatement

        var count: Int32 { sqlite3_column_count(handle) }
        /// The column's value as GRDB reads it (`DatabaseValue(sqliteStatement:index:)`).
        subscript(_ index: Int32) -> DatabaseValue { DatabaseValue(sqliteStatement: handle, index: index) }
        /// Every column's value, by position.
        var values: [DatabaseValue] { (0..<count).map { self[$0] } }
    }

    /// Binds `arguments` (by position), steps to the end and calls `row` for each row; the statement is
    /// reset afterwards, also after an error. A statement that writes runs only inside a transaction: when
    /// SQLite ended one by itself (a full disk, say), the write would otherwise run on its own, outside the
    /// batch. (GRDB refuses every statement then, but only inside its own transaction block; here a write is
    /// refused whenever the connection is outside a transaction, also on `readOnWriter`'s connection, where
    /// nothing writes: stricter for writes, and looser for reads, which still run.) Returns the rows changed
    /// (`sqlite3_changes`).
    @discardableResult
    func run(_ arguments: [DatabaseValue], row: (Row) throws -> Void = { _ in }) throws -> Int {
        let handle = statement.sqliteStatement
        if sqlite3_stmt_readonly(handle) == 0 && sqlite3_get_autocommit(connection) != 0 {
            throw DatabaseError(
                resultCode: .SQLITE_ABORT, message: "a write outside a transaction (was it aborted?)", sql: statement.sql)
        }
        sqlite3_reset(handle)
        defer { sqlite3_reset(handle) }
        let parameters = Int(sqlite3_bind_parameter_count(handle))
        guard parameters == arguments.count else {
            throw DatabaseError(
                resultCode: .SQLITE_MISUSE,
                message: "wrong number of statement arguments: \(arguments.count) for \(parameters)", sql: statement.sql)
        }
        for (offset, value) in arguments.enumerated() {
            try check(bind(value, at: Int32(offset + 1), on: handle))
        }
        while true {
            let code = sqlite3_step(handle)
            switch code {
            case SQLITE_ROW:
                try row(Row(handle: handle))
            case SQLITE_DONE:
                return Int(sqlite3_changes(connection))
            default:
                try check(code)
            }
        }
    }

    /// The values of every row, by position.
    func rows(_ arguments: [DatabaseValue]) throws -> [[DatabaseValue]] {
        var rows: [[DatabaseValue]] = []
        try run(arguments) { rows.append($0.values) }
        return rows
    }

    /// The first column of the first row, or nil without a row.
    func firstValue(_ arguments: [DatabaseValue]) throws -> DatabaseValue? {
        var first: DatabaseValue?
        try run(arguments) { row in if first == nil { first = row[0] } }
        return first
    }

    private func bind(_ value: DatabaseValue, at index: Int32, on handle: SQLiteStatement) -> Int32 {
        switch value.storage {
        case .null:
            return sqlite3_bind_null(handle, index)
        case .int64(let number):
            return sqlite3_bind_int64(handle, index, number)
        case .double(let number):
            return sqlite3_bind_double(handle, index, number)
        case .string(let text):
            // As GRDB binds a text: its C string (a native string's own bytes, no copy made here), so a text
            // reads and matches the same whichever way it was written.
            return text.withCString { sqlite3_bind_text(handle, index, $0, -1, sqliteTransient) }
        case .blob(let data):
            guard let length = Int32(exactly: data.count) else { return SQLITE_TOOBIG }
            // An empty blob is an empty blob, not NULL (which a nil pointer would bind).
            if length == 0 { return sqlite3_bind_zeroblob(handle, index, 0) }
            return data.withUnsafeBytes { bytes in sqlite3_bind_blob(handle, index, bytes.baseAddress, length, sqliteTransient) }
        }
    }

    private func check(_ code: Int32) throws {
        guard code != SQLITE_OK else { return }
        throw DatabaseError(
            resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(connection)), sql: statement.sql)
    }
}

/// `SQLITE_TRANSIENT`: SQLite copies the bound value (the C macro is not imported into Swift).
private var sqliteTransient: sqlite3_destructor_type { unsafeBitCast(-1, to: sqlite3_destructor_type.self) }
