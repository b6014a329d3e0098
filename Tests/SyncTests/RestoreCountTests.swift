import Foundation
import TestSupport
import Testing

/// Restores one after another before `venue-syncd` has taken back from central: what each says it
/// carries over or drops is what the database it replaces holds that the snapshot lacks and
/// central never acknowledged, each fact once.
@Suite(.serialized) struct RestoreCountTests {
    private func syncOnce(_ world: SyncWorld, _ path: String) throws -> ProcessResult {
        try SyncWorld.run("venue-syncd", ["--db", path, "--once"], clock: nil, environment: world.environment)
    }

    private func restore(_ world: SyncWorld, _ path: String, _ arguments: [String]) throws -> [String: Any] {
        let result = try world.boxoffice(path: path, ["restore"] + arguments + ["--json"])
        #expect(result.status == 0, "\(result.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    @Test func restoresBeforeTheTakeBackCountEachUnacknowledgedFactOnce() throws {
        let world = try SyncWorld()
        let path = try world.makeNodeFile("NODE-A")
        #expect(try syncOnce(world, path).status == 0)
        let sale = ["sell", "BIG", "--category", "FLOOR", "--qty", "1", "--payment", "cash"]
        for _ in 0..<5 { #expect(try world.boxoffice(path: path, sale).status == 0) }
        let snapshot = world.directory.file("snap0.sqlite")
        #expect(try world.boxoffice(path: path, ["backup", snapshot]).status == 0)
        #expect(try syncOnce(world, path).status == 0)
        #expect(try world.centralOrders(node: "NODE-A").count == 5)

        // Central holds all five, and so does the snapshot: nothing to carry over or drop, however often.
        for arguments in [[snapshot], [snapshot], [snapshot, "--discard-unpushed"]] {
            let outcome = try restore(world, path, arguments)
            #expect(outcome["to_carry_over"] as? Int == 0, "\(arguments): \(outcome)")
            #expect(outcome["discarded"] as? Int == 0, "\(arguments): \(outcome)")
        }
        let dropped = try world.boxoffice(path: path, ["restore", snapshot, "--discard-unpushed"])
        #expect(dropped.status == 0 && !dropped.stdout.contains("Dropped"), "\(dropped.stdout)")

        // Two sales central never had (no push since): each restore counts two, once each.
        #expect(try syncOnce(world, path).status == 0)
        for _ in 0..<2 { #expect(try world.boxoffice(path: path, sale).status == 0) }
        for arguments in [[snapshot], [snapshot]] {
            let outcome = try restore(world, path, arguments)
            #expect(outcome["to_carry_over"] as? Int == 2, "\(outcome)")
            #expect(outcome["sales_to_carry_over"] as? Int == 2, "\(outcome)")
        }
        let discarded = try world.boxoffice(path: path, ["restore", snapshot, "--discard-unpushed"])
        #expect(
            discarded.status == 0
                && discarded.stdout.contains("Dropped 2 facts central never acknowledged (2 sales)"),
            "\(discarded.stdout)\(discarded.stderr)")
        #expect(try syncOnce(world, path).status == 0)
        #expect(try world.centralOrders(node: "NODE-A").count == 5)
        let orders = try ProcessRunner.run("/usr/bin/sqlite3", [path, "SELECT count(*) FROM orders"])
        #expect(orders.stdout == "5\n")
    }
}
