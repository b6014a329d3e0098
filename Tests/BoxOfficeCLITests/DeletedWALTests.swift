import EdgeStore
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The `-wal` deleted while another process (here the test, in `venue-syncd`'s place) still has it
/// open with committed frames in it: the `-shm` indexes frames that the new, empty `-wal` a
/// `boxoffice` process opens does not hold. The sale is refused as `store_detached`, as the README
/// says, not as a disk error; once that process has closed the database, the next sale is made
/// (what only the deleted `-wal` held is lost with it, as docs/operations.md says).
@Suite struct DeletedWALTests {
    @Test func aSaleRightAfterTheWALWasDeletedIsRefusedAsDetached() throws {
        let node = try CLINode()
        var holder: Database? = try Database(path: node.database)
        _ = try holder!.rows("PRAGMA wal_checkpoint(TRUNCATE)")
        try holder!.execute("UPDATE staff SET updated_at = updated_at + 1")
        #expect(FileManager.default.fileExists(atPath: node.database + "-wal"))
        #expect(unlink(node.database + "-wal") == 0)

        let sale = ["sell", "SHOW", "--category", "GA", "--qty", "1", "--payment", "cash"]
        let refused = try node.cashier(sale + ["--json"])
        #expect(refused.status == 1, "\(refused.stdout)\(refused.stderr)")
        let error = try JSONSerialization.jsonObject(with: Data(refused.stdout.utf8)) as? [String: [String: Any]]
        #expect(error?["error"]?["code"] as? String == "store_detached", "\(refused.stdout)\(refused.stderr)")
        let text = try node.cashier(sale)
        #expect(
            text.status == 1 && text.stderr.contains("deleted or replaced") && !text.stderr.contains("disk I/O"),
            "\(text.stderr)")
        holder = nil
        let made = try node.cashier(sale)
        #expect(made.status == 0, "\(made.stderr)")
        #expect(try node.count("SELECT count(*) FROM orders") == 1)
    }
}
