#define _GNU_SOURCE
#include "batched_wal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

/// An open file of the batched-WAL VFS: the unix VFS's file follows it in the same allocation.
typedef struct BatchedFile {
    sqlite3_file base;
    sqlite3_file *real;
    /// Held writes (WAL files only): `length` bytes for the file from `offset`.
    unsigned char *held;
    int capacity;
    int length;
    sqlite3_int64 offset;
    /// The last write held was a commit frame's header: its page, next, ends the commit.
    int commitHeaderHeld;
    /// Where the frames written since the WAL header end: writes from here on append, and only
    /// those are held; a write before it (a frame of this transaction written again, the frame
    /// headers SQLite rewrites after such a write, the last of them a commit frame's) goes
    /// straight through, so that nothing stays held once the commit frame's page is written.
    sqlite3_int64 end;
    /// The database file's device and inode (main database files only; `identified` then 1): the
    /// key of the `-shm` descriptor its connections share in this process (``ShmDescriptor``).
    int identified;
    unsigned long long device;
    unsigned long long inode;
} BatchedFile;

/// Bytes held at most; a larger commit is written in pieces of up to this size. (The unix VFS
/// writes at most 128 KiB - 1 bytes a call: its `seekAndWrite` masks the length with 0x1ffff.)
enum { heldCapacity = 64 * 1024, frameHeaderBytes = 24 };

static const sqlite3_io_methods batchedMethods;
static sqlite3_vfs *unixVFS;
static sqlite3_vfs batchedVFS;
static int registered = SQLITE_ERROR;
static pthread_once_t registerOnce = PTHREAD_ONCE_INIT;

static sqlite3_file *real(sqlite3_file *file) { return ((BatchedFile *)file)->real; }

/// Writes what `file` holds; the error of that write, if any.
static int writeHeld(BatchedFile *file) {
    if (file->length == 0) return SQLITE_OK;
    int length = file->length;
    file->length = 0;
    file->commitHeaderHeld = 0;
    return file->real->pMethods->xWrite(file->real, file->held, length, file->offset);
}

#define WRITE_HELD_FIRST(file)                                    \
    do {                                                          \
        int code = writeHeld((BatchedFile *)(file));              \
        if (code != SQLITE_OK) return code;                       \
    } while (0)

static int batchedClose(sqlite3_file *file) {
    BatchedFile *batched = (BatchedFile *)file;
    int written = writeHeld(batched);
    int closed = batched->real->pMethods->xClose(batched->real);
    free(batched->held);
    batched->held = 0;
    return written != SQLITE_OK ? written : closed;
}

static int batchedRead(sqlite3_file *file, void *buffer, int amount, sqlite3_int64 offset) {
    WRITE_HELD_FIRST(file);
    return real(file)->pMethods->xRead(real(file), buffer, amount, offset);
}

/// Commit frame: a frame header whose second word, the database size after the commit, is not 0.
static int isCommitFrameHeader(const unsigned char *bytes, int amount) {
    return amount == frameHeaderBytes && (bytes[4] | bytes[5] | bytes[6] | bytes[7]) != 0;
}

static int batchedWrite(sqlite3_file *file, const void *buffer, int amount, sqlite3_int64 offset) {
    BatchedFile *batched = (BatchedFile *)file;
    if (batched->held == 0) return batched->real->pMethods->xWrite(batched->real, buffer, amount, offset);
    if (offset == 0) batched->end = 0;  // the WAL header: frames start again from the file's start
    int appends = offset >= batched->end && amount <= batched->capacity;
    int endsCommit = batched->commitHeaderHeld;
    if (batched->length > 0 &&
        (!appends || offset != batched->offset + batched->length || batched->length + amount > batched->capacity)) {
        WRITE_HELD_FIRST(batched);
    }
    if (offset + amount > batched->end) batched->end = offset + amount;
    if (!appends) return batched->real->pMethods->xWrite(batched->real, buffer, amount, offset);
    if (batched->length == 0) batched->offset = offset;
    memcpy(batched->held + batched->length, buffer, (size_t)amount);
    batched->length += amount;
    if (endsCommit) return writeHeld(batched);
    batched->commitHeaderHeld = isCommitFrameHeader(buffer, amount);
    return SQLITE_OK;
}

static int batchedTruncate(sqlite3_file *file, sqlite3_int64 size) {
    WRITE_HELD_FIRST(file);
    BatchedFile *batched = (BatchedFile *)file;
    if (batched->end > size) batched->end = size;
    return real(file)->pMethods->xTruncate(real(file), size);
}

static int batchedSync(sqlite3_file *file, int flags) {
    WRITE_HELD_FIRST(file);
    return real(file)->pMethods->xSync(real(file), flags);
}

static int batchedFileSize(sqlite3_file *file, sqlite3_int64 *size) {
    WRITE_HELD_FIRST(file);
    return real(file)->pMethods->xFileSize(real(file), size);
}

static int batchedLock(sqlite3_file *file, int lock) { return real(file)->pMethods->xLock(real(file), lock); }

static int batchedUnlock(sqlite3_file *file, int lock) { return real(file)->pMethods->xUnlock(real(file), lock); }

static int batchedCheckReservedLock(sqlite3_file *file, int *out) {
    return real(file)->pMethods->xCheckReservedLock(real(file), out);
}

static int batchedFileControl(sqlite3_file *file, int op, void *argument) {
    WRITE_HELD_FIRST(file);
    return real(file)->pMethods->xFileControl(real(file), op, argument);
}

static int batchedSectorSize(sqlite3_file *file) { return real(file)->pMethods->xSectorSize(real(file)); }

static int batchedDeviceCharacteristics(sqlite3_file *file) {
    return real(file)->pMethods->xDeviceCharacteristics(real(file));
}

// The `-shm` files' descriptors. The unix VFS opens a database's `-shm` once per process, the
// first time one of its connections maps it (`xShmMap`), shares it among that process's
// connections to the same database file (device and inode), and closes it after the last; it has
// no call that returns the descriptor. Its `open` and `close` go through its system-call table,
// which `sqlite3_vfs.xSetSystemCall` lets a program replace: the replacements note each `-shm`
// opened inside this VFS's `xShmMap`, and forget a descriptor as it is closed, before the number
// can be reused.

/// A `-shm` descriptor of this process and the database file it serves.
typedef struct ShmDescriptor {
    int descriptor;
    unsigned long long device;
    unsigned long long inode;
} ShmDescriptor;

static pthread_mutex_t shmLock = PTHREAD_MUTEX_INITIALIZER;
static ShmDescriptor *shmDescriptors;
static int shmCount, shmCapacity;
/// The `-shm` opened on this thread inside the `xShmMap` running now; -1 when none.
static __thread int openedShm = -1;
static int (*unixOpen)(const char *, int, int);
static int (*unixClose)(int);

static int openNotingShm(const char *path, int flags, int mode) {
    int descriptor = unixOpen(path, flags, mode);
    size_t length = strlen(path);
    if (descriptor >= 0 && length > 4 && strcmp(path + length - 4, "-shm") == 0) openedShm = descriptor;
    return descriptor;
}

static int closeForgettingShm(int descriptor) {
    if (descriptor == openedShm) openedShm = -1;
    pthread_mutex_lock(&shmLock);
    for (int index = 0; index < shmCount; index++) {
        if (shmDescriptors[index].descriptor == descriptor) shmDescriptors[index] = shmDescriptors[--shmCount];
    }
    pthread_mutex_unlock(&shmLock);
    return unixClose(descriptor);
}

/// Notes `descriptor` as the `-shm` of the database file `file` is open on.
static void noteShm(BatchedFile *file, int descriptor) {
    pthread_mutex_lock(&shmLock);
    if (shmCount == shmCapacity) {
        int capacity = shmCapacity == 0 ? 4 : shmCapacity * 2;
        ShmDescriptor *grown = realloc(shmDescriptors, sizeof *grown * (size_t)capacity);
        if (grown != 0) {
            shmDescriptors = grown;
            shmCapacity = capacity;
        }
    }
    if (shmCount < shmCapacity) {
        shmDescriptors[shmCount++] = (ShmDescriptor){descriptor, file->device, file->inode};
    }
    pthread_mutex_unlock(&shmLock);
}

static int batchedShmMap(sqlite3_file *file, int region, int size, int extend, void volatile **out) {
    BatchedFile *batched = (BatchedFile *)file;
    openedShm = -1;
    int code = batched->real->pMethods->xShmMap(batched->real, region, size, extend, out);
    if (openedShm >= 0 && batched->identified) noteShm(batched, openedShm);
    openedShm = -1;
    return code;
}

static int identity(int descriptor, const char *path, int flags, BatchedWALIdentity *identity) {
    struct statx status;
    if (statx(descriptor, path, flags, STATX_INO | STATX_NLINK, &status) != 0) return -1;
    identity->device = makedev(status.stx_dev_major, status.stx_dev_minor);
    identity->inode = status.stx_ino;
    identity->links = status.stx_nlink;
    return 0;
}

int batched_wal_identity(int descriptor, BatchedWALIdentity *result) {
    return identity(descriptor, "", AT_EMPTY_PATH, result);
}

int batched_wal_identity_at(const char *path, BatchedWALIdentity *result) {
    return identity(AT_FDCWD, path, 0, result);
}

int batched_wal_shm_identity(sqlite3_file *file, BatchedWALIdentity *result) {
    if (file->pMethods != &batchedMethods || !((BatchedFile *)file)->identified) return 0;
    BatchedFile *batched = (BatchedFile *)file;
    int found = 0;
    pthread_mutex_lock(&shmLock);
    for (int index = 0; index < shmCount && !found; index++) {
        ShmDescriptor *shm = &shmDescriptors[index];
        if (shm->device == batched->device && shm->inode == batched->inode) {
            found = batched_wal_identity(shm->descriptor, result) == 0;
        }
    }
    pthread_mutex_unlock(&shmLock);
    return found;
}

static int batchedShmLock(sqlite3_file *file, int offset, int count, int flags) {
    return real(file)->pMethods->xShmLock(real(file), offset, count, flags);
}

static void batchedShmBarrier(sqlite3_file *file) { real(file)->pMethods->xShmBarrier(real(file)); }

static int batchedShmUnmap(sqlite3_file *file, int deleteFlag) {
    return real(file)->pMethods->xShmUnmap(real(file), deleteFlag);
}

static int batchedFetch(sqlite3_file *file, sqlite3_int64 offset, int amount, void **out) {
    WRITE_HELD_FIRST(file);
    return real(file)->pMethods->xFetch(real(file), offset, amount, out);
}

static int batchedUnfetch(sqlite3_file *file, sqlite3_int64 offset, void *page) {
    return real(file)->pMethods->xUnfetch(real(file), offset, page);
}

static const sqlite3_io_methods batchedMethods = {
    3,
    batchedClose,
    batchedRead,
    batchedWrite,
    batchedTruncate,
    batchedSync,
    batchedFileSize,
    batchedLock,
    batchedUnlock,
    batchedCheckReservedLock,
    batchedFileControl,
    batchedSectorSize,
    batchedDeviceCharacteristics,
    batchedShmMap,
    batchedShmLock,
    batchedShmBarrier,
    batchedShmUnmap,
    batchedFetch,
    batchedUnfetch,
};

static int batchedOpen(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *file, int flags, int *outFlags) {
    (void)vfs;
    BatchedFile *batched = (BatchedFile *)file;
    memset(batched, 0, sizeof *batched);
    batched->real = (sqlite3_file *)(batched + 1);
    if (flags & SQLITE_OPEN_WAL) {
        batched->held = malloc(heldCapacity);
        if (batched->held == 0) return SQLITE_NOMEM;
        batched->capacity = heldCapacity;
    }
    int code = unixVFS->xOpen(unixVFS, name, batched->real, flags, outFlags);
    if (code != SQLITE_OK) {
        // SQLite closes a file whose open failed only if its methods are set, and these are not.
        if (batched->real->pMethods != 0) batched->real->pMethods->xClose(batched->real);
        free(batched->held);
        batched->held = 0;
        return code;
    }
    batched->base.pMethods = &batchedMethods;
    BatchedWALIdentity opened;
    if ((flags & SQLITE_OPEN_MAIN_DB) && batched_wal_identity(batched_wal_descriptor(batched->real), &opened) == 0) {
        batched->identified = 1;
        batched->device = opened.device;
        batched->inode = opened.inode;
    }
    return SQLITE_OK;
}

static void registerVFS(void) {
    unixVFS = sqlite3_vfs_find("unix");
    if (unixVFS == 0) return;
    batchedVFS = *unixVFS;
    batchedVFS.pNext = 0;
    batchedVFS.zName = BATCHED_WAL_VFS;
    batchedVFS.szOsFile = (int)sizeof(BatchedFile) + unixVFS->szOsFile;
    batchedVFS.xOpen = batchedOpen;
    unixOpen = (int (*)(const char *, int, int))unixVFS->xGetSystemCall(unixVFS, "open");
    unixClose = (int (*)(int))unixVFS->xGetSystemCall(unixVFS, "close");
    if (unixOpen == 0 || unixClose == 0 ||
        unixVFS->xSetSystemCall(unixVFS, "open", (sqlite3_syscall_ptr)openNotingShm) != SQLITE_OK ||
        unixVFS->xSetSystemCall(unixVFS, "close", (sqlite3_syscall_ptr)closeForgettingShm) != SQLITE_OK) {
        return;
    }
    registered = sqlite3_vfs_register(&batchedVFS, 0);
}

int batched_wal_register(void) {
    pthread_once(&registerOnce, registerVFS);
    return registered;
}

int batched_wal_descriptor(sqlite3_file *file) {
    // A `unixFile` begins with its methods, its VFS and its inode's lock record, then the
    // descriptor (the layout `csqlite_unix_file_descriptor` in CSQLite's shim reads too).
    struct unix_file_start {
        const sqlite3_io_methods *methods;
        sqlite3_vfs *vfs;
        void *inode;
        int descriptor;
    };
    return ((struct unix_file_start *)batched_wal_underlying(file))->descriptor;
}

sqlite3_file *batched_wal_underlying(sqlite3_file *file) {
    return file->pMethods == &batchedMethods ? ((BatchedFile *)file)->real : file;
}
