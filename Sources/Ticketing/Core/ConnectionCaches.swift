import EdgeStore

/// The node's settings as this connection last read them, and the rule for when they must be
/// read again: when another connection committed (`PRAGMA data_version` moved) or this one wrote
/// them (``noteWrite(in:)``). What a transaction that wrote them reads is not kept, nor what a
/// rehearsal reads: either may yet roll back.
struct SettingsCache {
    /// Settings writes through this connection.
    private var writes = 0
    /// The transaction (``EdgeStore/Database/transactionsBegun``) that last wrote them here.
    private var writtenIn: Int?
    private var kept: (settings: NodeSettings, dataVersion: Int64, writes: Int)?

    /// Called by ``NodeSettings/save(to:)`` before it writes.
    mutating func noteWrite(in transaction: Int) {
        writes += 1
        writtenIn = transaction
    }

    /// The settings, read again only when they may have changed.
    mutating func settings(from database: Database) throws -> NodeSettings {
        let current = (dataVersion: try database.scalar("PRAGMA data_version") ?? Int64(0), writes: writes)
        if let kept, kept.dataVersion == current.dataVersion, kept.writes == current.writes {
            return kept.settings
        }
        guard let settings = try NodeSettings.load(database) else {
            throw TicketingError.rejected(code: "not_initialised", message: "this database is not an initialised node")
        }
        if !database.isRehearsing, !database.isInTransaction || writtenIn != database.transactionsBegun {
            kept = (settings, current.dataVersion, current.writes)
        }
        return settings
    }
}

/// What this connection's last general admission compare-and-set left of its event and
/// category, valid in the transaction that made it only (see
/// ``Inventory/leftInThisTransaction(eventID:categoryCode:)``): the next sale of the same turn
/// (an offered one) starts from it instead of reading the rows again.
struct InventoryLeft {
    let transaction: Int
    let snapshot: InventorySnapshot
}

/// The signing key as last read from its file, with the file's stamp: read again when the file
/// changed (see ``SigningKeys/currentSigner()``).
struct SignerCache {
    let stamp: KeyFileStamp
    let signer: TicketSigner
    let nodeID: String
}
