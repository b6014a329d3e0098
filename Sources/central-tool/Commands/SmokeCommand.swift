import CLIKit
import Reconciliation

struct Smoke: ParsableCommand {
    static let silence = TypedOption.seconds(
        "--silence", in: 1...31_536_000, help: "A node is silent after D without contact (default 1h).")
    static let configuration = CommandConfiguration(
        name: "smoke",
        abstract: "After a deployment: schema current, central writable, every node heard from, a dry-run reconcile.",
        discussion: "Reads only. Exit codes: 0 every check passed, 1 a check failed, 8 central unreachable.",
        options: [silence])

    let context: CentralContext
    let silenceSeconds: Int64

    init(_ arguments: ParsedArguments) throws {
        context = try CentralContext(arguments)
        silenceSeconds = try arguments.value(Self.silence, orSetting: "RECONCILE_SILENCE", in: context.settings) ?? 3600
    }

    func run() throws {
        let report = CentralSmokeTest(connection: try context.connect(requireCurrentSchema: false))
            .run(silenceSeconds: silenceSeconds, now: context.now)
        context.output.emit(report) { report in
            report.checks.map {
                "\($0.passed ? "PASS" : "FAIL")  \($0.name.padding(toLength: 10, withPad: " ", startingAt: 0))\($0.detail)"
            }
            .joined(separator: "\n")
        }
        guard report.passed else {
            let failed = report.checks.filter { !$0.passed }.map(\.name).joined(separator: ", ")
            throw Failure(
                exitCode: 1, code: "smoke_failed", message: "smoke test failed: \(failed)", outcomePrinted: true)
        }
    }
}
