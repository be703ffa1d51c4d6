#include "skav_sqlite_setup.h"

#include <sqlite3.h>

int skav_sqlite_setup(void) {
    // Multi-thread mode: a connection is never used by two threads at once (GRDB runs each on its own serial
    // queue), so the per-connection mutex each API call took is not needed. SQLite's own shared state (the
    // allocator, the page caches) keeps its mutexes in this mode.
    int threading = sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
    // No memory statistics: nothing reads them (no soft heap limit is set), and with them on every malloc and
    // free of SQLite's took a process-wide mutex, about 390 a message.
    int statistics = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    return threading != SQLITE_OK ? threading : statistics;
}
