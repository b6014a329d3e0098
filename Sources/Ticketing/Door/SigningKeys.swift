import AtomicFiles
import EdgeCrypto
import EdgeStore
import SyncWire

#if canImport(Glibc)
    import Glibc
#endif

/// One of the ticket signing keys this node knows: its own (current or retired) and every other
/// node's of the venue, as central published them.
public struct SigningKeyInfo: Sendable, Codable, Equatable {
    public let nodeID: String
    public let keyID: Int
    /// Lowercase hex.
    public let publicKey: String
    public let createdAt: Timestamp
    public let retiredAt: Timestamp?
    public let revokedAfter: Timestamp?
    public let revokedReason: String?
    /// True for the key this node signs with now.
    public let signing: Bool
}

/// This node's signing key, read from its file: what a sale signs its tickets with.
struct TicketSigner {
    let key: Ed25519PrivateKey
    let keyID: UInt16

    /// The signed code of the ticket `serial` of `eventID`.
    func sign(serial: [UInt8], eventID: String) -> SignedTicketCode {
        SignedTicketCode(signing: serial, eventID: eventID, with: key)
    }
}

/// The node's ticket signing keys: the private one in a file next to the database
/// (`venue.sqlite.ticket-key`, 0600, read with ``SecretFile``, written with ``AtomicFile``,
/// never synced nor in a backup), the public ones in `signing_key`, sent to central with a
/// `signing_key.published` record in the transaction that makes or retires them.
public struct SigningKeys {
    let node: VenueNode
    var db: Database { node.database }

    /// The key file of the database at `databasePath`.
    public static func keyFile(forDatabase databasePath: String) -> String { databasePath + ".ticket-key" }

    var keyFile: String { Self.keyFile(forDatabase: db.path) }

    /// Every key this node knows, its own first, newest first.
    public func list() throws -> [SigningKeyInfo] {
        let own = try node.settings().nodeID
        let signing = try? currentSigner().key.publicKey
        return try db.rows(
            """
            SELECT public_key, key_id, node_id, created_at, retired_at, revoked_after, revoked_reason FROM signing_key
            ORDER BY node_id <> ?, node_id, created_at DESC
            """, [own]
        ).map { row in
            let publicKey: [UInt8] = try row.get("public_key")
            return SigningKeyInfo(
                nodeID: try row.get("node_id"), keyID: try row.get("key_id"), publicKey: Hex.encode(publicKey),
                createdAt: try row.get("created_at"), retiredAt: try row.get("retired_at"),
                revokedAfter: try row.get("revoked_after"), revokedReason: try row.get("revoked_reason"),
                signing: publicKey == signing)
        }
    }

    /// Makes a new key, writes it over the key file and retires the keys before it (they keep
    /// verifying what they signed). Admins. The file is written inside the transaction that
    /// records the key, before it commits: a failed write leaves the old key in force; a failed
    /// commit leaves a file no row names, which sales refuse until the next rotation.
    public func rotate(by actor: Operator) throws -> SigningKeyInfo {
        try actor.require(.admin, to: "rotating the ticket signing key")
        let key = try db.write { try makeKey(by: actor.name) }
        return try list().first { $0.publicKey == Hex.encode(key.publicKey) }!
    }

    /// Makes the first key when the node has none of its own in force (at `init`, and for a
    /// database made before tickets were signed, at `migrate`). Nil when it has one.
    @discardableResult
    func ensureKey(by actor: String) throws -> Ed25519PrivateKey? {
        try db.write {
            let own = try node.settings().nodeID
            let current: Int =
                try db.scalar(
                    "SELECT count(*) FROM signing_key WHERE node_id = ? AND retired_at IS NULL AND revoked_after IS NULL",
                    [own]) ?? 0
            guard current == 0 || (try? currentSigner()) == nil else { return nil }
            return try makeKey(by: actor)
        }
    }

    /// Inside a write transaction: retires this node's keys, records a new one, writes its file.
    private func makeKey(by actor: String) throws -> Ed25519PrivateKey {
        let own = try node.settings().nodeID
        let now = node.clock.now()
        let key = Ed25519PrivateKey.generate()
        let keyID = SignedTicketCode.keyID(of: key.publicKey)
        for retired in try db.rows(
            "SELECT public_key, key_id, created_at FROM signing_key WHERE node_id = ? AND retired_at IS NULL", [own])
        {
            let publicKey: [UInt8] = try retired.get("public_key")
            try db.execute("UPDATE signing_key SET retired_at = ? WHERE public_key = ?", [now.milliseconds, publicKey])
            try publish(
                SigningKeyRecord(
                    nodeID: own, keyID: try retired.get("key_id"), publicKey: Hex.encode(publicKey),
                    createdAt: try retired.get("created_at"), retiredAt: now))
        }
        try db.execute(
            "INSERT INTO signing_key (public_key, key_id, node_id, created_at) VALUES (?, ?, ?, ?)",
            [key.publicKey, Int(keyID), own, now.milliseconds])
        try publish(
            SigningKeyRecord(
                nodeID: own, keyID: Int(keyID), publicKey: Hex.encode(key.publicKey), createdAt: now, retiredAt: nil))
        try node.audit.record(
            "signing_key.made", by: actor, entity: "signing_key", id: String(keyID),
            detail: ["public_key": Hex.encode(key.publicKey)])
        try KeyFile(nodeID: own, keyID: keyID, createdAt: now, key: key).write(to: keyFile)
        return key
    }

    private func publish(_ record: SigningKeyRecord) throws {
        try node.outbox.append(.signingKeyPublished, id: "\(record.nodeID)/\(record.keyID)", payload: record)
    }

    /// The key in the file, when it is this node's key in force (neither retired nor revoked:
    /// a revocation pulled by the daemon stops sales here at once). The file is read again only
    /// when it changed (a rotation renames a new one into place), so a sale pays one `stat` and
    /// one look-up of the key's row for it.
    func currentSigner() throws -> TicketSigner {
        var info = stat()
        guard stat(keyFile, &info) == 0 else {
            throw Self.noKey("there is no ticket signing key at \(keyFile)")
        }
        let stamp = KeyFileStamp(info)
        let signer: TicketSigner
        let nodeID: String
        if let kept = node.signerCache, kept.stamp == stamp {
            (signer, nodeID) = (kept.signer, kept.nodeID)
        } else {
            let file = try KeyFile.read(keyFile)
            (signer, nodeID) = (TicketSigner(key: file.key, keyID: file.keyID), file.nodeID)
            node.signerCache = SignerCache(stamp: stamp, signer: signer, nodeID: nodeID)
        }
        guard nodeID == (try node.settings().nodeID),
            try db.scalar(
                """
                SELECT 1 FROM signing_key WHERE public_key = ? AND node_id = ? AND retired_at IS NULL AND revoked_after IS NULL
                """, [signer.key.publicKey, nodeID], as: Int.self) != nil
        else {
            throw Self.noKey(
                "the key in \(keyFile) is not this node's signing key in force (retired, revoked by head office, or "
                    + "another database's)")
        }
        return signer
    }

    static func noKey(_ problem: String) -> TicketingError {
        .rejected(
            code: "no_signing_key",
            message: "\(problem); tickets cannot be signed: an admin makes a new key with 'boxoffice keys rotate'")
    }
}

/// What identifies a version of the key file: a rotation renames a new file into place, and a
/// `chmod` changes its mode and status time (a file opened to others is read again, and refused).
struct KeyFileStamp: Equatable {
    let device: UInt64
    let inode: UInt64
    let mode: UInt32
    let modified: (seconds: Int, nanoseconds: Int)
    let changed: (seconds: Int, nanoseconds: Int)

    init(_ info: stat) {
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        mode = UInt32(info.st_mode)
        modified = (info.st_mtim.tv_sec, info.st_mtim.tv_nsec)
        changed = (info.st_ctim.tv_sec, info.st_ctim.tv_nsec)
    }

    static func == (left: KeyFileStamp, right: KeyFileStamp) -> Bool {
        left.device == right.device && left.inode == right.inode && left.mode == right.mode
            && left.modified == right.modified && left.changed == right.changed
    }
}

/// The key file: `key=value` lines, the seed in hex.
struct KeyFile {
    let nodeID: String
    let keyID: UInt16
    let createdAt: Timestamp
    let key: Ed25519PrivateKey

    func write(to path: String) throws {
        let text = """
            # Ticket signing key of node \(nodeID) (Ed25519). Secret: never copy it to another node.
            # A new one: boxoffice keys rotate. The public half is in 'boxoffice keys list'.
            node_id=\(nodeID)
            key_id=\(keyID)
            created_at=\(createdAt)
            seed=\(Hex.encode(seed))

            """
        do {
            try AtomicFile.write(Array(text.utf8), to: path, mode: 0o600)
        } catch let error as AtomicFileError {
            throw TicketingError.rejected(code: "key_file", message: error.message)
        }
    }

    private var seed: [UInt8] { key.seed }

    /// Throws the sales' refusal (`no_signing_key`) for a file that cannot be read, is open to
    /// other users, or is damaged.
    static func read(_ path: String) throws -> KeyFile {
        let bytes: [UInt8]
        do {
            bytes = try SecretFile.read(path, named: "the ticket signing key")
        } catch let error as SecretFileError {
            throw SigningKeys.noKey(error.message)
        }
        var fields = [String: String]()
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") where !line.hasPrefix("#") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            fields[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        guard let nodeID = fields["node_id"], let keyID = fields["key_id"].flatMap({ UInt16($0) }),
            let createdAt = fields["created_at"].flatMap({ Timestamp(iso8601: $0) }),
            let key = fields["seed"].flatMap(Hex.decode).flatMap({ Ed25519PrivateKey(seed: $0) }),
            SignedTicketCode.keyID(of: key.publicKey) == keyID
        else {
            throw SigningKeys.noKey("the ticket signing key \(path) is damaged")
        }
        return KeyFile(nodeID: nodeID, keyID: keyID, createdAt: createdAt, key: key)
    }
}

extension VenueNode {
    /// This node's ticket signing keys.
    public var signingKeys: SigningKeys { SigningKeys(node: self) }
}
