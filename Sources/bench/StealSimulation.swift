import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Host steal made on purpose: a thread per core at real-time priority (`SCHED_FIFO`, which the
/// kernel spreads over the cores) takes a core for bursts of random length separated by random
/// gaps, both exponential, so that a share of the cores' time goes elsewhere, as when the host of
/// a virtual machine runs other machines on its cores. A shared host steals when it likes, as
/// much as it likes; this steals the same share in bursts of the same kind in every run, so that
/// a figure under load compares from one build to the next.
///
/// Not quite the host's steal: the kernel knows a core is busy and may move a waiting process to
/// the other, which it cannot do for a virtual core the host has stopped.
enum StealSimulation {
    /// The share of the cores' time the bursts take.
    static let share = 0.3
    /// A burst's mean length, in seconds (each is drawn afresh, and cut at ``longestBurst``).
    static let meanBurst = 0.003
    /// The longest a burst may last, in seconds.
    static let longestBurst = 0.03

    /// Runs `body` while the bursts run, and returns its result with the share of the cores'
    /// time the bursts took meanwhile; nil, without running `body`, when this process may not
    /// use real-time priority (it needs root or `CAP_SYS_NICE`).
    static func during<T>(_ body: () throws -> T) throws -> (result: T, taken: Double)? {
        let cores = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        let state = Burners(count: cores)
        let started = DispatchGroup()
        let finished = DispatchGroup()
        for index in 0..<cores {
            started.enter()
            finished.enter()
            let thread = Thread {
                defer { finished.leave() }
                guard realTime() else {
                    state.refuse()
                    started.leave()
                    return
                }
                started.leave()
                state.record(index, busy: burn(until: state))
            }
            thread.start()
        }
        started.wait()
        let begun = uptimeSeconds()
        guard !state.refused else {
            state.stop()
            finished.wait()
            return nil
        }
        let result: T
        do {
            defer {
                state.stop()
                finished.wait()
            }
            result = try body()
        }
        return (result, state.busy / (uptimeSeconds() - begun) / Double(cores))
    }

    /// Takes a core for bursts until `state` says stop; the seconds it held one.
    private static func burn(until state: Burners) -> Double {
        var busy = 0.0
        let meanGap = meanBurst * (1 - share) / share
        while !state.stopped {
            usleep(UInt32(exponential(mean: meanGap) * 1e6))
            let start = uptimeSeconds()
            let end = start + min(longestBurst, exponential(mean: meanBurst))
            while uptimeSeconds() < end {}
            busy += uptimeSeconds() - start
        }
        return busy
    }

    private static func exponential(mean: Double) -> Double {
        -log(Double.random(in: Double.ulpOfOne..<1)) * mean
    }

    /// Puts the calling thread above every ordinary one; false when not allowed.
    private static func realTime() -> Bool {
        var parameters = sched_param(sched_priority: 50)
        return sched_setscheduler(0, SCHED_FIFO, &parameters) == 0
    }
}

/// The burner threads' shared state.
private final class Burners: @unchecked Sendable {
    private let lock = NSLock()
    private var busyByIndex: [Double]
    private var stopping = false
    private var refusedOnce = false

    init(count: Int) { busyByIndex = Array(repeating: 0, count: count) }

    var stopped: Bool { lock.withLock { stopping } }
    var refused: Bool { lock.withLock { refusedOnce } }
    var busy: Double { lock.withLock { busyByIndex.reduce(0, +) } }
    func stop() { lock.withLock { stopping = true } }
    func refuse() { lock.withLock { refusedOnce = true } }
    func record(_ index: Int, busy: Double) { lock.withLock { busyByIndex[index] = busy } }
}
