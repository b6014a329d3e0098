import CLinux
import Foundation
import Synchronization

/// A pool of threads serving requests from one queue, first come first served, with a bound on
/// what may wait: past it the server answers 503 at once instead of queueing without end.
final class WorkerLane: Sendable {
    struct Job: Sendable {
        let connection: ConnectionID
        let request: HTTPRequest
    }

    private struct State {
        var queue: [Job] = []
        var head = 0
        var stopping = false
    }

    private let state = Mutex(State())
    private let ready = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let threads: Int
    let maximumQueued: Int

    /// Starts `threads` workers that hand each job to `serve`, at `niceness` (0 the process's
    /// priority, higher values lower).
    init(
        name: String, threads: Int, maximumQueued: Int, niceness: Int32 = 0,
        serve: @escaping @Sendable (Job) -> Void
    ) {
        self.threads = threads
        self.maximumQueued = maximumQueued
        for index in 0..<threads {
            let thread = Thread { [self] in
                // The kernel's name too (/proc/PID/task/TID/comm, `top -H`), at most 15 bytes.
                _ = clinux_name_thread("\(name).\(index)")
                if niceness != 0 { _ = clinux_set_thread_niceness(niceness) }
                while let job = next() { serve(job) }
                finished.signal()
            }
            thread.name = "\(name).\(index)"
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    /// Queues `job`; false when the queue is full.
    func submit(_ job: Job) -> Bool {
        let queued = state.withLock { state -> Bool in
            guard state.queue.count - state.head < maximumQueued, !state.stopping else { return false }
            state.queue.append(job)
            return true
        }
        if queued { ready.signal() }
        return queued
    }

    /// The next job; nil once stopping with nothing left.
    private func next() -> Job? {
        ready.wait()
        return state.withLock { state -> Job? in
            guard state.head < state.queue.count else { return nil }
            let job = state.queue[state.head]
            state.head += 1
            if state.head > 64, state.head * 2 > state.queue.count {
                state.queue.removeFirst(state.head)
                state.head = 0
            }
            return job
        }
    }

    /// Lets the workers finish what is queued, then end; waits for them.
    func stop() {
        state.withLock { $0.stopping = true }
        for _ in 0..<threads { ready.signal() }
        for _ in 0..<threads { finished.wait() }
    }
}
