import Foundation
import TestSupport
import Testing

@testable import EdgeStore

#if canImport(Glibc)
    import Glibc
#endif

/// `boxoffice` whose wall clock steps between commands (``SteppedClock``), as NTP correcting a bad
/// clock would: a hold lives its time to live on the boot clock, not an hour more or less.
@Suite struct HoldClockStepTests {
    @Test func aHoldExpiresAfterItsTimeWhenTheClockStepsBack() throws {
        let node = try CLINode()
        let clock = try SteppedClock(directory: node.directory.path)
        let environment = node.environment(session: node.cashierSession).merging(clock.environment) { $1 }
        func boxoffice(_ arguments: [String]) throws -> ProcessResult {
            try ProcessRunner.run(CLINode.binary, arguments, environment: environment)
        }
        func held() throws -> Int? {
            let result = try boxoffice(["availability", "SHOW", "--json"])
            let document = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
            let categories = document?["categories"] as? [[String: Any]]
            return categories?.first { $0["code"] as? String == "GA" }?["held"] as? Int
        }
        let hold = try boxoffice(["hold", "SHOW", "--category", "GA", "--qty", "2", "--ttl", "2s"])
        #expect(hold.status == 0, "\(hold.stderr)")
        try clock.set(offset: -3600)
        #expect(
            try waitUntil(timeout: 30) { try held() == 0 } != nil,
            "a 2-second hold outlived its time by the clock's step back")

        let kept = try boxoffice(["hold", "SHOW", "--category", "GA", "--qty", "3", "--ttl", "10m"])
        #expect(kept.status == 0, "\(kept.stderr)")
        try clock.set(offset: 3600)
        #expect(try held() == 3, "the clock's step forward ended a 10-minute hold")
        #expect(try node.inventoryViolations().isEmpty)
    }
}

/// The writer queue's mutex waited for on the monotonic clock. A writer whose turn came while
/// another still holds the mutex (a writer passed over while slow, now at work) waits for it
/// until its busy timeout. Its wall clock here is an hour behind the kernel's, which is what a
/// step forward of an hour during the wait looks like to a deadline handed to the kernel: a
/// wall-clock deadline would have passed at once.
@Suite struct WriterClockStepTests {
    @Test func aWriterWaitsForTheTurnsMutexWhateverTheWallClockSays() throws {
        let node = try CLINode()
        let clock = try SteppedClock(directory: node.directory.path)
        try clock.set(offset: -3600)
        let holder = try #require(WriterTurnstile(databasePath: node.database))
        let mutex = try #require(
            Mirror(reflecting: holder).children.first { $0.label == "mutex" }?.value
                as? UnsafeMutablePointer<pthread_mutex_t>, "WriterTurnstile keeps its mutex as `mutex`")
        let offset = UInt(bitPattern: mutex) - (try #require(Self.mapping(of: node.database + "-writer", in: getpid())))
        #expect(pthread_mutex_lock(mutex) == 0)
        let seller = try BackgroundProcess(
            CLINode.binary, ["sell", "SHOW", "--category", "GA", "--qty", "1", "--payment", "cash"],
            environment: node.environment(session: node.cashierSession).merging(clock.environment) { $1 },
            logDirectory: node.directory.path)
        // It waits once one of its threads sleeps in futex(2) on the mutex, in its own mapping.
        let waits = waitUntil(timeout: 10) {
            guard seller.isRunning, let base = Self.mapping(of: node.database + "-writer", in: seller.pid) else {
                return !seller.isRunning
            }
            return Self.sleepsInFutex(seller.pid, at: base + offset)
        }
        let stillWaiting = seller.isRunning
        pthread_mutex_unlock(mutex)
        #expect(waits != nil && stillWaiting, "the seller gave up on the mutex at once: \(seller.stderr)")
        #expect(seller.wait() == 0, "\(seller.stderr)")
        #expect(try node.count("SELECT count(*) FROM orders") == 1)
    }

    /// Where `path` is mapped in process `pid` (the first mapping of it in /proc/PID/maps).
    static func mapping(of path: String, in pid: Int32) -> UInt? {
        guard let maps = procFile("/proc/\(pid)/maps") else { return nil }
        let real = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        guard let line = maps.split(separator: "\n").first(where: { $0.hasSuffix(" " + real) }) else { return nil }
        return line.split(separator: "-").first.flatMap { UInt($0, radix: 16) }
    }

    /// True when a thread of process `pid` is in the futex(2) call (number 202 on x86-64) on `address`.
    static func sleepsInFutex(_ pid: Int32, at address: UInt) -> Bool {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.contains { task in
            guard let call = procFile("/proc/\(pid)/task/\(task)/syscall") else { return false }
            let fields = call.split(separator: " ")
            return fields.count > 1 && fields[0] == "202"
                && UInt(fields[1].dropFirst(2), radix: 16) == address
        }
    }

    /// A file of /proc read to its end (`String(contentsOfFile:)` stops at the size `stat` gives, 0 or a page).
    static func procFile(_ path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        return (try? handle.readToEnd()).map { String(decoding: $0 ?? Data(), as: UTF8.self) }
    }
}
