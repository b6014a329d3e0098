import Foundation
import TestSupport
import Testing

/// What a restore brings back of the counter that central never holds: staff accounts with
/// their passwords, accounts changed after the snapshot, and cash drawers with the cash sales
/// carried over into them.
@Suite struct RestoreCounterTests {
    /// A cashier added after the snapshot opens her drawer and sells for cash; an account is
    /// disabled after it. After the restore she logs in with her password, her drawer counts its
    /// float and her sales and closes balanced, and the disabled account stays disabled.
    @Test func staffAndDrawersMadeAfterTheSnapshotComeBackUsable() throws {
        let node = try CLINode()
        let snapshot = node.directory.file("snap.sqlite")
        try node.expectSuccess(["backup", snapshot])
        let zoe = node.directory.file("zoe.session")
        try node.expectSuccess(["users", "add", "zoe", "--role", "cashier"], stdin: "zoe-password\n")
        try node.expectSuccess(["login", "zoe"], stdin: "zoe-password\n", session: zoe)
        try node.expectSuccess(["drawer", "open", "--float", "20000"], session: zoe)
        for _ in 0..<2 {
            try node.expectSuccess(
                ["sell", "SHOW", "--category", "GA", "--qty", "2", "--payment", "cash", "--tendered", "10000"],
                session: zoe)
        }
        try node.expectSuccess(["users", "disable", "cal"])

        let restored = try node.expectSuccess(["restore", snapshot])
        #expect(
            restored.stdout.contains(
                "Carried over from the replaced database: 1 staff accounts added, 1 brought up to date, 1 cash drawers."
            ), "\(restored.stdout)")
        #expect(restored.stdout.contains("Carried over 2 facts central never acknowledged (2 sales)"))

        let again = node.directory.file("zoe-again.session")
        let login = try node.run(["login", "zoe"], stdin: "zoe-password\n", session: again)
        #expect(login.status == 0, "zoe cannot log in after the restore: \(login.stderr)")
        let drawer = try node.run(["drawer", "status"], session: again)
        #expect(
            drawer.status == 0 && drawer.stdout.contains("Float:        200.00 EUR")
                && drawer.stdout.contains("Cash sales:   100.00 EUR")
                && drawer.stdout.contains("Expected:     300.00 EUR"), "\(drawer.stdout)\(drawer.stderr)")
        let closed = try node.run(["drawer", "close", "--counted", "30000"], session: again)
        #expect(closed.status == 0 && closed.stdout.contains("Balanced."), "\(closed.stdout)\(closed.stderr)")
        let day = try StrictCSV.rows(node.expectSuccess(["report", "day", "--csv"]).stdout, filled: ["section"])
        let drawers = day.filter { $0["section"] == "drawer" }
        #expect(
            drawers.count == 1 && drawers.first?["name"]?.hasSuffix(" zoe") == true
                && drawers.first?["over_short_minor"] == "0", "\(day)")

        let ended = try node.cashier(["sell", "SHOW", "--category", "GA", "--qty", "1", "--payment", "cash"])
        #expect(ended.status == 5 && ended.stderr.contains("not logged in"), "cal's session lives on: \(ended.stderr)")
        let disabled = try node.run(["login", "cal"], stdin: "cal-password\n", session: node.directory.file("cal"))
        #expect(disabled.status == 5 && disabled.stderr.contains("disabled"), "\(disabled.stderr)")
        let users = try node.expectSuccess(["users", "list"]).stdout.split(separator: "\n")
        #expect(users.contains { $0.hasPrefix("cal ") && $0.hasSuffix("disabled") }, "\(users)")
        #expect(users.contains { $0.hasPrefix("zoe ") && $0.hasSuffix("active") }, "\(users)")
        #expect(try node.inventoryViolations().isEmpty)
    }
}
