import CSQLiteSetup
import Chat
import Foundation
import GRDBSQLite
import Testing

@testable import Store

/// SQLite's process-wide options (`IntakeStore.sqliteSetup`), set before the first store opens. Checked in a
/// process of its own, where the store is the first to open a database (as in `skav run`): in the test
/// process, tests run in parallel and any of them may open a database first.
@Suite struct SQLiteSetupTests {
    @Test func memoryIsNotCountedOnceTheFirstStoreOpened() async {
        await #expect(processExitsWith: .success) {
            let store = try IntakeStore()
            // The setup came before SQLite's first use.
            guard IntakeStore.sqliteSetup == SQLITE_OK else { exit(10) }
            try store.write { tx in
                _ = try tx.enqueue(OutboxEntry(txnID: "$setup.0", roomID: "!r:hs", body: "Hej", createdAt: Date()))
                _ = try tx.person(UserID("@anna:kommun.se"))
            }
            // Memory statistics off: SQLite keeps no count, so none of its allocations took the count's lock.
            guard sqlite3_memory_used() == 0 else { exit(11) }
            // Once initialized, SQLite takes no process-wide options any more.
            guard skav_sqlite_setup() == SQLITE_MISUSE else { exit(12) }
        }
    }

    @Test func withoutTheSetupMemoryIsCounted() async {
        // The measure above is not empty: with SQLite's defaults (a database opened before any store), the
        // count runs.
        await #expect(processExitsWith: .success) {
            var db: OpaquePointer?
            guard sqlite3_open(":memory:", &db) == SQLITE_OK else { exit(20) }
            _ = try IntakeStore()
            guard IntakeStore.sqliteSetup == SQLITE_MISUSE else { exit(21) }
            guard sqlite3_memory_used() > 0 else { exit(22) }
            sqlite3_close(db)
        }
    }
}
