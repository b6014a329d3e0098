import Foundation

/// Runs `body` for each of `count` indices on threads of their own, released together once all
/// have started, and returns when every one has finished. Unlike `DispatchQueue.concurrentPerform`,
/// which runs only as many at a time as the machine has cores, every call is under way at once:
/// for tests of what happens when requests arrive together.
public func atOnce(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let started = DispatchSemaphore(value: 0)
    let release = DispatchSemaphore(value: 0)
    let finished = DispatchGroup()
    for index in 0..<count {
        finished.enter()
        let thread = Thread {
            started.signal()
            release.wait()
            body(index)
            finished.leave()
        }
        thread.start()
    }
    for _ in 0..<count { started.wait() }
    for _ in 0..<count { release.signal() }
    finished.wait()
}
