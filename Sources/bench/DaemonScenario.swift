import Central
import Foundation
import MySQLClient
import SyncWire

/// `daemon`: the resident memory of `venue-syncd` while it pushes a long outbox (target < 50 MB),
/// and the lag from a sale to its row in central while the node sells a steady 500 sales/s.
enum DaemonScenario {
    static func run(quick: Bool, directory: String) throws -> [Figure] {
        [try memory(quick: quick, directory: directory)]
            + (try [2, 0.2].map { try lag(interval: $0, quick: quick, directory: directory) })
    }

    /// Sells 500 tickets a second (FULL) while `venue-syncd` runs with `interval` seconds
    /// between cycles (2 s is its default), then reads each order's lag from central: received
    /// there less made at the node (one machine, one clock).
    static func lag(interval: Double, quick: Bool, directory: String) throws -> Figure {
        let rate = 500.0
        let sales = Int(rate * (quick ? 1 : 10))
        let central = try BenchCentral.shared(in: directory)
        let name = "lag\(Int(interval * 1000))"
        let (connection, configuration) = try central.database(name)
        let node = try BenchNode(in: directory, name: name)
        let daemon = try startDaemon(
            node.path, ["--interval", "\(Int(interval * 1000))ms"], central.environment(configuration))
        defer {
            daemon.terminate()
            daemon.waitUntilExit()
        }
        let start = uptimeSeconds()
        for index in 0..<sales {
            let due = start + Double(index) / rate
            let early = due - uptimeSeconds()
            if early > 0 { usleep(UInt32(early * 1_000_000)) }
            try node.sell(category: "GA")
        }
        let achieved = Double(sales) / (uptimeSeconds() - start)
        let deadline = Date().addingTimeInterval(60)
        while try connection.scalar("SELECT COUNT(*) FROM orders", as: Int.self) ?? 0 < sales, Date() < deadline {
            Thread.sleep(forTimeInterval: 0.05)
        }
        let lags = try connection.rows("SELECT TIMESTAMPDIFF(MICROSECOND, created_at, received_at) / 1000 FROM orders")
            .map { try $0.get(0, as: Double.self) }
        guard lags.count == sales else { throw BenchError("central has \(lags.count) of \(sales) sales after 60 s") }
        try node.checkInvariants()
        return Figure(
            name: "lag to central, p99, \(Int(achieved))/s, every \(Figure.number(interval)) s", unit: "ms",
            value: percentile(lags, 99), baseline: interval * 1000,
            baselineName:
                "the interval (p50 \(Figure.number(percentile(lags, 50))), max \(Figure.number(lags.max() ?? 0)))",
            target: nil, lowerIsBetter: true)
    }

    /// `venue-syncd` on `database` with `arguments`, its log discarded.
    static func startDaemon(_ database: String, _ arguments: [String], _ environment: [String: String]) throws
        -> Process
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Tool.binaries + "/venue-syncd")
        process.arguments = ["--db", database] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// The peak resident memory of `venue-syncd` over a push of a long outbox.
    static func memory(quick: Bool, directory: String) throws -> Figure {
        let records = quick ? 500 : 50_000
        let central = try BenchCentral.shared(in: directory)
        let (connection, configuration) = try central.database("daemon")
        let node = try BenchNode(in: directory, name: "daemon", durability: .normal)
        for _ in 0..<records { try node.sell(category: "GA") }
        let process = try startDaemon(
            node.path, ["--interval", "200ms", "--batch", "500"], central.environment(configuration))
        var peak = 0.0
        let deadline = Date().addingTimeInterval(quick ? 30 : 600)
        while Date() < deadline {
            peak = max(peak, residentMB(process.processIdentifier))
            if (try? connection.scalar("SELECT COUNT(*) FROM orders", as: Int.self)) == records { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        peak = max(peak, residentMB(process.processIdentifier))
        process.terminate()
        process.waitUntilExit()
        guard try connection.scalar("SELECT COUNT(*) FROM orders", as: Int.self) == records else {
            throw BenchError("the daemon did not push all \(records) records in time")
        }
        return Figure(
            name: "venue-syncd resident memory over \(records) records", unit: "MB", value: peak, baseline: 50,
            baselineName: "target", target: 1, lowerIsBetter: true)
    }

    /// VmHWM (peak resident set) of a process, in MB.
    static func residentMB(_ pid: Int32) -> Double {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "")
        else { return 0 }
        return kilobytes / 1024
    }
}
