#if canImport(Glibc)
    import Glibc
#endif

/// SQLite busy handler state: short, jittered sleeps until a deadline.
///
/// SQLite's own `sqlite3_busy_timeout` sleeps in steps growing to 100 ms, so under contention a
/// writer can wait long after the lock was freed (BENCHMARKS.md, "Contention"). Here a waiter
/// polls in short, randomised sleeps, so contending processes do not wake in lock-step, and gives
/// up (SQLITE_BUSY) once `timeout` has passed since the first try.
/// Used by one connection, on its thread only.
final class BusyWait {
    private let timeoutNanoseconds: UInt64
    private var startedAt: UInt64 = 0

    init(timeout: Double) {
        timeoutNanoseconds = UInt64(max(0, timeout) * 1_000_000_000)
    }

    /// Called by SQLite with the number of earlier calls for this lock attempt; true to try again.
    func shouldRetry(attempt: Int) -> Bool {
        let now = Self.monotonicNanoseconds()
        if attempt == 0 { startedAt = now }
        guard now &- startedAt < timeoutNanoseconds else { return false }
        let ceiling = min(2_000, 100 << min(attempt, 5))
        usleep(UInt32(Int.random(in: (ceiling / 2)...ceiling)))
        return true
    }

    static func monotonicNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }
}
