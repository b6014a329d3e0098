import Central
import Foundation
import MySQLClient
import SyncWire
import TestSupport
import Testing

@testable import Ticketing

/// The reference file's `parameters` are central data: a node that joins through central, as the
/// README's steps have it (init, then venue-syncd, no local import), sells and mails under them,
/// and follows when head office imports new ones.
@Suite struct NodeParametersTests {
    static func parametersFile(_ world: SyncWorld, _ name: String, _ parameters: String) throws -> String {
        let file = world.directory.file(name)
        try """
        { "format": "venue-reference/1", "parameters": \(parameters),
          "venues": [], "events": [], "allocations": [], "staff": [] }
        """.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    @Test func aNodeThatJoinsThroughCentralSellsAndMailsUnderCentralsParameters() throws {
        let world = try SyncWorld()
        let first = try Self.parametersFile(
            world, "parameters.json",
            """
            { "currency": "EUR", "hold_ttl": "5m", "max_tickets_per_order": 10,
              "mail_from": "Sync Hall Box Office <boxoffice@sync-hall.example>" }
            """)
        let imported = try world.central(["import", first])
        #expect(
            imported.status == 0
                && imported.stdout.contains("catalog changes published: 1 (node parameters among them)"),
            "\(imported.stdout)\(imported.stderr)")
        #expect(try world.central(["import", first]).stdout.hasSuffix("catalog changes published: 0\n"))
        let bad = try Self.parametersFile(world, "bad.json", #"{ "max_tickets_per_order": 0 }"#)
        let refused = try world.central(["import", bad])
        #expect(refused.status == 2 && refused.stderr.contains("max_tickets_per_order must be 1 to 100"))

        let node = try world.makeNode("NODE-A")
        #expect(try node.node.settings().maxTicketsPerOrder == 20, "built-in until the node joins")
        #expect(try world.syncOnce(node).status == 0)
        let settings = try node.node.settings()
        #expect(settings.maxTicketsPerOrder == 10 && settings.holdTTLSeconds == 300)
        #expect(settings.mailFrom == "Sync Hall Box Office <boxoffice@sync-hall.example>")
        let eleven = try world.boxoffice(
            node, ["sell", "BIG", "--category", "FLOOR", "--qty", "11", "--payment", "cash", "--tendered", "11000"])
        #expect(eleven.status == 2 && eleven.stderr.contains("from 1 to 10, not 11"), "\(eleven.stderr)")
        let sold = try world.boxoffice(
            node,
            [
                "sell", "BIG", "--category", "FLOOR", "--qty", "2", "--payment", "cash", "--tendered", "2000",
                "--customer", "fan@example.org",
            ])
        #expect(sold.status == 0, "\(sold.stderr)")
        let spool = world.directory.file("spool")
        #expect(try world.boxoffice(node, ["notifications", "send", "--spool", spool]).status == 0)
        let mails = try FileManager.default.contentsOfDirectory(atPath: spool).filter { $0.hasSuffix(".eml") }
        let mail = try String(contentsOfFile: spool + "/" + #require(mails.first), encoding: .utf8)
        #expect(mail.contains("From: Sync Hall Box Office <boxoffice@sync-hall.example>"), "\(mail)")

        // Head office changes one parameter: the node follows; the others stay.
        let second = try Self.parametersFile(world, "parameters-2.json", #"{ "max_tickets_per_order": 12 }"#)
        #expect(try world.central(["import", second]).status == 0)
        #expect(try world.syncOnce(node).status == 0)
        let after = try node.node.settings()
        #expect(after.maxTicketsPerOrder == 12 && after.mailFrom == settings.mailFrom)
        #expect(try node.count("SELECT count(*) FROM audit_log WHERE action = 'settings.changed'") == 2)
    }
}
