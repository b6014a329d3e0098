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

// The writer queue's shared words (EdgeStore's WriterTurnstile): atomic operations on memory
// mapped by several processes, and the futex(2) calls that sleep and wake on them (Glibc's
// module map has neither; `syscall` is variadic, which Swift cannot call).
#include <linux/futex.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/// Atomically loads the 32-bit word at `word`.
static inline uint32_t csqlite_atomic_load(uint32_t *word) { return __atomic_load_n(word, __ATOMIC_SEQ_CST); }

/// Atomically stores `value` in the 32-bit word at `word`.
static inline void csqlite_atomic_store(uint32_t *word, uint32_t value) { __atomic_store_n(word, value, __ATOMIC_SEQ_CST); }

/// Atomically adds `value` to the word at `word`; its value before.
static inline uint32_t csqlite_atomic_add(uint32_t *word, uint32_t value) {
    return __atomic_fetch_add(word, value, __ATOMIC_SEQ_CST);
}

/// Atomically sets the word at `word` to `desired` if it is `expected`; 1 when it was.
static inline int csqlite_atomic_swap_if(uint32_t *word, uint32_t expected, uint32_t desired) {
    return __atomic_compare_exchange_n(word, &expected, desired, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

/// Sleeps while the word at `word` is `expected`, at most `nanoseconds`; woken by
/// `csqlite_futex_wake` on the same word in any process that maps it.
static inline void csqlite_futex_wait(uint32_t *word, uint32_t expected, long nanoseconds) {
    struct timespec timeout = {nanoseconds / 1000000000, nanoseconds % 1000000000};
    syscall(SYS_futex, word, FUTEX_WAIT, expected, &timeout, (void *)0, 0);
}

/// The calling thread's id (gettid(2)), which `kill(id, 0)` finds while the thread lives.
static inline uint32_t csqlite_thread_id(void) { return (uint32_t)syscall(SYS_gettid); }

/// Atomically stores `value` in the 64-bit word at `word`.
static inline void csqlite_atomic_store64(uint64_t *word, uint64_t value) {
    __atomic_store_n(word, value, __ATOMIC_SEQ_CST);
}

/// Atomically loads the 64-bit word at `word`.
static inline uint64_t csqlite_atomic_load64(uint64_t *word) { return __atomic_load_n(word, __ATOMIC_SEQ_CST); }

/// Wakes every process sleeping on the word at `word`.
static inline void csqlite_futex_wake(uint32_t *word) {
    syscall(SYS_futex, word, FUTEX_WAKE, 0x7fffffff, (void *)0, (void *)0, 0);
}

#include <pthread.h>
// Declared by pthread.h only under _GNU_SOURCE (glibc 2.30 and later).
extern int pthread_mutex_clocklock(pthread_mutex_t *mutex, clockid_t clock, const struct timespec *deadline);

/// Locks `mutex`, waiting at most until `deadline` on CLOCK_MONOTONIC (as
/// pthread_mutex_timedlock, whose deadline is on the wall clock, which a step would move).
static inline int csqlite_mutex_lock_until(pthread_mutex_t *mutex, const struct timespec *deadline) {
    return pthread_mutex_clocklock(mutex, CLOCK_MONOTONIC, deadline);
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

/// Writes the dirty pages of `fd` in [offset, offset + length) to the disk and waits for them
/// (`sync_file_range` with WAIT_BEFORE, WRITE and WAIT_AFTER, through syscall(2): Glibc declares it
/// only under _GNU_SOURCE). It does not flush the disk's cache; an fdatasync must follow.
static inline int csqlite_write_back_range(int fd, int64_t offset, int64_t length) {
    return (int)syscall(SYS_sync_file_range, fd, offset, length, 1 | 2 | 4);
}

#include <fcntl.h>

/// Sets an open file description lock (`F_OFD_SETLK`, which Glibc declares only under
/// _GNU_SOURCE) of `type` (F_RDLCK, F_WRLCK, F_UNLCK) on the first byte of `fd`, without waiting;
/// 0 or -1 with errno. Unlike a POSIX lock, it belongs to the open file and lives until the last
/// descriptor of it is closed; the kernel drops it when its process dies, and a boot finds none.
static inline int csqlite_ofd_lock(int fd, short type) {
    struct flock lock = {.l_type = type, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1, .l_pid = 0};
    return fcntl(fd, 37 /* F_OFD_SETLK */, &lock);
}

#endif
