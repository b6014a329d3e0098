#ifndef BATCHED_WAL_H
#define BATCHED_WAL_H
#include <sqlite3.h>

/// The name of the VFS that `batched_wal_register` adds: SQLite's "unix" VFS with each commit's
/// WAL frames written in one call.
#define BATCHED_WAL_VFS "unix-batched-wal"

/// Registers the batched-WAL VFS (not as the default) once per process; SQLITE_OK when it is
/// there. Open a connection with `sqlite3_open_v2(..., BATCHED_WAL_VFS)` to use it.
///
/// SQLite writes a WAL frame in two calls, its 24-byte header then its page: a sale of a dozen
/// pages made two dozen `pwrite` calls, each dirtying the same page-cache blocks again. This VFS
/// holds the writes that append to a WAL file, one after another, and writes them in one call
/// once the commit frame's page is written (the frame whose header carries the database size:
/// WAL file format, sqlite.org/fileformat2.html#walformat), before anything else touches that
/// file (a read, a sync, its size, a truncation, a file control, closing), and whenever 64 KiB
/// are held. A write that does not append (SQLite writing a frame of the same transaction again,
/// then rewriting the headers after it) goes straight through. So when a commit returns, all its
/// frames are in the file, as without this VFS: other connections, which learn of frames from
/// the WAL index only after that, read them there, and a process killed then loses nothing.
int batched_wal_register(void);

/// The unix VFS's file beneath `file` when `file` was opened by the batched-WAL VFS; else `file`.
sqlite3_file *batched_wal_underlying(sqlite3_file *file);

/// The descriptor of the unix VFS's file beneath `file` (the database file or its WAL): its
/// `unixFile` begins with the methods, the VFS and the inode's lock record, then the descriptor
/// (a layout unchanged since 2008; SQLite has no call that returns it).
int batched_wal_descriptor(sqlite3_file *file);

/// What tells one file from another, and whether it still has a name.
typedef struct BatchedWALIdentity {
    unsigned long long device;
    unsigned long long inode;
    unsigned int links;
} BatchedWALIdentity;

/// The identity of the file open as `descriptor` (`statx` asking for its inode and link count
/// alone): 0 when found. Unlike `fstat`, it asks for no timestamps: since Linux 6.13 a read of a
/// file's change time has its next write take a fine-grained one, which dirties the inode and
/// makes the commit's flush write it too (measured: 3 `fstat` a sale made a FULL sale 10 % slower).
int batched_wal_identity(int descriptor, BatchedWALIdentity *identity);

/// The identity of the file at `path` (`statx`, which opens nothing): 0 when found, else -1 with
/// `errno` set.
int batched_wal_identity_at(const char *path, BatchedWALIdentity *identity);

/// The identity of the `-shm` file the connections of this process to the database `file` (a
/// main database file of this VFS) share, through the descriptor SQLite opened it with: 1 when
/// it is open and `*identity` is filled, 0 when no connection has mapped it yet. Nothing else may
/// open the `-shm` to look at it: closing any descriptor of it would drop the process's locks on it.
int batched_wal_shm_identity(sqlite3_file *file, BatchedWALIdentity *identity);

#endif
