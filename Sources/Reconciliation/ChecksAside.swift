import Dispatch
import Foundation
import MySQLClient
import SyncWire

/// Checks run on a connection and a thread of their own while the caller runs the others: each
/// long check is one query MariaDB answers on one core, so two at once take about the longer's
/// time on a central with two cores or more, not the sum.
///
/// The caller asks for each check's outcome in its own order (``outcome(of:)``), so findings and
/// progress come as in a run of one connection. Only the thread touches the connection and the
/// checks until it has finished; the outcomes are read after that.
final class ChecksAside: @unchecked Sendable {  // state written by the thread before `finished` signals
    /// The checks that go aside: the two that read every payment reference or every order key
    /// alone (a full run over 1,000,000 orders: 0.4 s and 0.8–1.0 s), while the caller's
    /// connection counts places (0.7–1.8 s), then reads payments against orders (2.8–3.5 s,
    /// ``PaymentsAgainstOrders``).
    static let kinds: Set<DiscrepancyClass> = [.duplicatePaymentReference, .duplicateIdempotencyKey]

    /// What one check found, or what it threw, and how long it took.
    typealias Outcome = (findings: Result<[Finding], any Error>, seconds: Double)

    private let connection: MySQLConnection
    private let checks: [(DiscrepancyClass, () throws -> [Finding])]
    private let finished = DispatchSemaphore(value: 0)
    private var outcomes = [DiscrepancyClass: Outcome]()
    private var waited = false

    /// Starts ``kinds`` of the checks of `scope` on `connection`, which it keeps until it ends.
    init(connection: MySQLConnection, scope: ReconciliationScope, now: Timestamp) {
        self.connection = connection
        checks = Checks(connection: connection, scope: scope, now: now).all.filter { Self.kinds.contains($0.0) }
        let thread = Thread { [self] in
            defer { finished.signal() }
            for (kind, check) in checks {
                let (findings, seconds) = timed { Result { try check() } }
                outcomes[kind] = (findings, seconds)
            }
        }
        thread.name = "reconcile-aside"
        thread.start()
    }

    /// The outcome of `kind`, once every check aside has run; nil at once for a check that does
    /// not go aside.
    func outcome(of kind: DiscrepancyClass) -> Outcome? {
        guard Self.kinds.contains(kind) else { return nil }
        if !waited {
            finished.wait()
            waited = true
        }
        return outcomes[kind]
    }
}

/// What `body` returned, and the seconds it took.
func timed<T>(_ body: () throws -> T) rethrows -> (T, seconds: Double) {
    let started = DispatchTime.now().uptimeNanoseconds
    let value = try body()
    return (value, Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
}
