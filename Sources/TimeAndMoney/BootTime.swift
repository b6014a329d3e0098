import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

/// A reading of the time since this machine started, suspend included (`CLOCK_BOOTTIME`), with
/// the boot it counts from: the clock for ages and deadlines kept in the database, which every
/// process of the node compares (a hold's expiry, an email's next attempt). A step of the wall
/// clock does not move it, and unlike ``MonotonicClock`` it goes on while the machine sleeps. A
/// restart starts it again, so two readings compare only when their `boot` is the same.
public struct BootTime: Sendable, Equatable {
    /// The kernel's id of the boot (`/proc/sys/kernel/random/boot_id`).
    public let boot: String
    /// Milliseconds since that boot.
    public let milliseconds: Int64

    public init(boot: String, milliseconds: Int64) {
        self.boot = boot
        self.milliseconds = milliseconds
    }

    /// This reading moved by `seconds`.
    public func adding(seconds: Int64) -> BootTime {
        BootTime(boot: boot, milliseconds: milliseconds + seconds * 1000)
    }

    /// The system's reading now.
    public static func now() -> BootTime {
        var now = timespec()
        clock_gettime(CLOCK_BOOTTIME, &now)
        return BootTime(boot: currentBoot, milliseconds: Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000)
    }

    /// This boot's id, read once per process; empty where the kernel gives none (readings then
    /// never match a stored one, and the wall clock decides).
    public static let currentBoot: String = {
        guard let data = FileManager.default.contents(atPath: "/proc/sys/kernel/random/boot_id") else { return "" }
        return String(decoding: data, as: UTF8.self).filter { !$0.isWhitespace }
    }()
}
