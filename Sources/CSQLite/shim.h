#include <sqlite3.h>

/* sqlite3_db_config is variadic, which Swift cannot call: one fixed-argument wrapper per use. */
static inline int sqliteNoCheckpointOnClose(sqlite3 *db) {
    return sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)0);
}

/* sqlite3_config is variadic too. Turns off SQLite's memory statistics, which take a global mutex on
   every allocation; Baton never reads them. Must run before SQLite initialises; later it is a no-op
   that returns SQLITE_MISUSE. */
static inline int sqliteWithoutMemoryStatistics(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
