import CLIKit
import Ticketing

struct Smoke: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "smoke",
        abstract: "Run event → hold → sale → notification → refund → check-in on a scratch event, then undo it all.",
        discussion: """
            Every step runs the real code on this node's database inside one transaction that is rolled back: nothing
            is kept, nothing reaches central or reconciliation. Works in maintenance (before traffic opens).
            Supervisors and admins. Exit codes: 0 every step passed, 1 a step failed.
            """)

    let context: Context

    init(_ arguments: ParsedArguments) throws { context = try Context(arguments) }

    func run() throws {
        let (node, actor) = try context.signedIn()
        let report = try node.smokeTest(by: actor)
        context.output.emit(report) { report in
            report.steps.map {
                "\($0.outcome.rawValue.uppercased())  \($0.name.padded(to: 13))\($0.detail)"
            }
            .joined(separator: "\n")
        }
        guard report.passed else {
            let failed = report.steps.first { $0.outcome == .fail }?.name ?? "?"
            throw Failure(
                exitCode: 1, code: "smoke_failed", message: "smoke test failed at '\(failed)'", outcomePrinted: true)
        }
    }
}
