/// What a connection found about the server it reached: which one it is, whether it takes
/// writes, and, for a member of a Galera cluster, whether the cluster lets it serve.
///
/// A Galera member serves only while it is `Synced` in the primary component with `wsrep_ready`
/// ON; a member that is joining, donating a state transfer, or cut off from the majority answers
/// queries on tables with error 1047, so a client treats it as not answering and tries another.
public struct MemberState: Sendable, Equatable, CustomStringConvertible {
    /// The member as the URL names it.
    public let member: MySQLConfiguration.Member
    /// `@@hostname:@@port`, as the server names itself.
    public let server: String
    /// `@@read_only` (a rollback in progress, or a replica).
    public let readOnly: Bool
    /// The Galera state, when the server is a cluster member (`wsrep_on`); nil for a single server.
    public let cluster: ClusterState?

    /// A Galera member's view of its cluster (`SHOW GLOBAL STATUS LIKE 'wsrep_%'`).
    public struct ClusterState: Sendable, Equatable {
        /// `wsrep_node_name`.
        public let nodeName: String
        /// `wsrep_local_state_comment`: `Synced`, `Joining`, `Donor/Desynced`, `Initialized`…
        public let localState: String
        /// `wsrep_cluster_status`: `Primary`, `non-Primary`, `Disconnected`.
        public let status: String
        /// `wsrep_ready`.
        public let ready: Bool
        /// `wsrep_cluster_size`: the members of the component this one is in.
        public let size: Int
    }

    /// Why this member must not be used now (nil when it may serve).
    public var unavailability: String? {
        guard let cluster else { return nil }
        var problems = [String]()
        if cluster.localState != "Synced" { problems.append("wsrep_local_state_comment is \(cluster.localState)") }
        if cluster.status != "Primary" { problems.append("wsrep_cluster_status is \(cluster.status)") }
        if !cluster.ready { problems.append("wsrep_ready is OFF") }
        return problems.isEmpty ? nil : problems.joined(separator: ", ")
    }

    /// `127.0.0.1:3307 (m2, Synced, cluster of 3)`, `db1:3306 (read-only)`.
    public var description: String {
        var notes = [String]()
        if let cluster {
            notes.append("\(cluster.nodeName), \(cluster.localState), cluster of \(cluster.size)")
        }
        if readOnly { notes.append("read-only") }
        return notes.isEmpty ? member.description : "\(member) (\(notes.joined(separator: "; ")))"
    }

    /// The statements that read it, portable to MySQL 8 (which has no `wsrep_*` variables).
    static let variablesQuery =
        "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('hostname', 'port', 'read_only', 'wsrep_on', 'wsrep_node_name')"
    static let statusQuery =
        """
        SHOW GLOBAL STATUS WHERE Variable_name IN \
        ('wsrep_local_state_comment', 'wsrep_cluster_status', 'wsrep_ready', 'wsrep_cluster_size')
        """

    /// Reads the state with `query`, which runs one statement and returns its rows as text.
    static func read(member: MySQLConfiguration.Member, query: (String) throws -> [[String?]]) throws -> MemberState {
        func pairs(_ sql: String) throws -> [String: String] {
            var values = [String: String]()
            for row in try query(sql) where row.count >= 2 { values[(row[0] ?? "").lowercased()] = row[1] ?? "" }
            return values
        }
        let variables = try pairs(variablesQuery)
        let server = "\(variables["hostname"] ?? "?"):\(variables["port"] ?? "0")"
        let readOnly = variables["read_only"] == "ON" || variables["read_only"] == "1"
        guard variables["wsrep_on"] == "ON" else {
            return MemberState(member: member, server: server, readOnly: readOnly, cluster: nil)
        }
        let status = try pairs(statusQuery)
        return MemberState(
            member: member, server: server, readOnly: readOnly,
            cluster: ClusterState(
                nodeName: variables["wsrep_node_name"] ?? "", localState: status["wsrep_local_state_comment"] ?? "",
                status: status["wsrep_cluster_status"] ?? "", ready: status["wsrep_ready"] == "ON",
                size: Int(status["wsrep_cluster_size"] ?? "") ?? 0))
    }
}

/// A member a connection passed over, and why.
public struct SkippedMember: Sendable, Equatable, CustomStringConvertible {
    public let member: MySQLConfiguration.Member
    /// The error it gave, or what made it unfit (`wsrep_local_state_comment is Donor/Desynced`, `read-only`).
    public let reason: String

    public var description: String { "\(member): \(reason)" }
}

/// One member of central as a probe found it: its state, or the error it gave.
public struct MemberProbe: Sendable, Equatable {
    public let member: MySQLConfiguration.Member
    public let state: MemberState?
    public let error: MySQLError?

    /// Connects to each member of `configuration` on its own and reads its state.
    public static func probe(_ configuration: MySQLConfiguration) -> [MemberProbe] {
        configuration.members.map { member in
            var single = configuration
            single.members = [member]
            do {
                let connection = try MySQLConnection(single)
                return MemberProbe(member: member, state: connection.memberState, error: nil)
            } catch {
                return MemberProbe(
                    member: member, state: nil,
                    error: error as? MySQLError ?? MySQLError(code: 0, message: String(describing: error)))
            }
        }
    }
}
