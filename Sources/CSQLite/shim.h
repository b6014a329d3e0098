#ifndef CSQLITE_SHIM_H
#define CSQLITE_SHIM_H
#include <sqlite3.h>

/// Binds text that SQLite copies before returning (Swift cannot see SQLITE_TRANSIENT).
static inline int csqlite_bind_text(sqlite3_stmt *statement, int index, const char *text, int length) {
    return sqlite3_bind_text(statement, index, text, length, SQLITE_TRANSIENT);
}

/// Binds a blob that SQLite copies before returning.
static inline int csqlite_bind_blob(sqlite3_stmt *statement, int index, const void *bytes, int length) {
    return sqlite3_bind_blob(statement, index, bytes, length, SQLITE_TRANSIENT);
}

/// Turns off SQLite's memory statistics, which take a process-wide mutex around every
/// allocation; this process reads none. Only before SQLite is first used (`SQLITE_MISUSE` after;
/// `sqlite3_config` is variadic, which Swift cannot call).
static inline int csqlite_skip_memory_statistics(void) { return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); }

/// Leaves the WAL in place when the connection closes instead of checkpointing it and deleting
/// it (`SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE`; `sqlite3_db_config` is variadic, which Swift cannot call).
static inline int csqlite_keep_wal_on_close(sqlite3 *db) {
    return sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)0);
}

/// The descriptor in an open file of SQLite's unix VFS: its `unixFile` begins with the methods,
/// the VFS and the inode's lock record, then the descriptor (a layout unchanged since 2008;
/// SQLite has no call that returns it). The caller checks that it names the file it expects.
/// Another descriptor of the same file must not be opened and closed instead: closing any
/// descriptor of a file drops every POSIX lock the process holds on it, SQLite's among them.
static inline int csqlite_unix_file_descriptor(sqlite3_file *file) {
    struct unix_file_start {
        const sqlite3_io_methods *methods;
        sqlite3_vfs *vfs;
        void *inode;
        int descriptor;
    };
    return ((struct unix_file_start *)file)->descriptor;
}

#endif
