import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The stop flag set by SIGTERM/SIGINT, or by a request to start again, and a sleep that either
/// cuts short.
///
/// The sleep is `poll(2)` on a pipe the signal writes to: its timeout is relative and runs on the
/// monotonic clock, where a timed wait on a semaphore (an absolute time of the wall clock) would
/// last an hour longer after the clock stepped back an hour.
final class StopSignal: Sendable {
    private let flag = Atomic<Bool>(false)
    /// Why the daemon must start again, once asked.
    private let restart = Mutex<String?>(nil)
    /// Read end and write end of the pipe.
    private let pipe: (read: Int32, write: Int32)

    init() {
        var ends: [Int32] = [-1, -1]
        if Glibc.pipe(&ends) == 0 {
            for end in ends {
                _ = fcntl(end, F_SETFD, FD_CLOEXEC)
                _ = fcntl(end, F_SETFL, O_NONBLOCK)
            }
        }
        pipe = (ends[0], ends[1])
    }

    deinit {
        close(pipe.read)
        close(pipe.write)
    }

    var isSet: Bool { flag.load(ordering: .acquiring) }

    func set() {
        flag.store(true, ordering: .releasing)
        var byte: UInt8 = 1
        _ = write(pipe.write, &byte, 1)
    }

    /// Why the daemon must start again when stopped for that (``restart(because:)``); nil otherwise.
    var restartReason: String? { restart.withLock { $0 } }

    /// Stops, for the daemon to start again because of `reason`; false, and nothing changed, when
    /// it was stopping already (a restart asked for, or a signal to stop: that one stands).
    func restart(because reason: String) -> Bool {
        let first = restart.withLock { current in
            guard current == nil, !isSet else { return false }
            current = reason
            return true
        }
        if first { set() }
        return first
    }

    /// Sleeps `seconds`, or less when stopped meanwhile.
    func wait(seconds: Double) {
        guard !isSet, seconds > 0 else { return }
        var descriptor = pollfd(fd: pipe.read, events: Int16(POLLIN), revents: 0)
        _ = poll(&descriptor, 1, Int32(min(seconds * 1000, Double(Int32.max)).rounded(.up)))
    }

    /// Routes SIGTERM and SIGINT here; keep the returned sources alive while running.
    func install() -> [DispatchSourceSignal] {
        [SIGTERM, SIGINT].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [self] in set() }
            source.resume()
            return source
        }
    }
}
