import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// One figure next to its baseline, measured in the same run by the same binary.
struct Figure {
    let name: String
    let unit: String
    let value: Double
    let baseline: Double
    let baselineName: String
    /// The ratio the project aims at (value / baseline), if any.
    let target: Double?
    /// True when a smaller value is better (times, memory).
    var lowerIsBetter = false
    /// A bound on the value itself that the project aims at (the 16-process waits), if any.
    var limit: Double? = nil
    /// Text printed in place of the figure: what was not measured, and why.
    var note: String? = nil

    /// A line of text in place of a figure.
    static func note(_ text: String) -> Figure {
        Figure(name: "", unit: "", value: 0, baseline: 0, baselineName: "", target: nil, note: text)
    }

    var ratio: Double { baseline == 0 ? 0 : value / baseline }

    var line: String {
        if let note { return "  \(note)" }
        let verdict: String
        if let target {
            let met = lowerIsBetter ? ratio <= target : ratio >= target
            verdict = met ? "target \(Self.number(target)) met" : "target \(Self.number(target)) NOT met"
        } else if let limit {
            verdict =
                value <= limit
                ? "limit \(Self.number(limit)) \(unit) met" : "limit \(Self.number(limit)) \(unit) NOT met"
        } else {
            verdict = ""
        }
        return
            "  \(name.padding(toLength: 44, withPad: " ", startingAt: 0)) \(Self.number(value).leftPad(10)) \(unit.padding(toLength: 10, withPad: " ", startingAt: 0))"
            + " \(baselineName) \(Self.number(baseline)) \(unit)  ratio \(Self.number(ratio))  \(verdict)"
    }

    static func number(_ value: Double) -> String {
        value >= 100
            ? String(format: "%.0f", value)
            : value >= 10 ? String(format: "%.1f", value) : String(format: "%.2f", value)
    }
}

extension String {
    func leftPad(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}

/// Wall-clock seconds of `body`.
func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// Seconds of the system's monotonic clock: comparable between processes of this machine.
func uptimeSeconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

/// The median of the values.
func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
}

/// The `p`th percentile (0…100) of the values: the smallest value at least `p` % of them do not exceed.
func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return 0 }
    let rank = Int((Double(sorted.count) * p / 100).rounded(.up))
    return sorted[min(sorted.count, max(rank, 1)) - 1]
}

/// The machine the figures come from.
enum Machine {
    static var description: String {
        let cpu =
            (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.split(separator: "\n")
            .first { $0.hasPrefix("model name") }.map {
                $0.split(separator: ":").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            } ?? "unknown CPU"
        return
            "\(ProcessInfo.processInfo.activeProcessorCount) cores, \(cpu), \(ProcessInfo.processInfo.operatingSystemVersionString)"
    }

    /// The machine's CPU time so far, in clock ticks: all of it, and what the hypervisor gave to
    /// other machines while this one wanted to run (`steal`, the eighth field of `/proc/stat`'s
    /// `cpu` line); nil where there is no such line.
    static var cpuTicks: (total: UInt64, stolen: UInt64)? {
        guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
            let line = stat.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") })
        else { return nil }
        let fields = line.split(separator: " ").dropFirst().compactMap { UInt64($0) }
        guard fields.count >= 8 else { return nil }
        return (fields.prefix(8).reduce(0, +), fields[7])
    }

    /// The share of the machine's CPU time stolen between two readings of ``cpuTicks``, in percent.
    static func stolenPercent(from start: (total: UInt64, stolen: UInt64)?) -> Double? {
        guard let start, let end = cpuTicks, end.total > start.total else { return nil }
        return Double(end.stolen - start.stolen) * 100 / Double(end.total - start.total)
    }

    /// Peak resident memory of this process, in MB.
    static var peakMemoryMB: Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }
}
