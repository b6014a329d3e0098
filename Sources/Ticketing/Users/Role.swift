import SyncWire

/// What a staff member may do. Each role includes the ones below it.
public enum Role: String, Codable, Sendable, CaseIterable, Comparable {
    /// Sells, holds, confirms, releases, checks in, looks up.
    case cashier
    /// Also refunds, comps, changes events.
    case supervisor
    /// Also manages users and imports reference data.
    case admin

    private var rank: Int {
        switch self {
        case .cashier: 0
        case .supervisor: 1
        case .admin: 2
        }
    }

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rank < rhs.rank }
}

/// The staff member behind the current session: who every change is attributed to.
public struct Operator: Sendable, Equatable, Codable {
    /// Staff id.
    public let id: String
    /// Login name.
    public let name: String
    /// Role.
    public let role: Role
    /// The hash of the session this operator acts through (nil outside a login session).
    public let sessionHash: String?

    /// A logged-in staff member.
    public init(id: String, name: String, role: Role, sessionHash: String? = nil) {
        self.id = id
        self.name = name
        self.role = role
        self.sessionHash = sessionHash
    }

    /// Throws ``TicketingError/notPermitted(_:)`` unless the role is at least `minimum`.
    public func require(_ minimum: Role, to action: String) throws {
        guard role >= minimum else {
            throw TicketingError.notPermitted(
                "\(action) needs \(Self.withArticle(minimum)) or above; \(name) is \(Self.withArticle(role))")
        }
    }

    /// "a cashier", "a supervisor", "an admin".
    private static func withArticle(_ role: Role) -> String {
        (role.rawValue.first.map { "aeiou".contains($0) } == true ? "an " : "a ") + role.rawValue
    }
}

/// A staff account as listed.
public struct StaffMember: Sendable, Codable, Equatable {
    public let id: String
    public let name: String
    public let role: Role
    public let disabled: Bool
    /// False for users imported without a password, who cannot log in until one is set.
    public let hasPassword: Bool
    public let createdAt: Timestamp
}

/// A login: the token goes to the session file, only its hash to the database.
public struct LoginSession: Sendable, Codable, Equatable {
    public let token: String
    public let staff: String
    public let role: Role
    public let nodeID: String
    public let expiresAt: Timestamp

    public init(token: String, staff: String, role: Role, nodeID: String, expiresAt: Timestamp) {
        self.token = token
        self.staff = staff
        self.role = role
        self.nodeID = nodeID
        self.expiresAt = expiresAt
    }
}
