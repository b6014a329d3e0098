import Foundation
import Ticketing

/// `contention`: 1, 4 and 16 processes selling from one category of one node database at once,
/// FULL, against the raw SQLite sale in as many processes: throughput and each sale's wait.
enum ContentionScenario {
    static func run(quick: Bool, directory: String) throws -> [Figure] {
        let perProcess = quick ? 20 : 250
        var figures = [Figure]()
        for processes in quick ? [4] : [1, 4, 16] {
            let node = try BenchNode(in: directory, name: "contention-\(processes)")
            let raw = directory + "/raw-contention-\(processes).sqlite"
            let setUp = try RawSale(path: raw, synchronous: "FULL")  // held open: the WAL outlives the workers' opens
            let baseline = try withExtendedLifetime(setUp) {
                try race(processes, ["--raw", raw, "--sales", String(perProcess)])
            }
            let ours = try race(processes, ["--db", node.path, "--sales", String(perProcess)])
            try node.checkInvariants()
            let sold =
                try node.node.inventory.availability(eventID: "BENCH").categories.first { $0.code == "GA" }?.sold ?? 0
            guard sold == processes * perProcess else { throw BenchError("sold \(sold) of \(processes * perProcess)") }
            figures.append(
                Figure(
                    name: "\(processes) process(es) selling one category, FULL", unit: "sales/s", value: ours.rate,
                    baseline: baseline.rate, baselineName: "raw SQLite", target: 0.5))
            figures.append(
                Figure(
                    name: "  p50 / p99 / max wait per sale", unit: "ms",
                    value: percentile(ours.waits, 99) * 1000, baseline: percentile(baseline.waits, 99) * 1000,
                    baselineName:
                        "raw p99 (ours p50 \(Figure.number(percentile(ours.waits, 50) * 1000)), max \(Figure.number((ours.waits.max() ?? 0) * 1000)))",
                    target: nil, lowerIsBetter: true))
        }
        return figures
    }

    /// Runs `processes` workers at once; their total rate and every sale's wait.
    static func race(_ processes: Int, _ arguments: [String]) throws -> (rate: Double, waits: [Double]) {
        let results = Results(count: processes)
        let group = DispatchGroup()
        let elapsed = seconds {
            for index in 0..<processes {
                let thread = Thread {
                    results.set(index, try? Tool.run("bench", ["contention-worker"] + arguments))
                    group.leave()
                }
                group.enter()
                thread.start()
            }
            group.wait()
        }
        var waits = [Double]()
        for result in results.all {
            guard let result, result.status == 0 else {
                throw BenchError("a worker failed: \(result?.stderr ?? "no result")")
            }
            waits += result.stdout.split(separator: "\n").compactMap { Double($0) }
        }
        return (Double(waits.count) / elapsed, waits)
    }

    /// `bench contention-worker (--db PATH | --raw PATH) --sales N`: sells N tickets, printing each
    /// sale's seconds.
    static func worker(_ arguments: [String]) -> Int32 {
        func value(_ name: String) -> String? { arguments.firstIndex(of: name).map { arguments[$0 + 1] } }
        let sales = Int(value("--sales") ?? "") ?? 100
        do {
            var lines = [String]()
            if let raw = value("--raw") {
                let sale = try RawSale(path: raw, synchronous: "FULL", create: false)
                for _ in 0..<sales {
                    var attempts = 0
                    let wait = try seconds {
                        while try !sale.sell() {
                            attempts += 1
                            guard attempts < 1000 else { throw BenchError("raw sale: 1,000 attempts lost") }
                        }
                    }
                    lines.append(String(wait))
                }
            } else if let path = value("--db") {
                let node = try VenueNode.open(path: path)
                let admin = try node.users.authenticate(
                    token: try node.users.login(name: "root", password: "bench-password").token)
                for _ in 0..<sales {
                    let wait = try seconds {
                        _ = try node.sales.sell(
                            SaleRequest(
                                eventID: "BENCH", categoryCode: "GA", selection: .quantity(1),
                                payment: PaymentRequest(method: .cash)),
                            by: admin)
                    }
                    lines.append(String(wait))
                }
            }
            print(lines.joined(separator: "\n"))
            return 0
        } catch {
            FileHandle.standardError.write(Data("worker: \(error)\n".utf8))
            return 1
        }
    }
}

/// The workers' results, filled in from their threads.
private final class Results: @unchecked Sendable {  // `values` behind `lock`
    private let lock = NSLock()
    private var values: [Tool.Result?]

    init(count: Int) { values = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ result: Tool.Result?) { lock.withLock { values[index] = result } }

    var all: [Tool.Result?] { lock.withLock { values } }
}
