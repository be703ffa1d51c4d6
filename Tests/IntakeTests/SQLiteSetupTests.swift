import CSQLiteSetup
import Foundation
import GRDBSQLite
import Testing

@testable import Store

/// SQLite's process-wide options (`IntakeStore.sqliteSetup`): set before the first store opens, when nothing
/// opened a database before in the process.
@Suite struct SQLiteSetupTests {
    @Test func memoryIsNotCountedWhenTheSetupCameFirst() throws {
        let store = try IntakeStore()
        let result = IntakeStore.sqliteSetup
        // A test that opened a database of its own first (GRDB directly) leaves SQLite's defaults: the setup
        // then says so, and nothing else changes.
        #expect(result == SQLITE_OK || result == SQLITE_MISUSE)
        try store.write { tx in
            _ = try tx.enqueue(OutboxEntry(txnID: "$setup.0", roomID: "!r:hs", body: "Hej", createdAt: Date()))
        }
        if result == SQLITE_OK {
            // Memory statistics off: SQLite keeps no count, so none of its allocations took the count's lock.
            #expect(sqlite3_memory_used() == 0)
        } else {
            #expect(sqlite3_memory_used() > 0)
        }
        // Once initialized, SQLite takes no process-wide options any more.
        #expect(skav_sqlite_setup() == SQLITE_MISUSE)
    }
}
