import CLIKit
import Ticketing

struct Health: ParsableCommand {
    static let minimumFree = TypedOption.integer(
        "--min-free-mb", "MB", in: 1...10_000_000, help: "diskSpace is DOWN below this much free space (default 100).")
    static let configuration = CommandConfiguration(
        name: "health",
        abstract: "Is this node fit to sell? db, diskSpace and sales decide; central, outbox and sync are shown.",
        discussion: """
            The document has Spring Boot Actuator's shape (--json prints it as venue-syncd serves it on /health).
            Exit codes: 0 UP, 1 DOWN or OUT_OF_SERVICE (in maintenance, or a restored node not selling yet).
            """,
        options: [minimumFree])

    let context: Context
    let minimumFreeBytes: Int64

    init(_ arguments: ParsedArguments) throws {
        context = try Context(arguments)
        minimumFreeBytes =
            (try arguments.value(Self.minimumFree, orSetting: NodeSetting.minimumFreeMB, in: context.settings)).map {
                $0 * 1024 * 1024
            } ?? NodeHealth.defaultMinimumFreeBytes
    }

    func run() throws {
        let report = HealthReport(
            components: NodeHealth.components(
                databasePath: context.databasePath, options: context.options, minimumFreeBytes: minimumFreeBytes),
            deciding: NodeHealth.readiness)
        if context.output.json {
            Output.writeStandardOutput(report.json() + "\n")
        } else {
            Output.writeStandardOutput(Self.render(report) + "\n")
        }
        guard report.status == .up else {
            throw Failure(
                exitCode: 1, code: "unhealthy", message: "the node is \(report.status.rawValue)", outcomePrinted: true)
        }
    }

    /// One line for the node, then one per component with its details.
    static func render(_ report: HealthReport) -> String {
        var lines = ["\(report.status.rawValue)"]
        for (name, component) in report.components.sorted(by: { $0.key < $1.key }) {
            let details = component.details.sorted { $0.key < $1.key }.map { key, value in
                switch value {
                case .text(let text): "\(key)=\(text)"
                case .number(let number): "\(key)=\(number)"
                case .flag(let flag): "\(key)=\(flag)"
                }
            }
            lines.append(
                "  \(component.status.rawValue.padded(to: 14))\(name)"
                    + (details.isEmpty ? "" : "  " + details.joined(separator: " ")))
        }
        return lines.joined(separator: "\n")
    }
}
