import SQLValues
import SyncWire

// The statuses only a node keeps. Like the shared ones (SyncWire's Statuses.swift) they are closed
// sets: a stored value that is no case is an error, never a default.

/// A seat of an event, as this node sees it.
public enum SeatStatus: String, Codable, Sendable, CaseIterable, SQLTextEnum {
    /// This node may sell it now.
    case available
    /// Held for a customer.
    case held
    case sold
    /// Not this node's to sell (another node's, or no one's yet).
    case unallocated
}

/// A hold's state.
public enum HoldStatus: String, Codable, Sendable, CaseIterable, SQLTextEnum {
    case active, confirmed, released, expired
}

/// A customer email's state.
public enum NotificationStatus: String, Codable, Sendable, CaseIterable, SQLTextEnum {
    case pending, sent, failed
}

extension Role: SQLTextEnum {}
extension NotificationKind: SQLTextEnum {}
