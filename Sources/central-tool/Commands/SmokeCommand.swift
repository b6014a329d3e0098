import CLIKit
import MySQLClient
import Reconciliation

struct Smoke: ParsableCommand {
    static let silence = TypedOption.seconds(
        "--silence", in: 1...31_536_000, help: "A node is silent after D without contact (default 1h).")
    static let configuration = CommandConfiguration(
        name: "smoke",
        abstract:
            "After a deployment: schema current, central writable, the nodes' writes allowed, every node not retired heard from, a dry-run reconcile.",
        discussion: """
            The writes check runs every statement a node's daemon runs, on each table it writes, in a transaction rolled
            back, as the nodes' user: CENTRAL_APP_URL with CENTRAL_APP_PASSWORD_FILE (environment or config file), else
            as this command's own user. Keeps nothing. Exit codes: 0 every check passed, 1 a check failed, 8 central
            unreachable.
            """,
        options: [silence])

    let context: CentralContext
    let silenceSeconds: Int64
    /// Central as the nodes connect to it, when given.
    let nodes: MySQLConfiguration?

    init(_ arguments: ParsedArguments) throws {
        context = try CentralContext(arguments)
        silenceSeconds =
            try arguments.value(Self.silence, orSetting: CentralSetting.silence, in: context.settings) ?? 3600
        let settings = context.settings
        do {
            nodes = try settings[CentralSetting.appURL.rawValue].map { url in
                try MySQLConfiguration(
                    url: url,
                    environment: [
                        CentralSetting.centralPasswordFile.rawValue: settings[CentralSetting.appPasswordFile.rawValue]
                    ].compactMapValues {
                        $0
                    })
            }
        } catch let error as MySQLError {
            throw UsageError("\(CentralSetting.appURL.rawValue): \(error.message)")
        }
    }

    func run() throws {
        let nodesConnection = nodes.map { configuration in Result { try MySQLConnection(configuration) } }
        let report = CentralSmokeTest(
            connection: try context.connect(requireCurrentSchema: false), nodesConnection: nodesConnection
        )
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
