/// How much a node needs head office's eye, most first: the order `central nodes --watch` lists
/// the nodes in, so that on a screen too short for the fleet the nodes in trouble are the ones shown.
///
/// ```swift
/// let shown = NodeAttention.ordered(nodes, silenceSeconds: 3600, protocolVersions: 2...4)
/// ```
public enum NodeAttention: Int, Sendable, Comparable, CaseIterable {
    /// Not heard from within the silence limit.
    case silent
    /// Its last push spoke a sync protocol central no longer accepts: it cannot sync.
    case incompatible
    /// Heard from after head office retired it, and not reinstated: a box thought gone sells.
    case back
    /// Records it still held at its last push, or records of it parked at central.
    case backlog
    /// Nothing to look at.
    case quiet
    /// Retired (gone for good): never silent.
    case retired

    /// Where `node` stands; `protocolVersions` is the window central accepts (nil: unknown).
    public init(of node: NodeReport, silenceSeconds: Int64, protocolVersions: ClosedRange<Int>?) {
        self =
            if node.retired != nil {
                .retired
            } else if (node.silentSeconds ?? Int64.max) > silenceSeconds {
                .silent
            } else if let versions = protocolVersions, !versions.contains(node.protocolVersion) {
                .incompatible
            } else if node.backWithoutReinstatement {
                .back
            } else if node.outboxPending > 0 || node.recordsParked > 0 {
                .backlog
            } else {
                .quiet
            }
    }

    public static func < (lhs: NodeAttention, rhs: NodeAttention) -> Bool { lhs.rawValue < rhs.rawValue }

    /// `nodes` with those needing attention first, retired last; in the order given (by id) within
    /// each kind, so that a row moves only when its node's state changes.
    public static func ordered(
        _ nodes: [NodeReport], silenceSeconds: Int64, protocolVersions: ClosedRange<Int>?
    ) -> [NodeReport] {
        nodes.enumerated().map { index, node in
            (NodeAttention(of: node, silenceSeconds: silenceSeconds, protocolVersions: protocolVersions), index, node)
        }
        .sorted { ($0.0, $0.1) < ($1.0, $1.1) }
        .map(\.2)
    }
}
