import Foundation
import Ticketing

/// `sale`: sales per second in one process, through `VenueNode` and as raw SQLite C calls, with
/// `synchronous` FULL and NORMAL, GA and seated (best available), each against the raw sale of
/// the same kind.
enum SaleScenario {
    static func run(quick: Bool, directory: String) throws -> [Figure] {
        let sales = quick ? 100 : 2000
        let pairs = quick ? 1 : 5
        var figures = [Figure]()
        for durability in [NodeOptions.Durability.full, .normal] {
            for category in ["GA", "SEATED"] {
                let node = try BenchNode(in: directory, name: "sale-\(durability)-\(category)", durability: durability)
                let raw = try RawSale(
                    path: "\(directory)/raw-\(durability)-\(category).sqlite",
                    synchronous: durability.rawValue.uppercased(), kind: category == "GA" ? .ga : .seated)
                var ours = [Double]()
                var baseline = [Double]()
                let count = category == "GA" ? sales : sales / 10
                // Unmeasured first: enough sales for the node's WAL to pass its checkpoint bound
                // and be reused. A WAL still growing costs each flush a journal commit for the
                // file's new blocks; a node that has sold for a while writes over blocks it has.
                let warmUp = quick ? 0 : 8000 / (category == "GA" ? 10 : 14) + 1
                for _ in 0..<warmUp {
                    _ = try raw.sell()
                    try node.sell(category: category)
                }
                for _ in 0..<pairs {
                    baseline.append(Double(count) / (try seconds { for _ in 0..<count { _ = try raw.sell() } }))
                    ours.append(
                        Double(count) / (try seconds { for _ in 0..<count { try node.sell(category: category) } }))
                }
                try node.checkInvariants()
                figures.append(
                    Figure(
                        name:
                            "in-process sale, \(category == "GA" ? "GA" : "seated best available"), \(durability.rawValue.uppercased())",
                        unit: "sales/s", value: median(ours), baseline: median(baseline),
                        baselineName: category == "GA" ? "raw SQLite" : "raw SQLite, seated",
                        target: durability == .full ? 0.6 : 0.5))
            }
        }
        return figures
    }

    /// `bench sale-loop (ga|seated) (full|normal) (ours|raw) COUNT`: sells COUNT tickets one way
    /// and nothing else, for a profiler (`perf record`, `valgrind --tool=callgrind`) to watch.
    static func loop(_ arguments: [String]) -> Int32 {
        guard arguments.count == 4, let kind = ["ga": "GA", "seated": "SEATED"][arguments[0]],
            let durability = NodeOptions.Durability(rawValue: arguments[1]), ["ours", "raw"].contains(arguments[2]),
            let count = Int(arguments[3]), count > 0
        else {
            FileHandle.standardError.write(
                Data("usage: bench sale-loop (ga|seated) (full|normal) (ours|raw) COUNT\n".utf8))
            return 2
        }
        let directory = NSTemporaryDirectory() + "venue-bench-loop-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            if arguments[2] == "raw" {
                let raw = try RawSale(
                    path: "\(directory)/raw.sqlite", synchronous: durability.rawValue.uppercased(),
                    kind: kind == "GA" ? .ga : .seated)
                for _ in 0..<count { _ = try raw.sell() }
            } else {
                let node = try BenchNode(in: directory, name: "loop", durability: durability)
                for _ in 0..<count { try node.sell(category: kind) }
                try node.checkInvariants()
            }
            return 0
        } catch {
            FileHandle.standardError.write(Data("bench sale-loop: \(error)\n".utf8))
            return 1
        }
    }
}
