/// When a door lets an event's tickets in without being told the event: from
/// ``opensBefore`` before its start to ``closesAfter`` after (milliseconds). A gate given its
/// event (`boxoffice checkin --event`) takes that event's tickets whenever it is told to.
public enum DoorWindow {
    public static let opensBefore: Int64 = 12 * 3_600_000
    public static let closesAfter: Int64 = 6 * 3_600_000

    /// True when `now` is within the doors' window of an event starting at `startsAt`.
    public static func contains(_ now: Timestamp, startsAt: Timestamp) -> Bool {
        (startsAt.milliseconds - opensBefore...startsAt.milliseconds + closesAfter).contains(now.milliseconds)
    }

    public static func opens(_ startsAt: Timestamp) -> Timestamp {
        Timestamp(milliseconds: startsAt.milliseconds - opensBefore)
    }

    public static func closes(_ startsAt: Timestamp) -> Timestamp {
        Timestamp(milliseconds: startsAt.milliseconds + closesAfter)
    }
}

/// What a gate with no node needs to check tickets for one event (`venue-scan-list/1`,
/// `SyncProtocol/scanner.md`): the event and its door window, every node's public keys, the
/// tickets that no longer let anyone in, those already admitted, and (as SHA-256 digests, so a
/// lost scanner gives no code away) the tickets that carry no signature it can take.
public struct ScanList: Codable, Sendable, Equatable {
    public static let format = "venue-scan-list/1"

    public struct Event: Codable, Sendable, Equatable {
        public let id: String
        public let name: String
        public let startsAt: Timestamp
        public let timezone: String
        public let status: EventStatus
        /// The event tag signed codes carry (``SignedTicketCode/eventTag(_:)``), lowercase hex.
        public let tag: String
        /// When its doors open and close (``DoorWindow``).
        public let doorsOpenAt: Timestamp
        public let doorsCloseAt: Timestamp

        public init(
            id: String, name: String, startsAt: Timestamp, timezone: String, status: EventStatus, tag: String,
            doorsOpenAt: Timestamp, doorsCloseAt: Timestamp
        ) {
            self.id = id
            self.name = name
            self.startsAt = startsAt
            self.timezone = timezone
            self.status = status
            self.tag = tag
            self.doorsOpenAt = doorsOpenAt
            self.doorsCloseAt = doorsCloseAt
        }
    }

    public struct Key: Codable, Sendable, Equatable {
        public let nodeID: String
        public let keyID: Int
        public let publicKey: String
        /// Set: the key's codes let no one in unless their digest is in ``ScanList/vouched``.
        public let revokedAfter: Timestamp?

        public init(nodeID: String, keyID: Int, publicKey: String, revokedAfter: Timestamp?) {
            self.nodeID = nodeID
            self.keyID = keyID
            self.publicKey = publicKey
            self.revokedAfter = revokedAfter
        }
    }

    public struct Revoked: Codable, Sendable, Equatable {
        /// The short code.
        public let code: String
        /// `refunded` or `void`.
        public let status: TicketStatus

        public init(code: String, status: TicketStatus) {
            self.code = code
            self.status = status
        }
    }

    public struct Admitted: Codable, Sendable, Equatable {
        public let code: String
        public let at: Timestamp
        public let nodeID: String
        public let gate: String?

        public init(code: String, at: Timestamp, nodeID: String, gate: String?) {
            self.code = code
            self.at = at
            self.nodeID = nodeID
            self.gate = gate
        }
    }

    public struct Vouched: Codable, Sendable, Equatable {
        /// SHA-256 of the canonical short code (`K7QX-3M9D-PA2F-W8ZR`), lowercase hex.
        public let codeSHA256: String
        public let category: String?
        public let seat: String?

        public init(codeSHA256: String, category: String?, seat: String?) {
            self.codeSHA256 = codeSHA256
            self.category = category
            self.seat = seat
        }

        enum CodingKeys: String, CodingKey {
            case codeSHA256 = "code_sha256"
            case category, seat
        }
    }

    public let format: String
    public let madeAt: Timestamp
    /// The node that made it: its pulls are as fresh as the list.
    public let madeBy: String
    public let event: Event
    public let keys: [Key]
    public let revoked: [Revoked]
    public let admitted: [Admitted]
    public let vouched: [Vouched]

    public init(
        madeAt: Timestamp, madeBy: String, event: Event, keys: [Key], revoked: [Revoked], admitted: [Admitted],
        vouched: [Vouched]
    ) {
        format = Self.format
        self.madeAt = madeAt
        self.madeBy = madeBy
        self.event = event
        self.keys = keys
        self.revoked = revoked
        self.admitted = admitted
        self.vouched = vouched
    }
}

/// What an offline scanner let in, brought back to a node (`venue-scanner-admissions/1`,
/// `SyncProtocol/scanner.md`).
public struct ScannerAdmissions: Codable, Sendable, Equatable {
    public static let format = "venue-scanner-admissions/1"

    /// The largest file a node takes, by `boxoffice checkin --import` and as the node API's
    /// request body (the daemon's body limit): a few thousand reads, recorded in one transaction
    /// that sales and doors wait behind.
    public static let maximumBytes = 1024 * 1024

    /// The fields of the file, and of each of its admissions: a node refuses any other, so that a
    /// misspelt field is not silently ignored.
    public static let fieldNames: Set<String> = ["format", "scanner", "event_id", "gate", "admissions"]

    public struct Admission: Codable, Sendable, Equatable {
        public static let fieldNames: Set<String> = ["code", "at", "gate"]

        /// The code as the scanner read it: signed, or short.
        public let code: String
        public let at: Timestamp
        /// The gate, when it differs from the file's.
        public let gate: String?

        public init(code: String, at: Timestamp, gate: String? = nil) {
            self.code = code
            self.at = at
            self.gate = gate
        }
    }

    public let format: String
    /// The scanner's name (its serial number, or what the venue calls it).
    public let scanner: String
    public let eventID: String
    public let gate: String?
    public let admissions: [Admission]

    public init(
        format: String = ScannerAdmissions.format, scanner: String, eventID: String, gate: String?,
        admissions: [Admission]
    ) {
        self.format = format
        self.scanner = scanner
        self.eventID = eventID
        self.gate = gate
        self.admissions = admissions
    }
}
