/// How central looks from a node.
public enum CentralMode: String, Sendable, Codable, CaseIterable {
    /// Push and pull both work.
    case writable
    /// Central refuses writes (MySQL 1290/1836, a rollback in progress): pull only, outbox kept.
    case readOnly = "read_only"
    /// Central cannot be reached or refuses this node's work for an operational reason (network,
    /// credentials, privileges, resources, timeouts): nothing moves; the node sells within its allocation.
    case unreachable
    /// Central does not speak this node's protocol version, or its schema is older than the
    /// node needs: nothing moves until one side is upgraded.
    case incompatible
    /// The node's own database failed (disk full, I/O error): nothing moves until it is fixed.
    case nodeError = "node_error"
    /// The daemon has not run yet.
    case unknown
}

/// Sync could not go on, for a reason that a later attempt may overcome (an operational error):
/// nothing was skipped; the work is retried.
public struct SyncFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// What the node should report.
    public let mode: CentralMode
    /// A short stable word for the cause (`read_only`, `cannot_connect`, `privileges`,
    /// `protocol`, `disk_full`…).
    public let cause: String
    /// The error as the database or network gave it.
    public let message: String

    public init(mode: CentralMode, cause: String, message: String) {
        self.mode = mode
        self.cause = cause
        self.message = message
    }

    public var description: String { message }
}

/// Central as a node sees it: the push/pull contract of the sync protocol. `Central` implements it
/// over MySQL; the node's daemon depends on this contract only.
///
/// Every method throws a ``SyncFailure`` for an operational problem (read-only, unreachable,
/// incompatible…). A record or change that can never apply is not an error here: central parks it
/// and says so in the ``PushResult``.
public protocol CentralEndpoint: AnyObject {
    /// The identity of the central this node joined, when it has: every connection checks that
    /// central shows it, and fails with `incompatible` (cause `identity`) when it shows another.
    var expectedIdentity: String? { get set }
    /// Central's identity (made by `central migrate`, kept through dumps and restores).
    func identity() throws -> String
    /// Applies a batch in one central transaction, or answers why it did not (``PushResult/Outcome``).
    func push(_ batch: PushBatch) throws -> PushResult
    /// Up to `limit` changes for `node` after `seq`, in commit order, and central's newest change number.
    func changes(after seq: Int64, node: String, limit: Int) throws -> ChangePage
    /// Up to `limit` of `node`'s own records central holds after `seq`, with its allocations in force.
    func heldRecords(node: String, after seq: Int64, limit: Int) throws -> HeldRecords
    /// How many of `node`'s records central has parked.
    func parkedCount(node: String) throws -> Int
    /// The server central was last reached on (a cluster member's `host:port`), for health and
    /// metrics; nil before the first connection.
    var member: String? { get }
}

extension CentralEndpoint {
    public var member: String? { nil }
}
