import CLIKit
import Mail
import Ticketing

struct Smoke: ParsableCommand {
    static let mail = TypedOption<any MailTransport>(
        "--mail", "TRANSPORT",
        help: "The transport to check (default: MAIL_TRANSPORT, as venue-syncd's email worker uses it).",
        expected: "a mail transport", convert: MailTransports.parse)
    static let configuration = CommandConfiguration(
        name: "smoke",
        abstract:
            "Run event → hold → sale → notification → refund → check-in on a scratch event, then undo it all; check the mail relay.",
        discussion: """
            Every step runs the real code on this node's database inside one transaction that is rolled back: nothing
            is kept, nothing reaches central or reconciliation. Its pages are written to the disk and flushed before
            the rollback, so a full disk fails it as it fails a sale. The mail transport is checked without sending:
            an SMTP relay must greet, take EHLO, STARTTLS as configured and the sender within 10 s a step. Works in
            maintenance (before traffic opens). Supervisors and admins. Exit codes: 0 every step passed, 1 a step
            failed.
            """,
        options: [mail])

    let context: Context
    let transport: (any MailTransport)?

    init(_ arguments: ParsedArguments) throws {
        context = try Context(arguments)
        transport = try arguments.value(Self.mail, orSetting: NodeSetting.mailTransport, in: context.settings)
    }

    func run() throws {
        let (node, actor) = try context.signedIn()
        let report = try node.smokeTest(by: actor, mail: transport)
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
