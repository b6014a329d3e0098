import Foundation
import Ticketing

/// `contention`: 1, 4 and 16 processes selling from one category of one node database at once,
/// FULL, against the raw SQLite sale in as many processes: throughput and each sale's wait.
///
/// Every worker opens its database and logs in first, then all start selling at the same instant
/// and sell for the same time, so that the processes really overlap (a fixed number of sales per
/// process lets fast ones finish before slow ones have started). Each count runs five pairs, raw
/// then ours, each pair on databases made afresh: the figures are the pairs' medians (the worst
/// wait is the worst of all five), since one race on a shared machine can be a third off the next.
/// Then 16 processes again, three pairs, under ``StealSimulation``: how the queue fares on a host
/// that takes a share of the machine's time, which a shared host does when it likes.
enum ContentionScenario {
    /// One race: its sales per second, every sale's wait in seconds, and the attempts made again.
    typealias Race = (rate: Double, waits: [Double], retries: Int)

    static func run(quick: Bool, directory: String) throws -> [Figure] {
        let duration = quick ? 0.5 : 3
        let pairs = quick ? 1 : 5
        var figures = [Figure]()
        for processes in quick ? [4] : [1, 4, 16] {
            var ours = [Race]()
            var raws = [Race]()
            for pair in 0..<pairs {
                let (sales, raw) = try racePair(
                    processes, duration: duration, name: "contention-\(processes)-\(pair)", in: directory)
                ours.append(sales)
                raws.append(raw)
            }
            figures += Self.figures(processes: processes, ours: ours, raws: raws)
        }
        figures += try underSteal(quick ? 4 : 16, pairs: quick ? 1 : 3, duration: duration, in: directory)
        return figures
    }

    /// A race of the raw sale then one of ours, `processes` each, on databases made afresh; the
    /// inventory's invariants checked after ours, and its sales counted against the workers'.
    private static func racePair(_ processes: Int, duration: Double, name: String, in directory: String) throws
        -> (ours: Race, raw: Race)
    {
        let node = try BenchNode(in: directory, name: name)
        let rawPath = directory + "/raw-\(name).sqlite"
        // Held open: the WAL outlives the workers' opens.
        let setUp = try RawSale(path: rawPath, synchronous: "FULL")
        let raw = try withExtendedLifetime(setUp) { try race(processes, duration: duration, ["--raw", rawPath]) }
        let sales = try race(processes, duration: duration, ["--db", node.path])
        try node.checkInvariants()
        let sold =
            try node.node.inventory.availability(eventID: "BENCH").categories.first { $0.code == "GA" }?.sold ?? 0
        guard sold == sales.waits.count else {
            throw BenchError("sold \(sold), workers counted \(sales.waits.count)")
        }
        return (sales, raw)
    }

    /// The largest count of processes again while ``StealSimulation`` takes a share of the
    /// cores: a loaded host's figures, alike in every run. Only a note when real-time priority
    /// is refused.
    private static func underSteal(_ processes: Int, pairs: Int, duration: Double, in directory: String) throws
        -> [Figure]
    {
        var ours = [Race]()
        var raws = [Race]()
        var taken = [Double]()
        for pair in 0..<pairs {
            guard
                let run = try StealSimulation.during({
                    try racePair(processes, duration: duration, name: "steal-\(processes)-\(pair)", in: directory)
                })
            else {
                return [.note("\(processes) processes under simulated steal: skipped (needs root or CAP_SYS_NICE)")]
            }
            ours.append(run.result.ours)
            raws.append(run.result.raw)
            taken.append(run.taken)
        }
        let share = Figure.number(median(taken) * 100)
        return Self.figures(
            processes: processes, ours: ours, raws: raws,
            label: "\(processes) processes under \(share) % simulated steal")
    }

    /// The medians of the pairs' rates and waits; the worst wait of all of them. With `label`, a
    /// row of that name with neither the target nor the limits.
    private static func figures(processes: Int, ours: [Race], raws: [Race], label: String? = nil) -> [Figure] {
        func ms(_ seconds: Double) -> String { Figure.number(seconds * 1000) }
        let p99s = ours.map { percentile($0.waits, 99) }
        let worst = ours.map { $0.waits.max() ?? 0 }.max() ?? 0
        let rawWorst = raws.map { $0.waits.max() ?? 0 }.max() ?? 0
        let runs = ours.count > 1 ? " (\(ours.count) runs: \(ms(p99s.min() ?? 0))–\(ms(p99s.max() ?? 0)))" : ""
        return [
            Figure(
                name: label ?? "\(processes) process(es) selling one category, FULL", unit: "sales/s",
                value: median(ours.map(\.rate)), baseline: median(raws.map(\.rate)), baselineName: "raw SQLite",
                target: label == nil ? 0.5 : nil),
            Figure(
                name: "  p99 wait per sale\(runs)", unit: "ms", value: median(p99s) * 1000,
                baseline: median(raws.map { percentile($0.waits, 99) }) * 1000,
                baselineName: "raw p99 (ours p50 \(ms(median(ours.map { percentile($0.waits, 50) }))))",
                target: nil, lowerIsBetter: true, limit: label == nil && processes == 16 ? 10 : nil),
            Figure(
                name: "  worst wait of any sale", unit: "ms", value: worst * 1000, baseline: rawWorst * 1000,
                baselineName: "raw worst", target: nil, lowerIsBetter: true,
                limit: label == nil && processes == 16 ? 100 : nil),
            Figure(
                name: "  retries per 1,000 sales", unit: "retries",
                value: Double(ours.map(\.retries).reduce(0, +)) * 1000
                    / Double(max(1, ours.map(\.waits.count).reduce(0, +))),
                baseline: Double(raws.map(\.retries).reduce(0, +)) * 1000
                    / Double(max(1, raws.map(\.waits.count).reduce(0, +))),
                baselineName: "raw (compare-and-set lost, lock not had)", target: nil, lowerIsBetter: true),
        ]
    }

    /// Runs `processes` workers that sell together for `duration` seconds; their total rate and
    /// every sale's wait.
    static func race(_ processes: Int, duration: Double, _ arguments: [String]) throws -> Race {
        // Every process starts and logs in (a deliberately slow password hash), says so in the
        // gate's folder, and waits there for the start time: a slow machine only starts later.
        let gate = NSTemporaryDirectory() + "venue-bench-gate-\(getpid())-\(UInt64(uptimeSeconds() * 1e6))"
        try FileManager.default.createDirectory(atPath: gate, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: gate) }
        let timing = ["--gate", gate, "--seconds", String(duration)]
        let results = Results(count: processes)
        let group = DispatchGroup()
        for index in 0..<processes {
            let thread = Thread {
                results.set(index, try? Tool.run("bench", ["contention-worker"] + arguments + timing))
                group.leave()
            }
            group.enter()
            thread.start()
        }
        let giveUpAt = uptimeSeconds() + 120
        while uptimeSeconds() < giveUpAt, !results.anyFinished,
            (try? FileManager.default.contentsOfDirectory(atPath: gate).count) ?? 0 < processes
        {
            usleep(10_000)
        }
        try String(uptimeSeconds() + 0.1).write(toFile: gate + "/start.tmp", atomically: false, encoding: .utf8)
        _ = rename(gate + "/start.tmp", gate + "/start")
        group.wait()
        var waits = [Double]()
        var spans = [(start: Double, end: Double)]()
        var retries = 0
        for result in results.all {
            guard let result, result.status == 0 else {
                throw BenchError("a worker of \(processes) failed: \(result?.stderr ?? "no result")")
            }
            for line in result.stdout.split(separator: "\n") {
                let fields = line.split(separator: " ")
                if fields.count == 3, fields[0] == "span", let start = Double(fields[1]), let end = Double(fields[2]) {
                    spans.append((start, end))
                } else if fields.count == 2, fields[0] == "retries", let count = Int(fields[1]) {
                    retries += count
                } else if let wait = Double(line) {
                    waits.append(wait)
                }
            }
        }
        guard let first = spans.map(\.start).min(), let last = spans.map(\.end).max(), last > first else {
            throw BenchError("the workers of \(processes) reported no selling time")
        }
        return (Double(waits.count) / (last - first), waits, retries)
    }

    /// `bench contention-worker (--db PATH | --raw PATH) --gate DIR --seconds D`: opens the
    /// database, makes `DIR/ready-PID`, waits for `DIR/start` to give the start time T (seconds of
    /// the system's monotonic clock, comparable across processes) and for T, sells one ticket at
    /// a time until T + D, and prints each sale's seconds, then `span START END`: when the first
    /// sale began and the last ended.
    static func worker(_ arguments: [String]) -> Int32 {
        func value(_ name: String) -> String? { arguments.firstIndex(of: name).map { arguments[$0 + 1] } }
        do {
            guard let gate = value("--gate"), let duration = value("--seconds").flatMap(Double.init) else {
                throw BenchError("usage: bench contention-worker (--db|--raw) PATH --gate DIR --seconds D")
            }
            // Attempts the seller had to make again: a compare-and-set lost or the lock not had in
            // time (the raw sale), a conflict the node could not settle by itself (ours).
            var retries = 0
            let sell: () throws -> Void
            if let raw = value("--raw") {
                let sale = try RawSale(path: raw, synchronous: "FULL", create: false)
                sell = {
                    var attempts = 0
                    while try !sale.sell() {
                        attempts += 1
                        guard attempts < 1000 else {
                            throw BenchError("raw sale: 1,000 attempts lost; the last: \(sale.lastFailure)")
                        }
                    }
                    retries += attempts
                }
            } else if let path = value("--db") {
                let node = try VenueNode.open(path: path)
                let admin = try node.users.authenticate(
                    token: try node.users.login(name: "root", password: "bench-password").token)
                let request = SaleRequest(
                    eventID: "BENCH", categoryCode: "GA", selection: .quantity(1),
                    payment: PaymentRequest(method: .cash))
                sell = {
                    for attempt in 1...1000 {
                        do {
                            _ = try node.sales.sell(request, by: admin)
                            return
                        } catch TicketingError.conflict where attempt < 1000 {
                            retries += 1
                        }
                    }
                }
            } else {
                throw BenchError("contention-worker needs --db or --raw")
            }
            guard FileManager.default.createFile(atPath: gate + "/ready-\(getpid())", contents: nil) else {
                throw BenchError("cannot say ready in \(gate)")
            }
            let giveUpAt = uptimeSeconds() + 130
            var startAt: Double?
            while startAt == nil, uptimeSeconds() < giveUpAt {
                startAt = (try? String(contentsOfFile: gate + "/start", encoding: .utf8)).flatMap(Double.init)
                if startAt == nil { usleep(1_000) }
            }
            guard let startAt else { throw BenchError("no start time in \(gate)") }
            usleep(UInt32(max(0, startAt - uptimeSeconds()) * 1_000_000))
            var lines = [String]()
            let first = uptimeSeconds()
            while uptimeSeconds() < startAt + duration {
                lines.append(String(try seconds(sell)))
            }
            lines.append("span \(first) \(uptimeSeconds())")
            lines.append("retries \(retries)")
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

    /// Whether any worker has exited yet.
    var anyFinished: Bool { lock.withLock { values.contains { $0 != nil } } }
}
