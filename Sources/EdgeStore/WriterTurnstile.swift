#if canImport(Glibc)
    import Glibc
#endif

/// A queue for the writer lock, shared by every process and thread that writes one database
/// through this module: a robust, process-shared mutex kept in `<database>-writer`, taken before
/// `BEGIN IMMEDIATE` and given back after `COMMIT` or `ROLLBACK`.
///
/// SQLite has no queue for its writer lock: a writer that finds it taken sleeps and tries again,
/// so with many processes on few cores the waiters' wake-ups take the CPU from the holder and
/// whoever happens to wake at the right moment goes next (16 processes selling at once: p99 wait
/// 130 ms, worst 245 ms, 580 sales/s). Waiters on this mutex sleep in the kernel and the next one
/// is woken when it is given back (p99 33–53 ms, worst 52–85 ms, 870–1,030 sales/s; see
/// `bench contention`).
///
/// It orders writers; it does not make them correct: SQLite's own lock still guards every write,
/// so a writer without the turnstile (the `sqlite3` shell, a file that could not be made) is
/// merely not queued. A process that dies holding it hands it on (`EOWNERDEAD`); SQLite rolls
/// its transaction back as usual.
final class WriterTurnstile {
    private let mapping: UnsafeMutableRawPointer
    /// The turn: held from before `BEGIN IMMEDIATE` to after `COMMIT` or `ROLLBACK`.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    /// The right to checkpoint: held by one connection through both steps of its checkpoint.
    private let checkpointMutex: UnsafeMutablePointer<pthread_mutex_t>
    // The file: a magic number for each mutex (bytes 0 and 8), the turn at 64, the checkpoint's
    // at 128. Files made before the checkpoint's mutex existed get it added.
    private static let size = 4096
    private static let magic: UInt64 = 0x5645_4E55_4557_5231  // "VENUEWR1"
    private static let checkpointMagic: UInt64 = 0x5645_4E55_4543_4B31  // "VENUECK1"

    /// Opens (creating when missing) the turnstile of the database at `databasePath`; nil when
    /// its file cannot be made or mapped (a full disk, a read-only directory).
    init?(databasePath: String) {
        let path = databasePath + "-writer"
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        // One process at a time sets the file up; the others wait here for a moment.
        guard flock(descriptor, LOCK_EX) == 0 else { return nil }
        defer { flock(descriptor, LOCK_UN) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return nil }
        // Blocks really allocated, so that a full disk fails here and not as SIGBUS in the mapping.
        if info.st_size < Self.size, posix_fallocate(descriptor, 0, off_t(Self.size)) != 0 { return nil }
        guard let mapped = mmap(nil, Self.size, PROT_READ | PROT_WRITE, MAP_SHARED, descriptor, 0),
            mapped != MAP_FAILED
        else { return nil }
        mapping = mapped
        mutex = (mapped + 64).bindMemory(to: pthread_mutex_t.self, capacity: 1)
        checkpointMutex = (mapped + 128).bindMemory(to: pthread_mutex_t.self, capacity: 1)
        let header = mapped.bindMemory(to: UInt64.self, capacity: 2)
        if header[0] != Self.magic {
            Self.initialize(mutex)
            header[0] = Self.magic
        }
        if header[1] != Self.checkpointMagic {
            Self.initialize(checkpointMutex)
            header[1] = Self.checkpointMagic
        }
    }

    /// Makes `mutex` robust and shared between processes.
    private static func initialize(_ mutex: UnsafeMutablePointer<pthread_mutex_t>) {
        var attributes = pthread_mutexattr_t()
        pthread_mutexattr_init(&attributes)
        pthread_mutexattr_setpshared(&attributes, Int32(PTHREAD_PROCESS_SHARED))
        pthread_mutexattr_setrobust(&attributes, Int32(PTHREAD_MUTEX_ROBUST))
        pthread_mutex_init(mutex, &attributes)
        pthread_mutexattr_destroy(&attributes)
    }

    deinit { munmap(mapping, Self.size) }

    /// Waits at most `timeout` seconds for the turn; false when it did not come.
    func enter(timeout: Double) -> Bool {
        var deadline = timespec()
        clock_gettime(CLOCK_REALTIME, &deadline)  // pthread_mutex_timedlock's clock
        let nanoseconds = Int(deadline.tv_nsec) + Int(max(0, timeout) * 1_000_000_000)
        deadline.tv_sec += nanoseconds / 1_000_000_000
        deadline.tv_nsec = nanoseconds % 1_000_000_000
        switch pthread_mutex_timedlock(mutex, &deadline) {
        case 0: return true
        case EOWNERDEAD:
            // The last holder died in its turn; SQLite undoes its transaction, the queue goes on.
            pthread_mutex_consistent(mutex)
            return true
        default: return false
        }
    }

    /// Gives the turn to the next waiter.
    func leave() { pthread_mutex_unlock(mutex) }

    /// Takes the right to checkpoint without waiting; false when another connection has it. A
    /// connection that died with it gives it up, as with the turn.
    func claimCheckpoint() -> Bool {
        switch pthread_mutex_trylock(checkpointMutex) {
        case 0: return true
        case EOWNERDEAD:
            pthread_mutex_consistent(checkpointMutex)
            return true
        default: return false
        }
    }

    /// Gives up the right to checkpoint.
    func releaseCheckpoint() { pthread_mutex_unlock(checkpointMutex) }
}
