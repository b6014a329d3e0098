import Synchronization
import Ticketing

/// Connections to the node database for the API's workers: one per request at a time, opened on
/// first need and kept (with their prepared statements) for the next request, at most as many as
/// there are workers. Each connection is used by one thread at a time, which is all SQLite and
/// ``VenueNode`` ask; writers of every connection queue in the database's writer turnstile.
public final class NodeConnections: Sendable {
    /// A connection handed from thread to thread, one at a time, through the pool's lock.
    private final class Pooled: @unchecked Sendable {
        let node: VenueNode
        init(_ node: VenueNode) { self.node = node }
    }

    private let path: String
    private let options: NodeOptions
    private let idle = Mutex<[Pooled]>([])

    public init(path: String, options: NodeOptions) {
        self.path = path
        self.options = options
    }

    /// Runs `body` with a connection of its own, opened when none is idle.
    public func withNode<T>(_ body: (VenueNode) throws -> T) throws -> T {
        let pooled = try idle.withLock { $0.popLast() } ?? Pooled(VenueNode.open(path: path, options: options))
        defer { idle.withLock { $0.append(pooled) } }
        return try body(pooled.node)
    }
}
