#ifndef SKAV_SQLITE_SETUP_H
#define SKAV_SQLITE_SETUP_H

/// Sets SQLite's process-wide options before its first use (`sqlite3_config` is variadic, which Swift cannot
/// call): no memory statistics (each of SQLite's allocations and frees took a process-wide mutex to count
/// them). Returns SQLITE_OK, or SQLITE_MISUSE when SQLite was already initialized (its options then stay as
/// they were).
int skav_sqlite_setup(void);

#endif
