#include "skav_sqlite_setup.h"

#include <sqlite3.h>

int skav_sqlite_setup(void) {
    // No memory statistics: nothing reads them (no soft heap limit is set), and with them on each of SQLite's
    // allocations and frees took a process-wide mutex to count the bytes (Debian's SQLite has no lookaside
    // memory, so every allocation goes to malloc: about 160 a message, and 230 frees). GRDB opens its
    // connections without a mutex of their own already (SQLITE_OPEN_NOMUTEX: each is used on one serial queue).
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
