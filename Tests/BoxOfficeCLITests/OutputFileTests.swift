import Foundation
import TestSupport
import Testing
import Ticketing

#if canImport(Glibc)
    import Glibc
#endif

/// Files an operator names for a command to write (`scan-list --out`, `print --out`, `seats
/// --svg`, `backup`): never one of the node's own files, whatever name leads to it; never over an
/// existing file without `--force`; never a device or a folder.
@Suite struct OutputFileTests {
    /// Every command that writes a file, aimed at `target`.
    static func writers(_ order: String, _ target: String, force: Bool) -> [[String]] {
        let extra = force ? ["--force"] : []
        return [
            ["scan-list", "SHOW", "--out", target] + extra,
            ["print", order, "--format", "pdf", "--out", target] + extra,
            ["seats", "SHOW", "--svg", target] + extra,
        ] + (force ? [] : [["backup", target]])
    }

    @Test func noCommandWritesOverTheNodesOwnFiles() throws {
        let node = try CLINode()
        let sale = try node.json(
            ["sell", "SHOW", "--category", "MAIN", "--seat", "MAIN-C-4", "--payment", "cash"],
            session: node.cashierSession)
        let order = try #require(sale["order_id"] as? String)
        let keyFile = SigningKeys.keyFile(forDatabase: node.database)
        let key = try Data(contentsOf: URL(fileURLWithPath: keyFile))
        // The same folder by another name, and the key file under a second name.
        let alias = node.directory.file("alias")
        try FileManager.default.createSymbolicLink(atPath: alias, withDestinationPath: node.directory.path)
        let keyLink = node.directory.file("key-copy")
        #expect(link(keyFile, keyLink) == 0)
        let before = try node.dump()
        let targets = [
            node.database, node.database + "-wal", node.database + "-shm", node.database + "-writer",
            node.database + "-journal", keyFile, keyFile + ".pending", node.database + ".syncd.lock",
            node.adminSession, alias + "/venue.sqlite", node.directory.path + "/./venue.sqlite-wal", keyLink,
        ]
        for target in targets {
            for force in [false, true] {
                for arguments in Self.writers(order, target, force: force) {
                    let refused = try node.run(arguments)
                    #expect(
                        refused.status == 2
                            && refused.stderr == "Error: \(target) is one of the node's own files (its database, the "
                                + "files beside it, its signing key, a session or settings file): choose another name\n",
                        "\(arguments): \(refused.status) \(refused.stderr)")
                }
            }
        }
        // Run from the node's folder, as an operator does: the bare name is the database too.
        let inFolder = try ProcessRunner.run(
            "/usr/bin/env",
            ["-C", node.directory.path, CLINode.binary, "scan-list", "SHOW", "--out", "venue.sqlite", "--force"],
            environment: node.environment())
        #expect(inFolder.status == 2 && inFolder.stderr.contains("venue.sqlite is one of the node's own files"))
        #expect(try node.dump() == before)
        #expect(try Data(contentsOf: URL(fileURLWithPath: keyFile)) == key)
        #expect(!FileManager.default.fileExists(atPath: node.database + "-journal"))
        #expect(!FileManager.default.fileExists(atPath: keyFile + ".pending"))
        try node.expectSuccess(["sell", "SHOW", "--category", "GA", "--qty", "1", "--payment", "cash"])
        try node.expectSuccess(["status"])
        try node.expectSuccess(["order", order])
    }

    @Test func anExistingFileIsReplacedOnlyWithForceAndNeverADevice() throws {
        let node = try CLINode()
        let sale = try node.json(
            ["sell", "SHOW", "--category", "MAIN", "--seat", "MAIN-C-4", "--payment", "cash"],
            session: node.cashierSession)
        let order = try #require(sale["order_id"] as? String)
        let target = node.directory.file("earlier.out")
        for arguments in Self.writers(order, target, force: false) {
            try "earlier\n".write(toFile: target, atomically: false, encoding: .utf8)
            let refused = try node.run(arguments)
            let expected =
                arguments[0] == "backup"
                ? "Error: snapshot \(target) already exists: a snapshot never replaces a file\n"
                : "Error: \(target) already exists; give --force to replace it\n"
            #expect(refused.status == 2 && refused.stderr == expected, "\(arguments): \(refused.stderr)")
            #expect(try String(contentsOfFile: target, encoding: .utf8) == "earlier\n")
        }
        for arguments in Self.writers(order, target, force: true) {
            try "earlier\n".write(toFile: target, atomically: false, encoding: .utf8)
            try node.expectSuccess(arguments)
            #expect(try Data(contentsOf: URL(fileURLWithPath: target)) != Data("earlier\n".utf8))
            #expect((try FileManager.default.attributesOfItem(atPath: target)[.posixPermissions] as? Int) == 0o600)
        }
        for (arguments, what) in [
            (["print", order, "--out", "/dev/null", "--force"], "/dev/null is a device"),
            (["scan-list", "SHOW", "--out", node.directory.path, "--force"], "\(node.directory.path) is a folder"),
            (["seats", "SHOW", "--svg", node.directory.path + "/"], "\(node.directory.path)/ names a folder"),
        ] {
            let refused = try node.run(arguments)
            #expect(refused.status == 2 && refused.stderr.hasPrefix("Error: \(what)"), "\(refused.stderr)")
        }
        let stray = try FileManager.default.contentsOfDirectory(atPath: node.directory.path).filter {
            $0.contains(".tmp-") || $0.hasSuffix(".partial")
        }
        #expect(stray.isEmpty, "\(stray)")
        let force = try node.run(["print", order, "--force"])
        #expect(force.status == 2 && force.stderr.hasPrefix("Error: --force goes with --out FILE"))
    }

    /// The seat map shows which seats are checked in: staff only, as the API's, and 0600.
    @Test func theSeatMapIsForStaff() throws {
        let node = try CLINode()
        let svg = node.directory.file("hall.svg")
        let anyone = try node.run(["seats", "SHOW", "--svg", svg], session: node.directory.file("nobody.session"))
        #expect(anyone.status == 5 && anyone.stderr.contains("not logged in"), "\(anyone.stderr)")
        #expect(!FileManager.default.fileExists(atPath: svg))
        #expect(try node.cashier(["seats", "SHOW", "--svg", svg]).status == 0, "a cashier draws the hall")
        #expect((try FileManager.default.attributesOfItem(atPath: svg)[.posixPermissions] as? Int) == 0o600)
        #expect(try node.run(["seats", "SHOW"], session: node.directory.file("nobody.session")).status == 0)
    }

    /// Every file a node makes beside its database is one ``NodeFiles`` counts as the node's.
    @Test func everyFileANodeKeepsBesideItsDatabaseIsItsOwn() throws {
        let node = try CLINode()
        let before = Set(try FileManager.default.contentsOfDirectory(atPath: node.directory.path))
        try node.expectSuccess(["sell", "SHOW", "--category", "GA", "--qty", "1", "--payment", "cash"])
        try node.expectSuccess(["keys", "rotate"])
        let snapshot = node.directory.file("snapshot.sqlite")
        try node.expectSuccess(["backup", snapshot])
        try node.expectSuccess(["restore", snapshot])
        let made = Set(try FileManager.default.contentsOfDirectory(atPath: node.directory.path))
            .subtracting(before).filter { !$0.hasPrefix("snapshot.sqlite") }
        #expect(made.contains { $0.hasPrefix("venue.sqlite.replaced-") }, "\(made)")
        let all = made.union(before.filter { $0.hasPrefix("venue.sqlite") })
        #expect(all.contains("venue.sqlite.ticket-key") && all.contains("venue.sqlite-writer"), "\(all)")
        for name in all { #expect(NodeFiles.owns(name, databaseName: "venue.sqlite"), "\(name)") }
        for name in ["snapshot.sqlite", "admin.session", "venue.sqlite.json", "venue.sqlite2", "tickets.pdf"] {
            #expect(!NodeFiles.owns(name, databaseName: "venue.sqlite"), "\(name)")
        }
    }
}
