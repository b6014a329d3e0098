import Foundation
import SyncWire
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `boxoffice keys rotate` cut short anywhere, and sales made while it runs: the node always has
/// its key in force in a file, and a sale signs with the key in force at its commit.
@Suite struct KeyRotationTests {
    /// Where a rotation is killed, by its renames: stopped once it has written the new key
    /// (the first: as pending, before its commit), killed on its way to renaming that over the
    /// key file (the second: committed, not renamed), or stopped once it renamed it.
    enum Cut: String, CaseIterable, Sendable {
        case keyWritten, renameNotMade, renamed
    }

    static let sale = ["sell", "SHOW", "--category", "GA", "--qty", "1", "--payment", "cash", "--json"]

    @Test(arguments: Cut.allCases)
    func aRotationKilledAnywhereLeavesTheNodeSelling(_ cut: Cut) throws {
        let node = try CLINode()
        let pending = node.database + ".ticket-key.pending"
        let rotation = try SyscallStop(
            CLINode.binary, ["keys", "rotate"], at: "rename", occurrence: cut == .keyWritten ? 1 : 2,
            signal: cut == .renameNotMade ? "SIGKILL" : "SIGSTOP", environment: node.environment(),
            in: node.directory.path)
        if cut != .renameNotMade {
            #expect(rotation.waitUntilStopped(), "\(rotation.trace)")
            #expect(rotation.trace.contains("\"\(pending)\""), "\(rotation.trace)")
            rotation.kill()
        }
        #expect(rotation.wait().status == SIGKILL, "\(rotation.trace)")
        #expect(rotation.wasSignalled, "\(rotation.trace)")

        try Self.expectSaleAdmitted(node, cut.rawValue)
        #expect(try node.run(["health"]).status == 0, "\(cut)")
        let signing = try Self.signingKeys(node)
        #expect(signing.count == 1, "\(cut): \(signing)")

        try node.expectSuccess(["keys", "rotate"])
        #expect(access(pending, F_OK) != 0, "\(cut): the pending key file is left")
        try Self.expectSaleAdmitted(node, cut.rawValue)
        #expect(try Self.signingKeys(node).count == 1)
    }

    /// A rotation stopped inside its transaction, its new key written: a sale made meanwhile
    /// waits for the rotation's commit and signs with the new key; none is refused.
    @Test func aSaleDuringARotationSignsWithTheKeyInForceAtItsCommit() throws {
        let node = try CLINode()
        let rotation = try SyscallStop(
            CLINode.binary, ["keys", "rotate"], at: "rename", environment: node.environment(),
            in: node.directory.path)
        #expect(rotation.waitUntilStopped(), "\(rotation.trace)")
        let seller = try BackgroundProcess(
            CLINode.binary, Self.sale, environment: node.environment(session: node.cashierSession),
            logDirectory: node.directory.path)
        // The sale is done, or waits in the writers' queue for the rotation to commit.
        #expect(
            waitUntil(timeout: 60) {
                !seller.isRunning || ThreadState.sleepsInFutex(seller.pid, onFile: node.database + "-writer")
            } != nil)
        rotation.resume()
        #expect(rotation.wait().status == 0)
        #expect(seller.wait() == 0, "\(seller.stderr)")

        let signed = try Self.signedCode(seller.stdout)
        guard case .signed(let parsed) = try TicketCode.read(signed) else {
            Issue.record("not a signed code: \(signed)")
            return
        }
        #expect(try Self.signingKeys(node) == [Int(parsed.keyID)], "signed with the key in force at its commit")
        let admitted = try node.cashier(["checkin", signed, "--event", "SHOW", "--json"])
        #expect(admitted.status == 0 && admitted.stdout.contains("\"signature\""), "\(admitted.stderr)")
    }

    /// Sells a ticket and checks it in by its signed code (its signature verified).
    static func expectSaleAdmitted(_ node: CLINode, _ label: String) throws {
        let sale = try node.cashier(Self.sale)
        #expect(sale.status == 0, "\(label): \(sale.stderr)")
        guard sale.status == 0 else { return }
        let admitted = try node.cashier(["checkin", try signedCode(sale.stdout), "--event", "SHOW", "--json"])
        #expect(admitted.status == 0 && admitted.stdout.contains("\"signature\""), "\(label): \(admitted.stderr)")
    }

    static func signedCode(_ json: String) throws -> String {
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        let tickets = object?["tickets"] as? [[String: Any]]
        return try #require(tickets?.first?["signed_code"] as? String, "no ticket in \(json)")
    }

    /// The ids of this node's keys `keys list` says it signs with.
    static func signingKeys(_ node: CLINode) throws -> [Int] {
        let keys = try node.expectSuccess(["keys", "list", "--json"]).stdout
        let list = try JSONSerialization.jsonObject(with: Data(keys.utf8)) as? [[String: Any]] ?? []
        return list.filter { $0["signing"] as? Bool == true }.compactMap { $0["key_id"] as? Int }
    }
}
