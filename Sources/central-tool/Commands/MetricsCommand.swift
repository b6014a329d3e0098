import CLIKit
import EventLog
import FleetMetrics
import HTTPServer
import MySQLClient

struct Metrics: ParsableCommand {
    static let http = TypedOption<ListenAddress>(
        "--http", "HOST:PORT",
        help: "Serve the metrics at http://HOST:PORT/metrics until stopped (SIGTERM), read afresh at each scrape.",
        expected: "HOST:PORT (127.0.0.1:9465, [::1]:9465)", convert: ListenAddress.init)
    static let silence = TypedOption.seconds(
        "--silence", in: 1...31_536_000,
        help: "A node's sync mode is 'silent' after D without contact (default 1h, as reconcile).")
    static let configuration = CommandConfiguration(
        name: "metrics",
        abstract: "The fleet as central sees it, in Prometheus text format: printed once, or served with --http.",
        discussion: """
            Per node: ages of its last contact and push, its reported outbox and lag, records parked at central,
            changes it has not pulled, clock offset, epoch, protocol version and sync mode; per event and class the
            open discrepancies; the last full and incremental reconcile runs; central's read-only state. Ages are
            measured on central's clock. With --http, a scrape central cannot answer reads venue_central_up 0 and
            the error is logged on stderr; each query waits at most 5 s for central unless the URL sets read_timeout. Exit codes: 0 ok, 8 central unreachable (printed once).
            """,
        options: [http, silence])

    let context: CentralContext
    let address: ListenAddress?
    let silenceSeconds: Int64

    init(_ arguments: ParsedArguments) throws {
        context = try CentralContext(arguments)
        address = try arguments.value(Self.http)
        if context.output.json { throw UsageError("metrics are Prometheus text: --json does not apply") }
        silenceSeconds =
            try arguments.value(Self.silence, orSetting: CentralSetting.silence, in: context.settings) ?? 3600
    }

    func run() throws {
        guard let address else {
            let snapshot = try FleetSnapshot.read(try context.connect(), silenceSeconds: silenceSeconds)
            Output.writeStandardOutput(FleetExposition.text(snapshot))
            return
        }
        let logger = LineLogger(json: false)
        // A scrape of a hung central must answer `venue_central_up 0` within Prometheus' scrape
        // timeout (10 s by default), not after the client's 30 s: the URL's own read_timeout wins.
        let server = FleetMetricsServer(
            configuration: context.refreshingConfiguration, silenceSeconds: silenceSeconds
        ) {
            logger.warning("metrics.central_unreadable", ["error": $0])
        }
        try server.serve(on: address) { bound in
            logger.info(
                "metrics.listening", ["address": bound.description, "central": context.configuration.description])
        }
        logger.info("metrics.stopped")
    }
}
