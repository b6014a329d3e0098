import SQLValues

// What the doors of a venue share through central: the nodes' public signing keys, admissions,
// and tickets taken back (refunded or voided). Records go up from the node that knows the fact;
// central publishes each as a change every node of protocol 4 pulls (`SyncProtocol/README.md`).

/// Where an admission was made.
public enum AdmissionSource: String, Codable, Sendable, CaseIterable, SQLTextEnum {
    /// A node's own door (`boxoffice checkin`, the API).
    case door
    /// An offline scanner whose admissions a node imported (`boxoffice checkin --import`).
    case scanner
}

/// Why central vouches for a ticket a door cannot take by its signature alone.
public enum VouchReason: String, Codable, Sendable, CaseIterable, SQLTextEnum {
    /// Sold before tickets were signed: its code is random, and only central's list says it is real.
    case unsigned
    /// Signed by a key revoked since, and received by central before the key's cut.
    case revokedKey = "revoked_key"
}

/// `signing_key.published` (record) and `signing_key` (change): one of a node's ticket signing
/// keys as it stands. A node sends each key it makes and each it retires; central adds its
/// revocation and tells every node.
public struct SigningKeyRecord: Codable, Sendable, Equatable {
    public let nodeID: String
    /// ``SignedTicketCode/keyID(of:)`` of the key.
    public let keyID: Int
    /// The 32-byte Ed25519 public key, lowercase hex.
    public let publicKey: String
    public let createdAt: Timestamp
    /// When a newer key took over signing; it still verifies what it signed.
    public let retiredAt: Timestamp?
    /// Set by head office only (`central keys revoke`): the key's tickets are refused, but for
    /// those central received before this time, which it vouches for (``DoorVouchedChange``).
    public let revokedAfter: Timestamp?
    public let revokedReason: String?

    public init(
        nodeID: String, keyID: Int, publicKey: String, createdAt: Timestamp, retiredAt: Timestamp?,
        revokedAfter: Timestamp? = nil, revokedReason: String? = nil
    ) {
        self.nodeID = nodeID
        self.keyID = keyID
        self.publicKey = publicKey
        self.createdAt = createdAt
        self.retiredAt = retiredAt
        self.revokedAfter = revokedAfter
        self.revokedReason = revokedReason
    }
}

/// `door.admitted`: a ticket let in somewhere in the venue (every node's doors refuse it after).
public struct DoorAdmittedChange: Codable, Sendable, Equatable {
    public let ticketCode: String
    public let eventID: String
    /// The node whose door or scanner let it in.
    public let nodeID: String
    public let gate: String?
    public let source: AdmissionSource
    public let admittedAt: Timestamp
    /// The offline scanner that read it, for a scanner's admission: a node that imports the same
    /// file later counts that read as imported before.
    public let scanner: String?

    public init(
        ticketCode: String, eventID: String, nodeID: String, gate: String?, source: AdmissionSource,
        admittedAt: Timestamp, scanner: String? = nil
    ) {
        self.ticketCode = ticketCode
        self.eventID = eventID
        self.nodeID = nodeID
        self.gate = gate
        self.source = source
        self.admittedAt = admittedAt
        self.scanner = scanner
    }
}

/// `door.revoked`: tickets refunded or voided at the node that sold them: no door lets them in.
public struct DoorRevokedChange: Codable, Sendable, Equatable {
    public let ticketCodes: [String]
    public let eventID: String?
    /// `void` (a refund queued) or `refunded` (paid out).
    public let status: TicketStatus
    /// The node that sold them.
    public let nodeID: String
    public let revokedAt: Timestamp

    public init(ticketCodes: [String], eventID: String?, status: TicketStatus, nodeID: String, revokedAt: Timestamp) {
        self.ticketCodes = ticketCodes
        self.eventID = eventID
        self.status = status
        self.nodeID = nodeID
        self.revokedAt = revokedAt
    }
}

/// `door.vouched`: tickets central holds as sold that a door cannot take by signature: unsigned
/// ones (sold before signing) and those of a revoked key received before its cut.
public struct DoorVouchedChange: Codable, Sendable, Equatable {
    public struct Ticket: Codable, Sendable, Equatable {
        public let code: String
        public let eventID: String
        /// The node that sold it.
        public let nodeID: String
        public let categoryCode: String?
        public let seat: String?

        public init(code: String, eventID: String, nodeID: String, categoryCode: String?, seat: String?) {
            self.code = code
            self.eventID = eventID
            self.nodeID = nodeID
            self.categoryCode = categoryCode
            self.seat = seat
        }
    }
    public let reason: VouchReason
    public let tickets: [Ticket]

    public init(reason: VouchReason, tickets: [Ticket]) {
        self.reason = reason
        self.tickets = tickets
    }
}

/// `door.unvouched`: tickets central vouched for as received before a key's cut, withdrawn when a
/// later revocation moved the cut earlier (head office learnt the theft happened before): they
/// were received after the new cut, and a door refuses them from now on.
public struct DoorUnvouchedChange: Codable, Sendable, Equatable {
    /// Why they were vouched for: `revoked_key` (a door withdraws only vouches of that reason).
    public let reason: VouchReason
    /// The node whose key it is.
    public let nodeID: String
    public let keyID: Int
    /// The key's new cut.
    public let revokedAfter: Timestamp
    public let ticketCodes: [String]

    public init(reason: VouchReason, nodeID: String, keyID: Int, revokedAfter: Timestamp, ticketCodes: [String]) {
        self.reason = reason
        self.nodeID = nodeID
        self.keyID = keyID
        self.revokedAfter = revokedAfter
        self.ticketCodes = ticketCodes
    }
}
