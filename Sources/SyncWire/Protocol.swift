/// The sync protocol between a node and central MySQL, version ``SyncProtocolVersion/current``.
/// `SyncProtocol/README.md` is its specification; the types here are its wire form.
public enum SyncProtocolVersion {
    /// The version this build speaks. Central records each node's version on every push, and
    /// publishes the versions it accepts (`sync_protocol`); a node outside them stops with mode
    /// `incompatible` instead of guessing.
    ///
    /// Version 2: pushes carry the node's epoch, its newest sequence number and its clock; central
    /// checks that a push continues exactly where it stands and answers with what it holds.
    /// Version 3: central has an identity a node records at join and checks on every connection;
    /// allocation and event status versions come from central's clock; a node's answer names what
    /// it took, its status change the version it changed from, and it never reports back a change
    /// central made; node parameters are central data.
    /// Version 4: tickets are signed by the node that sold them; nodes publish their public keys,
    /// and every door of the venue learns the keys, admissions, refunded tickets and central's
    /// list of tickets it vouches for, from changes addressed to every protocol 4 node (`*`).
    /// Central migration 11 adds to it: node-wide revocations, the key of each ticket, the
    /// scanner of an admission.
    public static let current = 4

    /// The oldest central schema (its number of applied migrations) this build's sync works
    /// with. A central migrated further keeps serving this build as long as it still accepts
    /// ``current``: migrations within a protocol version only add.
    public static let minimumCentralSchema = 11
}

/// The versions central gives allocation proposals and event statuses.
///
/// A version is central's clock in milliseconds since 1970 when it is made, or one past the
/// previous version of the same thing when that is larger. A database restored from a backup
/// forgets the versions it handed out since, but not the time: the next version is still larger
/// than any a node saw, so a number never means two things.
public enum CentralVersion {
    /// The largest version central can hand out: the last millisecond of the year 9999, the last
    /// time central stores. A version above it (or below 1) cannot come from central.
    public static let maximum: Int64 = 253_402_300_799_999

    /// The version after `previous`, made at central's time `now`.
    public static func next(after previous: Int64, now: Timestamp) -> Int64 {
        max(previous + 1, now.milliseconds)
    }

    /// True when central can have handed out `version`.
    public static func isIssuable(_ version: Int64) -> Bool { (1...maximum).contains(version) }

    /// How far a version may run ahead of the clock of the central that made it: one day. A version
    /// is central's clock, or one past the previous version when that is larger, so it passes the
    /// clock only by the versions handed out within one millisecond, or when central's clock was
    /// set back. A day covers a clock set back that far; a version further ahead is no version of
    /// central's (a value edited by hand, or an overflow) and would hide every genuine one after it.
    public static let lead: Int64 = 86_400_000

    /// True when a central whose clock read `time` can have handed out `version`: at least 1 and at
    /// most ``lead`` past `time`.
    public static func isPlausible(_ version: Int64, at time: Timestamp) -> Bool {
        version >= 1 && version <= time.milliseconds + lead
    }

    /// Decodes a version, a whole number of 64 bits. For anything else `JSONDecoder` says only that
    /// the data "was not valid JSON"; this says what is wrong with the number (`1.5`, `1e300`).
    public static func decode<Key: CodingKey>(from container: KeyedDecodingContainer<Key>, forKey key: Key) throws
        -> Int64
    {
        do {
            return try container.decode(Int64.self, forKey: key)
        } catch {
            // The decoder's own error here is internal (a number not representable), which it
            // reports at the top as data that "was not valid JSON".

            guard let number = try? container.decode(Double.self, forKey: key) else { throw error }
            throw DecodingError.dataCorruptedError(
                forKey: key, in: container,
                debugDescription: number.rounded() != number
                    ? "version \(number) is not a whole number"
                    : "version \(number) is beyond the versions central hands out (1 to \(maximum))")
        }
    }

    /// ``decode(from:forKey:)`` for a version that may be absent (or null).
    public static func decodeIfPresent<Key: CodingKey>(from container: KeyedDecodingContainer<Key>, forKey key: Key)
        throws -> Int64?
    {
        guard container.contains(key), !(try container.decodeNil(forKey: key)) else { return nil }
        return try decode(from: container, forKey: key)
    }
}

/// How a central's identity is written: `UUID()` as MariaDB and MySQL make it, 36 characters,
/// lowercase hexadecimal digits in groups of 8, 4, 4, 4 and 12 joined by `-`.
public enum CentralIdentityFormat {
    /// What an identity looks like, for error messages.
    public static let description =
        "36 characters: lowercase hexadecimal digits in groups of 8-4-4-4-12 joined by '-' "
        + "(as 'central migrate --status' prints it)"

    /// True when `text` is written exactly as central writes its identity.
    public static func matches(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 36 else { return false }
        return bytes.enumerated().allSatisfy { offset, byte in
            [8, 13, 18, 23].contains(offset)
                ? byte == UInt8(ascii: "-")
                : (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                    || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
        }
    }
}

/// The kinds of change central publishes for nodes to pull.
public enum ChangeType: String, Sendable, Codable, CaseIterable {
    /// An event with its venue and categories (payload: ``ReferenceData`` with one venue and event).
    case catalogEvent = "catalog.event"
    /// A new allocation for one node (payload: ``AllocationProposal``).
    case allocationProposed = "allocation.proposed"
    /// An event cancelled, closed or reopened centrally (payload: ``EventStatusChange``).
    case eventStatus = "event.status"
    /// A refund head office orders a node to carry out (payload: ``RefundOrder``).
    case refundOrdered = "refund.ordered"
    /// Maintenance mode on or off for one node or all (payload: ``MaintenanceChange``).
    case nodeMaintenance = "node.maintenance"
    /// The parameters nodes sell under (payload: ``NodeParametersChange``).
    case nodeParameters = "node.parameters"
    /// A node's ticket signing key, with its revocation if any (payload: ``SigningKeyRecord``).
    case signingKey = "signing_key"
    /// A ticket let in at some door of the venue (payload: ``DoorAdmittedChange``).
    case doorAdmitted = "door.admitted"
    /// Tickets refunded or voided (payload: ``DoorRevokedChange``).
    case doorRevoked = "door.revoked"
    /// Tickets central vouches for that carry no signature a door can take (payload: ``DoorVouchedChange``).
    case doorVouched = "door.vouched"
    /// Tickets central no longer vouches for: a key's cut moved earlier (payload: ``DoorUnvouchedChange``).
    case doorUnvouched = "door.unvouched"

    /// The address of changes meant for every node that speaks protocol 4 or later: a node of an
    /// older protocol, whose pull asks for `''` and its own id only, never sees (and parks) them.
    public static let everyDoorNode = "*"
}

/// One row of central's change log, as a node pulls it.
public struct Change: Codable, Sendable, Equatable, Hashable {
    /// Commit-ordered sequence number.
    public let seq: Int64
    /// A ``ChangeType`` raw value.
    public let type: String
    public let entityID: String
    public let payload: String
    /// Central's clock when it published the change (`change_log.created_at`): the versions it
    /// carries cannot be far above it (``CentralVersion/isPlausible(_:at:)``). Nil when unknown
    /// (a change re-applied from the node's parked list).
    public let createdAt: Timestamp?

    public init(seq: Int64, type: String, entityID: String, payload: String, createdAt: Timestamp? = nil) {
        self.seq = seq
        self.type = type
        self.entityID = entityID
        self.payload = payload
        self.createdAt = createdAt
    }
}

/// One page of changes after a node's cursor, with the change at the cursor itself: a node that
/// finds it is not the change it applied under that number knows central was restored from a
/// backup and numbers changes again from an older point.
public struct ChangePage: Sendable, Equatable {
    /// The changes after the cursor, oldest first.
    public let changes: [Change]
    /// The change numbered as the cursor (nil when central has none: it lost it).
    public let anchor: Change?

    public init(changes: [Change], anchor: Change?) {
        self.changes = changes
        self.anchor = anchor
    }
}

/// `allocation.proposed`: what one node may sell of one category, as a whole (not a delta), so
/// applying it twice is harmless. The node accepts it only if it keeps everything it already
/// sold or holds, and answers with an ``AllocationResponseRecord``.
public struct AllocationProposal: Codable, Sendable, Equatable {
    public let eventID: String
    public let categoryCode: String
    public let nodeID: String
    public let version: Int
    /// GA categories.
    public let quota: Int?
    /// Seated categories: every seat label the node may sell.
    public let seats: [String]?

    public init(eventID: String, categoryCode: String, nodeID: String, version: Int, quota: Int?, seats: [String]?) {
        self.eventID = eventID
        self.categoryCode = categoryCode
        self.nodeID = nodeID
        self.version = version
        self.quota = quota
        self.seats = seats
    }

    private enum CodingKeys: String, CodingKey {
        case eventID, categoryCode, nodeID, version, quota, seats
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        eventID = try container.decode(String.self, forKey: .eventID)
        categoryCode = try container.decode(String.self, forKey: .categoryCode)
        nodeID = try container.decode(String.self, forKey: .nodeID)
        version = Int(try CentralVersion.decode(from: container, forKey: .version))
        quota = try container.decodeIfPresent(Int.self, forKey: .quota)
        seats = try container.decodeIfPresent([String].self, forKey: .seats)
    }
}

/// `node.maintenance`: head office puts one node (`nodeID`) or every node (nil) in maintenance, or
/// takes it out. The last instruction a node pulls wins.
public struct MaintenanceChange: Codable, Sendable, Equatable {
    public let nodeID: String?
    public let enabled: Bool
    /// Why; shown to the node's cashiers while on.
    public let reason: String?
    /// Who at head office.
    public let by: String

    public init(nodeID: String?, enabled: Bool, reason: String?, by: String) {
        self.nodeID = nodeID
        self.enabled = enabled
        self.reason = reason
        self.by = by
    }
}

/// `event.status`: an event's new status, decided centrally or taken from a node's record.
public struct EventStatusChange: Codable, Sendable, Equatable {
    public let eventID: String
    /// on_sale, closed or cancelled.
    public let status: EventStatus
    public let reason: String?
    /// The status's version at central (``CentralVersion``); absent from a protocol 2 central.
    public let version: Int64?
    /// The node record central took this status from; absent when central decided it, when the
    /// record carried no version (a protocol 2 node), and from a central before the origin.
    public let origin: EventStatusOrigin?

    public init(
        eventID: String, status: EventStatus, reason: String?, version: Int64? = nil, origin: EventStatusOrigin? = nil
    ) {
        self.eventID = eventID
        self.status = status
        self.reason = reason
        self.version = version
        self.origin = origin
    }

    private enum CodingKeys: String, CodingKey {
        case eventID, status, reason, version, origin
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        eventID = try container.decode(String.self, forKey: .eventID)
        status = try container.decode(EventStatus.self, forKey: .status)
        reason = try container.decodeIfPresent(String.self, forKey: .reason)
        version = try CentralVersion.decodeIfPresent(from: container, forKey: .version)
        origin = try container.decodeIfPresent(EventStatusOrigin.self, forKey: .origin)
    }
}

/// The node record an `event.status` change was taken from: the node that made it knows the
/// change as its own, and central continues that node's later changes over it.
public struct EventStatusOrigin: Codable, Sendable, Equatable {
    public let nodeID: String
    /// The record's sequence number in that node's outbox.
    public let seq: Int64
    /// The version of central's status the node changed it over (the record's `from_version`).
    public let fromVersion: Int64

    public init(nodeID: String, seq: Int64, fromVersion: Int64) {
        self.nodeID = nodeID
        self.seq = seq
        self.fromVersion = fromVersion
    }
}

/// `node.parameters`: what every node (`nodeID` nil) or one node sells under, as the reference
/// file's `parameters` give them. A parameter left out keeps the node's value.
public struct NodeParametersChange: Codable, Sendable, Equatable {
    public let nodeID: String?
    public let parameters: ReferenceData.Parameters

    public init(nodeID: String?, parameters: ReferenceData.Parameters) {
        self.nodeID = nodeID
        self.parameters = parameters
    }
}

/// `refund.ordered`: head office orders a refund of some tickets of an order sold by the node.
public struct RefundOrder: Codable, Sendable, Equatable {
    /// Central's id for the order, so that the node carries it out once.
    public let orderReference: String
    public let orderID: String
    public let ticketCodes: [String]
    public let reason: String

    public init(orderReference: String, orderID: String, ticketCodes: [String], reason: String) {
        self.orderReference = orderReference
        self.orderID = orderID
        self.ticketCodes = ticketCodes
        self.reason = reason
    }
}

/// `allocation.accepted` / `allocation.rejected`: a node's answer to a proposal.
public struct AllocationResponseRecord: Codable, Sendable, Equatable {
    public let eventID: String
    public let categoryCode: String
    public let nodeID: String
    public let version: Int
    public let accepted: Bool
    /// Why a proposal was rejected.
    public let reason: String?
    /// What the node had sold and held when it answered.
    public let sold: Int
    public let held: Int
    /// What the proposal answered gave: the GA quota, or the number of seats (absent from a
    /// protocol 2 node). Central takes an answer only for the proposal it names.
    public let quota: Int?
    /// Seated: ``seatsDigest(_:)`` of the proposal's seats.
    public let seatsDigest: String?
    /// What the node sells under once it answered (protocol 4): the version it decided last and the
    /// quota and seats in force. Central adopts it when its version is above the one central has in
    /// force for the node (central restored from a backup lost the node's later answers).
    public let inForce: AllocationInForce?

    public init(
        eventID: String, categoryCode: String, nodeID: String, version: Int, accepted: Bool, reason: String?, sold: Int,
        held: Int, quota: Int? = nil, seatsDigest: String? = nil, inForce: AllocationInForce? = nil
    ) {
        self.eventID = eventID
        self.categoryCode = categoryCode
        self.nodeID = nodeID
        self.version = version
        self.accepted = accepted
        self.reason = reason
        self.sold = sold
        self.held = held
        self.quota = quota
        self.seatsDigest = seatsDigest
        self.inForce = inForce
    }

    /// The text whose SHA-256, in lowercase hex, is ``seatsDigest``: the seat labels sorted by
    /// their bytes, one per line.
    public static func seatsDigestText(_ seats: [String]) -> String {
        seats.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }.joined(separator: "\n")
    }
}
