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
///
/// A rotation writes the new key to `venue.sqlite.ticket-key.pending` in its transaction and
/// renames it over the key file only once that has committed, under the write lock again: a
/// rotation cut short leaves the key in force in one of the two files, and a sale signs with the
/// one whose key is in force at its commit.
public struct SigningKeys {
    let node: VenueNode
    var db: Database { node.database }

    /// The key file of the database at `databasePath`.
    public static func keyFile(forDatabase databasePath: String) -> String { databasePath + ".ticket-key" }

    var keyFile: String { Self.keyFile(forDatabase: db.path) }

    /// The key file of a rotation that has not yet put its key in place.
    static func pendingKeyFile(forDatabase databasePath: String) -> String {
        keyFile(forDatabase: databasePath) + ".pending"
    }

    var pendingKeyFile: String { Self.pendingKeyFile(forDatabase: db.path) }

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

    /// Makes a new key and retires the keys before it (they keep verifying what they signed).
    /// Admins. The new key's file is written as the pending one inside the transaction that
    /// records the key, and renamed over the key file once that has committed: a failed write
    /// or commit leaves the old key in force, a rename not made leaves the new one pending, and
    /// sales go on with whichever is in force.
    public func rotate(by actor: Operator) throws -> SigningKeyInfo {
        try actor.require(.admin, to: "rotating the ticket signing key")
        let key = try db.write { try makeKey(by: actor.name) }
        try db.write { _ = try adoptPendingKey() }
        return try list().first { $0.publicKey == Hex.encode(key.publicKey) }!
    }

    /// Makes the first key when the node has none of its own in force (at `init`, and for a
    /// database made before tickets were signed, at `migrate`). Nil when it has one.
    @discardableResult
    func ensureKey(by actor: String) throws -> Ed25519PrivateKey? {
        let key = try db.write { () -> Ed25519PrivateKey? in
            let own = try node.settings().nodeID
            let current: Int =
                try db.scalar(
                    "SELECT count(*) FROM signing_key WHERE node_id = ? AND retired_at IS NULL AND revoked_after IS NULL",
                    [own]) ?? 0
            guard current == 0 || (try? currentSigner(adopting: true)) == nil else { return nil }
            return try makeKey(by: actor)
        }
        if key != nil { try db.write { _ = try adoptPendingKey() } }
        return key
    }

    /// Inside a write transaction: puts a key an earlier rotation left pending in place, retires
    /// this node's keys, records a new one and writes it as the pending key file.
    private func makeKey(by actor: String) throws -> Ed25519PrivateKey {
        _ = try adoptPendingKey()
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
        try KeyFile(nodeID: own, keyID: keyID, createdAt: now, key: key).write(to: pendingKeyFile)
        return key
    }

    /// Inside a write transaction, whose lock keeps every rotation out: renames the pending key
    /// file over the key file when its key is this node's in force (a rotation committed it),
    /// and removes it when its key is not (a rotation that never committed); one it cannot read
    /// is left as it is. The signer it put in place; nil when there was none. Not in the
    /// transaction of a rotation before it commits: its own key would look in force.
    func adoptPendingKey() throws -> TicketSigner? {
        guard access(pendingKeyFile, F_OK) == 0, let file = try? KeyFile.read(pendingKeyFile) else { return nil }
        guard try inForce(file.key.publicKey, of: file.nodeID) else {
            unlink(pendingKeyFile)
            return nil
        }
        guard rename(pendingKeyFile, keyFile) == 0 else {
            throw Self.noKey(
                "the key in force is in \(pendingKeyFile), which cannot be renamed to \(keyFile) "
                    + "(\(String(cString: strerror(errno))))")
        }
        return TicketSigner(key: file.key, keyID: file.keyID)
    }

    /// True when `publicKey`, of node `nodeID`, is this node's key, neither retired nor revoked.
    private func inForce(_ publicKey: [UInt8], of nodeID: String) throws -> Bool {
        try nodeID == node.settings().nodeID
            && db.scalar(
                """
                SELECT 1 FROM signing_key WHERE public_key = ? AND node_id = ? AND retired_at IS NULL AND revoked_after IS NULL
                """, [publicKey, nodeID], as: Int.self) != nil
    }

    private func publish(_ record: SigningKeyRecord) throws {
        try node.outbox.append(.signingKeyPublished, id: "\(record.nodeID)/\(record.keyID)", payload: record)
    }

    /// The key this node signs with: the key file's, when it is this node's key in force
    /// (neither retired nor revoked: a revocation pulled by the daemon stops sales here at once),
    /// else the pending key file's (a rotation committed and has not yet renamed it). The key file
    /// is read again only when it changed (a rotation renames a new one into place), so a sale
    /// pays one `stat` and one look-up of the key's row for it. `adopting`, inside a write
    /// transaction (a sale's): a pending key in force is renamed into place (``adoptPendingKey()``).
    func currentSigner(adopting: Bool = false) throws -> TicketSigner {
        var problem: (any Error)?
        // Outside the write lock a rotation may rename the pending file between the two looks:
        // they are taken once more.
        for _ in 0..<2 {
            do { return try keyFileSigner() } catch { problem = error }
            if adopting {
                if let adopted = try adoptPendingKey() { return adopted }
            } else if access(pendingKeyFile, F_OK) == 0, let file = try? KeyFile.read(pendingKeyFile),
                try inForce(file.key.publicKey, of: file.nodeID)
            {
                return TicketSigner(key: file.key, keyID: file.keyID)
            }
        }
        throw problem!
    }

    /// The key in the key file, when it is this node's key in force.
    private func keyFileSigner() throws -> TicketSigner {
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
        guard try inForce(signer.key.publicKey, of: nodeID) else {
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
