import Foundation

// `bench SCENARIO... [--quick]`: the project's numbers, each printed next to a baseline measured
// in the same run by the same binary. Scenarios: sale, push, cli, contention, api, daemon,
// reconcile, venues, all. `--quick` runs each in a few seconds (for Scripts/test): it checks invariants and prints
// figures, and asserts no timing. `bench sale-loop …` sells one kind of sale and nothing else,
// for a profiler.

var arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "contention-worker" {
    exit(ContentionScenario.worker(Array(arguments.dropFirst())))
}
if arguments.first == "sale-loop" {
    exit(SaleScenario.loop(Array(arguments.dropFirst())))
}
let quick = arguments.contains("--quick")
arguments.removeAll { $0 == "--quick" }
let all = ["sale", "push", "cli", "contention", "api", "daemon", "reconcile", "venues"]
let chosen = arguments.isEmpty || arguments == ["all"] ? all : arguments
if let unknown = chosen.first(where: { !all.contains($0) }) {
    FileHandle.standardError.write(
        Data("bench: unknown scenario '\(unknown)'; choose from \(all.joined(separator: ", ")) or all\n".utf8))
    exit(2)
}

let directory = NSTemporaryDirectory() + "venue-bench-\(getpid())"
try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
print("venue node benchmark\(quick ? " (--quick: few iterations, figures are rough)" : "")")
print("machine: \(Machine.description)")
print("build: \(BenchBuild.configuration)")
var failed = false
for scenario in chosen {
    print("\n\(scenario)")
    let ticks = Machine.cpuTicks
    do {
        let figures: [Figure] =
            switch scenario {
            case "sale": try SaleScenario.run(quick: quick, directory: directory)
            case "push": try PushScenario.run(quick: quick, directory: directory)
            case "cli": try CLIScenario.run(quick: quick, directory: directory)
            case "contention": try ContentionScenario.run(quick: quick, directory: directory)
            case "api": try APIScenario.run(quick: quick, directory: directory)
            case "daemon": try DaemonScenario.run(quick: quick, directory: directory)
            case "venues": try VenuesScenario.run(quick: quick, directory: directory)
            default: try ReconcileScenario.run(quick: quick, directory: directory)
            }
        for figure in figures { print(figure.line) }
        // On a shared host, other machines' load slows ours and the baseline alike, but not
        // evenly: a figure measured under steal is the host's as much as the code's.
        if let stolen = Machine.stolenPercent(from: ticks) {
            print("  host: \(Figure.number(stolen)) % of the CPU time stolen by other machines during the scenario")
        }
    } catch {
        failed = true
        print("  FAILED: \(error)")
    }
}
BenchCentral.stopShared()
BenchCluster.stopShared()
// Removed here, not in a `defer`: top-level code ends in `exit`, which runs no `defer`.
// BENCH_KEEP=1 keeps the databases, to look into them after a run.
if getenv("BENCH_KEEP") == nil { try? FileManager.default.removeItem(atPath: directory) }
exit(failed ? 1 : 0)
