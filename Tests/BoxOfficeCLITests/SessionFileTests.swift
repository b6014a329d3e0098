import Foundation
import TestSupport
import Testing

/// The session file: `key=value` lines, readable by its owner only; a file an earlier version
/// wrote as JSON still signs its cashier in; a damaged one is refused with the way out.
@Suite struct SessionFileTests {
    @Test func linesTheOwnerAloneCanRead() throws {
        let node = try CLINode()
        let text = try String(contentsOfFile: node.cashierSession, encoding: .utf8)
        let keys = text.split(separator: "\n").compactMap { $0.split(separator: "=", maxSplits: 1).first }
        #expect(keys == ["token", "staff", "role", "node_id", "expires_at"], "\(text)")
        #expect(text.contains("staff=cal\n") && text.contains("role=cashier\n"))
        let mode = try FileManager.default.attributesOfItem(atPath: node.cashierSession)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let sale = try node.cashier(["sell", "SHOW", "--category", "GA", "--qty", "1", "--payment", "cash"])
        #expect(sale.status == 0, "\(sale.stderr)")
    }

    @Test func aSessionAnEarlierVersionWroteAsJSONStillWorks() throws {
        let node = try CLINode()
        let fields = Dictionary(
            uniqueKeysWithValues: try String(contentsOfFile: node.cashierSession, encoding: .utf8).split(
                separator: "\n"
            )
            .map { line -> (String, String) in
                let parts = line.split(separator: "=", maxSplits: 1)
                return (String(parts[0]), String(parts[1]))
            })
        let json = try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
        try json.write(to: URL(fileURLWithPath: node.cashierSession))
        let sale = try node.cashier(["sell", "SHOW", "--category", "GA", "--qty", "1", "--payment", "cash"])
        #expect(sale.status == 0, "\(sale.stderr)")
    }

    @Test(arguments: ["", "token=abc\n", "{\"token\": 1}", "token\nstaff=cal\n", "garbage"])
    func aDamagedSessionIsRefused(content: String) throws {
        let node = try CLINode()
        try content.write(toFile: node.cashierSession, atomically: false, encoding: .utf8)
        let result = try node.cashier(["sell", "SHOW", "--category", "GA", "--qty", "1", "--payment", "cash"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("damaged") && result.stderr.contains("boxoffice login"), "\(result.stderr)")
        #expect(try node.count("SELECT count(*) FROM orders") == 0)
    }
}
