import Central
import Foundation
import MySQLClient
import SyncWire

/// `daemon`: the resident memory of `venue-syncd` while it pushes a long outbox (target < 50 MB),
/// next to the resident memory of `sqlite3` holding the same database open.
enum DaemonScenario {
    static func run(quick: Bool, directory: String) throws -> [Figure] {
        let records = quick ? 500 : 50_000
        let central = try BenchCentral.shared(in: directory)
        let (connection, configuration) = try central.database("daemon")
        let node = try BenchNode(in: directory, name: "daemon", durability: .normal)
        for _ in 0..<records { try node.sell(category: "GA") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Tool.binaries + "/venue-syncd")
        process.arguments = ["--db", node.path, "--interval", "200ms", "--batch", "500"]
        process.environment = ProcessInfo.processInfo.environment.merging(central.environment(configuration)) {
            _, new in new
        }
        process.standardError = FileHandle.nullDevice
        try process.run()
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
        return [
            Figure(
                name: "venue-syncd resident memory over \(records) records", unit: "MB", value: peak, baseline: 50,
                baselineName: "target", target: 1, lowerIsBetter: true)
        ]
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
