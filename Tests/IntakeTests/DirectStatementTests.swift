import Foundation
import GRDB
import GRDBSQLite
import Testing

@testable import Store

/// The store's statements of every message run through SQLite's C interface (`DirectStatement`): they must
/// write, read and fail exactly as GRDB's execution of the same statement would.
@Suite struct DirectStatementTests {
    private func queue() throws -> DatabaseQueue {
        let queue = try DatabaseQueue()
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, v, tag TEXT UNIQUE)")
        }
        return queue
    }

    @Test func everyKindOfValueIsWrittenAsGRDBWritesIt() throws {
        let queue = try queue()
        let values: [DatabaseValue] = [
            .null, Int64.min.databaseValue, Int64.max.databaseValue, 0.databaseValue, 1.5.databaseValue,
            (-0.0).databaseValue, Double.greatestFiniteMagnitude.databaseValue, "".databaseValue,
            "Hej åäö é e\u{301} 🙂 \u{202E}".databaseValue, String(repeating: "ä", count: 100_000).databaseValue,
            // A text with NUL inside ends at the NUL, as GRDB binds it (so it matches however it was written).
            "före\u{0}efter".databaseValue, Data().databaseValue, Data([0, 1, 2, 255]).databaseValue,
        ]
        try queue.write { db in
            for (index, value) in values.enumerated() {
                let changed = try DirectStatement(db, "INSERT INTO t (id, v) VALUES (?, ?)").run([index.databaseValue, value])
                #expect(changed == 1)
                try db.execute(sql: "INSERT INTO t (id, v) VALUES (?, ?)", arguments: [index + 1_000, value])
            }
        }
        try queue.read { db in
            for index in values.indices {
                let direct = try DatabaseValue.fetchOne(db, sql: "SELECT v FROM t WHERE id = ?", arguments: [index])
                let grdb = try DatabaseValue.fetchOne(db, sql: "SELECT v FROM t WHERE id = ?", arguments: [index + 1_000])
                #expect(direct == grdb, "value \(index)")
                let types = try String.fetchAll(db, sql: "SELECT typeof(v) FROM t WHERE id IN (?, ?)", arguments: [index, index + 1_000])
                #expect(Set(types).count == 1, "value \(index): \(types)")
            }
            // An empty blob stays a blob, not NULL; a text ends at a NUL.
            #expect(try String.fetchOne(db, sql: "SELECT typeof(v) FROM t WHERE id = 11") == "blob")
            #expect(try String.fetchOne(db, sql: "SELECT v FROM t WHERE id = 10") == "före")
        }
    }

    @Test func rowsAreReadByPositionAsGRDBReadsThem() throws {
        let queue = try queue()
        try queue.write { db in
            for id in 1...5 {
                try db.execute(sql: "INSERT INTO t (id, v, tag) VALUES (?, ?, ?)", arguments: [id, "värde \(id)", id % 2 == 0 ? nil : "t\(id)"])
            }
        }
        try queue.read { db in
            let statement = try DirectStatement(db, "SELECT id, v, tag FROM t WHERE id >= ? ORDER BY id")
            let rows = try statement.rows([2.databaseValue])
            let expected = try Row.fetchAll(db, sql: "SELECT id, v, tag FROM t WHERE id >= ? ORDER BY id", arguments: [2])
            #expect(rows == expected.map { row in row.databaseValues.map { $0 } })
            // Run again, other arguments: the statement was reset after the last.
            #expect(try statement.firstValue([4.databaseValue]) == 4.databaseValue)
            #expect(try statement.firstValue([9.databaseValue]) == nil)
            var seen: [Int64] = []
            try statement.run([1.databaseValue]) { row in seen.append(Int64.fromDatabaseValue(row[0]) ?? -1) }
            #expect(seen == [1, 2, 3, 4, 5])
        }
    }

    @Test func aFailureIsADatabaseErrorAndTheStatementRunsAgainAfterIt() throws {
        let queue = try queue()
        try queue.write { db in
            let insert = try DirectStatement(db, "INSERT INTO t (id, tag) VALUES (?, ?)")
            try insert.run([1.databaseValue, "a".databaseValue])
            do {
                try insert.run([2.databaseValue, "a".databaseValue])
                Issue.record("a repeated unique value was written")
            } catch let error as DatabaseError {
                #expect(error.resultCode == .SQLITE_CONSTRAINT)
                #expect(error.message?.contains("UNIQUE") == true)
            }
            #expect(try insert.run([2.databaseValue, "b".databaseValue]) == 1)
            // The wrong number of arguments binds nothing and runs nothing.
            #expect(throws: DatabaseError.self) { try insert.run([3.databaseValue]) }
            #expect(throws: DatabaseError.self) { try insert.run([3.databaseValue, "c".databaseValue, 4.databaseValue]) }
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM t") == 2)
        }
    }

    /// A row handler that throws in the middle of the rows: the error comes out as thrown, the statement is
    /// reset (its read lock let go), and the same cached statement reads again from its first row.
    @Test func aThrowingRowHandlerLeavesTheStatementReadyAgain() throws {
        struct Stop: Error {}
        let queue = try queue()
        try queue.write { db in
            for id in 1...5 { try db.execute(sql: "INSERT INTO t (id, v) VALUES (?, ?)", arguments: [id, id * 10]) }
            let select = try DirectStatement(db, "SELECT v FROM t WHERE id >= ? ORDER BY id")
            var seen: [DatabaseValue] = []
            #expect(throws: Stop.self) {
                try select.run([1.databaseValue]) { row in
                    seen.append(row[0])
                    if seen.count == 2 { throw Stop() }
                }
            }
            #expect(seen == [10.databaseValue, 20.databaseValue])
            // Reset at once, not at its next run (which resets first anyway): not left busy mid-way.
            #expect(sqlite3_stmt_busy(select.statement.sqliteStatement) == 0)
            #expect(try select.firstValue([1.databaseValue]) == 10.databaseValue)
            #expect(try select.rows([4.databaseValue]) == [[40.databaseValue], [50.databaseValue]])
        }
    }

    @Test func aWriteOutsideATransactionIsRefused() throws {
        // SQLite can end a transaction by itself (a full disk): a batch's later writes must not then run on
        // their own, each committed at once.
        let queue = try queue()
        try queue.writeWithoutTransaction { (db: Database) throws in
            #expect(throws: DatabaseError.self) { try DirectStatement(db, "INSERT INTO t (id) VALUES (?)").run([1.databaseValue]) }
            // Reads run (the sender's reads on the writer, outside a write).
            #expect(try DirectStatement(db, "SELECT count(*) FROM t").firstValue([]) == 0.databaseValue)
        }
        let count = try queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM t") }
        #expect(count == 0)
    }
}
