#if canImport(Glibc)
    import Glibc
#endif

/// The system's monotonic clock (`CLOCK_MONOTONIC`): for intervals, backoffs, deadlines and
/// heartbeats, which a step of the wall clock (NTP correcting a bad clock, an operator's `date
/// -s`) must neither stretch nor cut short. What is recorded or shown to people uses
/// ``WallClock``. Readings are comparable between processes of one boot only.
public enum MonotonicClock {
    /// Nanoseconds since an arbitrary point of this boot.
    public static func nanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }

    /// Seconds since an arbitrary point of this boot.
    public static func seconds() -> Double { Double(nanoseconds()) / 1e9 }
}
