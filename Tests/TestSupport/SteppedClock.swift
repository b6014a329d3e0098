import Foundation

/// A wall clock a test steps under running processes, as NTP correcting a bad clock or `date -s`
/// would, without touching the machine's clock. A process started with ``environment`` has
/// `libClockStep.so` (`Tests/ClockStep`) preloaded, whose `clock_gettime(CLOCK_REALTIME)`,
/// `gettimeofday`, `time` and `timespec_get` add the offset this writes to its file, read again
/// on every call. The monotonic clocks and the kernel's timers keep the real time, as they do
/// through a real step.
public final class SteppedClock: Sendable {
    /// The file holding the offset in seconds.
    public let file: String

    /// The library, built by `swift build` as the package's `ClockStep` product.
    public static let library = ProcessRunner.productsDirectory + "/libClockStep.so"

    /// A clock at the real time, its offset kept in `directory`.
    public init(directory: String) throws {
        file = directory + "/clock-step"
        guard FileManager.default.fileExists(atPath: Self.library) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: Self.library])
        }
        try set(offset: 0)
    }

    /// What a process needs in its environment to run on this clock.
    public var environment: [String: String] { ["LD_PRELOAD": Self.library, "CLOCK_STEP_FILE": file] }

    /// Steps the processes' wall clock to `seconds` from the real time (negative: behind it). The
    /// file is replaced whole, so a process never reads half of it.
    public func set(offset seconds: Int64) throws {
        try String(seconds).write(toFile: file, atomically: true, encoding: .utf8)
    }
}
