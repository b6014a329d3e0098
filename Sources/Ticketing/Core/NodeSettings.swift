import EdgeStore

/// The node's parameters, kept in `node_setting`: who it is and how it sells.
public struct NodeSettings: Sendable, Equatable, Codable {
    /// This node's id, fixed at `init`.
    public var nodeID: String
    /// The currency every price and payment uses.
    public var currency: String
    /// How long a hold keeps inventory, unless the cashier says otherwise.
    public var holdTTLSeconds: Int64
    /// How long a login lasts.
    public var sessionTTLSeconds: Int64
    /// The most tickets one order may carry.
    public var maxTicketsPerOrder: Int
    /// The most change a cash sale may give (guards against typed-in tendered amounts).
    public var maxCashChangeMinor: Int64
    /// The From header of customer emails.
    public var mailFrom: String

    /// Defaults for a new node.
    static func defaults(nodeID: String) -> NodeSettings {
        NodeSettings(
            nodeID: nodeID, currency: "EUR", holdTTLSeconds: 600, sessionTTLSeconds: 12 * 3600,
            maxTicketsPerOrder: 20, maxCashChangeMinor: 50_000, mailFrom: "Box Office <boxoffice@localhost>")
    }

    static let keys = [
        "node_id", "currency", "hold_ttl_seconds", "session_ttl_seconds", "max_tickets_per_order",
        "max_cash_change_minor", "mail_from",
    ]

    /// Reads the settings; nil when the node was never initialised. Every sale reads them: rows
    /// are read by position, into the fields directly.
    static func load(_ db: Database) throws -> NodeSettings? {
        var settings = defaults(nodeID: "")
        var initialised = false
        try db.forEachRow("SELECT key, value FROM node_setting") { row in
            let value: String = try row.get(1)
            switch try row.get(0, as: String.self) {
            case "node_id":
                settings.nodeID = value
                initialised = true
            case "currency": settings.currency = value
            case "hold_ttl_seconds": settings.holdTTLSeconds = Int64(value) ?? settings.holdTTLSeconds
            case "session_ttl_seconds": settings.sessionTTLSeconds = Int64(value) ?? settings.sessionTTLSeconds
            case "max_tickets_per_order": settings.maxTicketsPerOrder = Int(value) ?? settings.maxTicketsPerOrder
            case "max_cash_change_minor": settings.maxCashChangeMinor = Int64(value) ?? settings.maxCashChangeMinor
            case "mail_from": settings.mailFrom = value
            default: break
            }
            return true
        }
        return initialised ? settings : nil
    }

    /// Writes every setting; returns the keys whose stored value changed.
    @discardableResult
    func save(to node: VenueNode) throws -> [String] {
        node.settingsCache.noteWrite(in: node.database.transactionsBegun)
        let db = node.database
        let values = [
            nodeID, currency, String(holdTTLSeconds), String(sessionTTLSeconds), String(maxTicketsPerOrder),
            String(maxCashChangeMinor), mailFrom,
        ]
        var changed = [String]()
        for (key, value) in zip(Self.keys, values) {
            let current: String? = try db.scalar("SELECT value FROM node_setting WHERE key = ?", [key])
            guard current != value else { continue }
            try db.execute(
                "INSERT INTO node_setting (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [key, value])
            changed.append(key)
        }
        return changed
    }
}
