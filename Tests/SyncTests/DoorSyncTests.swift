import Central
import Foundation
import MySQLClient
import SyncWire
import TestSupport
import Testing

@testable import Ticketing

/// The doors of a venue through central: signing keys reach every node, a ticket sold at one
/// node gets in at another, its admission reaches the rest, refunds too; two doors apart let
/// the same ticket in and reconciliation finds it; a stolen node's key is revoked; tickets sold
/// before signing still get in everywhere through central's word.
@Suite struct DoorSyncTests {
    /// ``SyncWorld``'s venue with BIG starting in an hour: its doors are open, so an offline
    /// scanner's reads of now are taken.
    static func worldWithBigTonight() throws -> SyncWorld {
        let world = try SyncWorld(importFixture: false)
        let file = world.directory.file("central.json")
        let start = ISO8601DateFormatter().string(from: Date().addingTimeInterval(3600))
        try SyncWorld.fixture.replacingOccurrences(of: "2030-03-01T20:00:00Z", with: start).write(
            toFile: file, atomically: true, encoding: .utf8)
        _ = try CentralCatalog(connection: world.central).importReference(file: file, now: world.clock.now())
        return world
    }

    /// The signed codes of a sale, from the node that made it.
    static func signedCodes(_ node: SyncNode, _ receipt: Receipt) throws -> [String] {
        try node.node.orders.details(receipt.orderID).order.tickets.compactMap(\.signedCode)
    }

    @Test func aTicketSoldOnOneNodeIsLetInOnAnotherAndRefusedOnAThird() throws {
        let world = try SyncWorld()
        let (a, b, c) = (try world.makeNode("NODE-A"), try world.makeNode("NODE-B"), try world.makeNode("NODE-C"))
        for node in [a, b, c] { #expect(try world.syncOnce(node).status == 0) }
        for node in [a, b, c] { #expect(try world.syncOnce(node).status == 0) }  // every key everywhere
        #expect(try b.count("SELECT count(*) FROM signing_key") == 3)
        #expect(
            try world.central.scalar(
                "SELECT COUNT(*) FROM change_log WHERE change_type = 'signing_key' AND node_id = '*'")
                == 3)

        // A sells and does not sync: B checks the ticket in by its signature alone.
        let sale = try a.sell("BIG", "FLOOR", .quantity(3))
        let codes = try Self.signedCodes(a, sale)
        let admitted = try world.boxoffice(b, ["checkin", codes[0], "--event", "BIG", "--gate", "North", "--json"])
        #expect(admitted.status == 0, "\(admitted.stderr)")
        let welcome = try JSONSerialization.jsonObject(with: Data(admitted.stdout.utf8)) as? [String: Any]
        #expect(welcome?["sold_by"] as? String == "NODE-A" && welcome?["verified_by"] as? String == "signature")
        #expect(try world.syncOnce(b).status == 0)
        #expect(try world.syncOnce(c).status == 0)
        let refused = try world.boxoffice(c, ["checkin", codes[0], "--event", "BIG"])
        #expect(refused.status == 1)
        #expect(
            refused.stderr.contains("was already checked in at") && refused.stderr.contains("gate North, by NODE-B"))

        // A's sale reaches central after the admission: central's ticket takes it. A learns of it.
        #expect(try world.syncOnce(a).status == 0)
        #expect(
            try world.central.scalar("SELECT status FROM ticket WHERE code = ?", [sale.tickets[0].code]) == "checked_in"
        )
        #expect(try a.count("SELECT count(*) FROM ticket WHERE status = 'checked_in'") == 1)
        #expect(try world.boxoffice(a, ["checkin", sale.tickets[0].code, "--event", "BIG"]).status == 1)

        // A refunds one: after the syncs no door lets it in.
        _ = try a.node.refunds.refund(
            orderID: sale.orderID, ticketCodes: [sale.tickets[1].code], reason: "ill", by: a.admin)
        #expect(try world.syncOnce(a).status == 0)
        #expect(try world.syncOnce(c).status == 0)
        let refunded = try world.boxoffice(c, ["checkin", codes[1], "--event", "BIG"])
        #expect(
            refunded.status == 1 && refunded.stderr.contains("(at NODE-A), not valid for entry"), "\(refunded.stderr)")
        // A forged code, and the third ticket, which gets in at C.
        var forged = Array(codes[2])
        forged[60] = forged[60] == "A" ? "B" : "A"
        #expect(try world.boxoffice(c, ["checkin", String(forged), "--event", "BIG"]).status == 1)
        #expect(try world.boxoffice(c, ["checkin", codes[2], "--event", "BIG"]).status == 0)
        #expect(try world.syncOnce(c).status == 0)
        #expect(
            try world.central.scalar("SELECT COUNT(*) FROM ticket_admission WHERE event_id = 'BIG'") == 2)
        let clean = try world.central(["reconcile"])
        #expect(!clean.stdout.contains("ticket_admitted_twice"), "\(clean.stdout)")
    }

    /// Two nodes let the same ticket in while central is down: each decides alone, both admissions
    /// reach central once it is back, and reconciliation finds the ticket let in twice.
    @Test func theSameTicketLetInAtTwoNodesWhileCentralIsDownIsFoundByReconcile() throws {
        let world = try SyncWorld(privateServer: true)
        let (a, b) = (try world.makeNode("NODE-A"), try world.makeNode("NODE-B"))
        for node in [a, b, a, b] { #expect(try world.syncOnce(node).status == 0) }
        let sale = try a.sell("BIG", "FLOOR", .quantity(1))
        let code = try Self.signedCodes(a, sale)[0]
        try world.server.stop()
        #expect(try world.syncOnce(a).status == 75)
        #expect(try world.boxoffice(a, ["checkin", code, "--event", "BIG", "--gate", "Stalls"]).status == 0)
        #expect(try world.boxoffice(b, ["checkin", code, "--event", "BIG", "--gate", "Circle"]).status == 0)
        try world.server.start()
        #expect(try world.syncOnce(a).status == 0)
        #expect(try world.syncOnce(b).status == 0)
        let report = try world.central(["reconcile", "--json"])
        #expect(report.status == 10, "\(report.stdout)\(report.stderr)")
        #expect(report.stdout.contains("ticket_admitted_twice/\(sale.tickets[0].code)"))
        #expect(report.stdout.contains("Stalls") && report.stdout.contains("Circle"))
    }

    /// A stolen node's key revoked after a time: its tickets central received before then still
    /// get in at the other doors, those it signs after do not; tickets sold before signing get in
    /// everywhere once central vouches for them.
    @Test func aRevokedKeyAndTicketsSoldBeforeSigning() throws {
        let world = try SyncWorld()
        let (a, b) = (try world.makeNode("NODE-A"), try world.makeNode("NODE-B"))
        for node in [a, b, a, b] { #expect(try world.syncOnce(node).status == 0) }
        let before = try a.sell("BIG", "FLOOR", .quantity(1))
        // A ticket sold before signing: no signature, as an older release sold it.
        let old = try a.sell("SMALL", "GA", .quantity(1))
        try a.node.database.execute(
            "UPDATE ticket SET key_id = NULL, signature = NULL WHERE order_id = ?", [old.orderID])
        #expect(try world.syncOnce(a).status == 0)
        try world.central.execute("UPDATE ticket SET signed = 0 WHERE order_id = ?", [old.orderID])
        let cut = world.clock.now()
        let after = try a.sell("BIG", "FLOOR", .quantity(1))

        // A cut still to come would refuse the tickets central receives before it: refused.
        let future = Timestamp(milliseconds: cut.milliseconds + 3_600_000)
        let early = try world.central([
            "keys", "revoke", "NODE-A", "--after", future.description, "--reason", "box office PC stolen",
        ])
        #expect(early.status == 2 && early.stderr.contains("is later than central's clock"), "\(early.stderr)")
        for reason in ["", "  "] {
            let silent = try world.central(["keys", "revoke", "NODE-A", "--after", cut.description, "--reason", reason])
            #expect(silent.status == 2 && silent.stderr.contains("--reason must say why"), "\(silent.stderr)")
        }
        #expect(try world.central.scalar("SELECT COUNT(*) FROM node_key WHERE revoked_after IS NOT NULL") == 0)
        #expect(try world.central.scalar("SELECT COUNT(*) FROM node_revocation") == 0)
        let revoked = try world.central([
            "keys", "revoke", "NODE-A", "--after", cut.description, "--reason", "box office PC stolen",
        ])
        #expect(revoked.status == 0 && revoked.stdout.contains("1 ticket(s) received before then"), "\(revoked.stdout)")
        let caughtUp = try world.central(["door", "catch-up", "--json"])
        #expect(caughtUp.status == 0 && caughtUp.stdout.contains("\"vouched\""), "\(caughtUp.stderr)")
        #expect(try world.syncOnce(b).status == 0)
        #expect(try b.count("SELECT count(*) FROM signing_key WHERE revoked_after IS NOT NULL") == 1)
        #expect(try world.boxoffice(b, ["checkin", try Self.signedCodes(a, before)[0], "--event", "BIG"]).status == 0)
        let refused = try world.boxoffice(b, ["checkin", try Self.signedCodes(a, after)[0], "--event", "BIG"])
        let keyID = try #require(try a.node.signingKeys.list().first { $0.signing }?.keyID)
        #expect(
            refused.status == 1
                && refused.stderr.contains(
                    "ticket \(after.tickets[0].code) is signed by NODE-A's key \(keyID), revoked from \(cut) (box "
                        + "office PC stolen), and is not among that key's tickets central received before then"),
            "\(refused.stderr)")
        let unsigned = try world.boxoffice(b, ["checkin", old.tickets[0].code, "--event", "SMALL", "--json"])
        #expect(unsigned.status == 0 && unsigned.stdout.contains("vouched"), "\(unsigned.stderr)")
        // A, its key revoked, signs nothing until it has a new one (which central stores revoked
        // too: the whole node is, as aNodeRevokedAsAWholeStaysRevokedThroughARotation shows).
        #expect(try world.syncOnce(a).status == 0)
        #expect(throws: TicketingError.self) { try a.sell("BIG", "FLOOR", .quantity(1)) }
        #expect(try world.boxoffice(a, ["keys", "rotate"]).status == 0)
        _ = try a.sell("BIG", "FLOOR", .quantity(1))
        #expect(try world.syncOnce(a).status == 0)
        let keys = try world.central(["keys", "list"])
        #expect(keys.stdout.components(separatedBy: "NODE-A").count - 1 == 2, "\(keys.stdout)")
    }

    /// A node revoked as a whole stays revoked: the key a thief makes on the stolen box after the
    /// revocation reaches central and every door revoked at the same cut. A ticket forged with
    /// the box's key before then and let in somewhere is found by reconciliation.
    @Test func aNodeRevokedAsAWholeStaysRevokedThroughARotation() throws {
        let world = try SyncWorld()
        let (a, b) = (try world.makeNode("NODE-A"), try world.makeNode("NODE-B"))
        for node in [a, b, a, b] { #expect(try world.syncOnce(node).status == 0) }
        let keyFile = SigningKeys.keyFile(forDatabase: a.path)
        let forged = SignedTicketCode(
            signing: a.node.ids.ticketSerial(), eventID: "BIG", with: try KeyFile.read(keyFile).key)
        #expect(try world.boxoffice(b, ["checkin", forged.text, "--event", "BIG"]).status == 0)
        #expect(try world.syncOnce(b).status == 0)

        let cut = world.clock.now()
        let revoked = try world.central([
            "keys", "revoke", "NODE-A", "--after", cut.description, "--reason", "box stolen",
        ])
        #expect(revoked.status == 0, "\(revoked.stderr)")
        #expect(try world.syncOnce(a).status == 0)
        #expect(try world.boxoffice(a, ["keys", "rotate"]).status == 0)
        #expect(try world.syncOnce(a).status == 0)
        let listed = try world.central(["keys", "list"]).stdout.split(separator: "\n").filter {
            $0.hasPrefix("NODE-A")
        }
        #expect(
            listed.count == 2 && listed.allSatisfy { $0.contains("revoked after \(cut) (whole node)") },
            "\(listed)")
        #expect(try world.syncOnce(a).status == 0)  // A pulls its new key back, revoked: its sales stop
        #expect(throws: TicketingError.self) { try a.sell("BIG", "FLOOR", .quantity(1)) }

        #expect(try world.syncOnce(b).status == 0)
        let signed = SignedTicketCode(
            signing: a.node.ids.ticketSerial(), eventID: "BIG", with: try KeyFile.read(keyFile).key)
        let refused = try world.boxoffice(b, ["checkin", signed.text, "--event", "BIG"])
        #expect(refused.status == 1 && refused.stderr.contains("box stolen"), "\(refused.stderr)")
        let report = try world.central(["reconcile", "--json"])
        #expect(report.status == 10, "\(report.stdout)\(report.stderr)")
        #expect(report.stdout.contains("admitted_unknown_ticket/\(forged.shortCode)"), "\(report.stdout)")
    }

    /// Revoking one key vouches for that key's tickets received before its cut, and for no other
    /// key's: tickets an earlier revocation of another key refused stay refused. A ticket
    /// received before central kept key ids counts as the key's the node had in force then.
    @Test func revokingOneKeyVouchesForThatKeysTicketsOnly() throws {
        let world = try SyncWorld()
        let (a, b) = (try world.makeNode("NODE-A"), try world.makeNode("NODE-B"))
        for node in [a, b, a, b] { #expect(try world.syncOnce(node).status == 0) }
        let early = try a.sell("BIG", "FLOOR", .quantity(1))
        #expect(try world.syncOnce(a).status == 0)
        let firstCut = world.clock.now()
        let late = try a.sell("BIG", "FLOOR", .quantity(2))
        #expect(try world.syncOnce(a).status == 0)
        try world.central.execute(
            "UPDATE ticket SET key_id = NULL WHERE code IN (?, ?)", [early.tickets[0].code, late.tickets[1].code])
        let first = try #require(try a.node.signingKeys.list().first { $0.signing })
        let revoked = try world.central([
            "keys", "revoke", "NODE-A", "--key", String(first.keyID), "--after", firstCut.description, "--reason",
            "key file copied",
        ])
        #expect(revoked.status == 0 && revoked.stdout.contains("1 ticket(s) received before then"), "\(revoked.stdout)")
        #expect(try world.syncOnce(a).status == 0)
        #expect(try world.boxoffice(a, ["keys", "rotate"]).status == 0)
        #expect(try world.syncOnce(a).status == 0)
        let second = try #require(try a.node.signingKeys.list().first { $0.signing })
        let secondCut = world.clock.now()
        let again = try world.central([
            "keys", "revoke", "NODE-A", "--key", String(second.keyID), "--after", secondCut.description, "--reason",
            "node replaced",
        ])
        #expect(again.status == 0 && again.stdout.contains("0 ticket(s) received before then"), "\(again.stdout)")

        #expect(try world.syncOnce(b).status == 0)
        let earlyCode = try Self.signedCodes(a, early)[0]
        #expect(try world.boxoffice(b, ["checkin", earlyCode, "--event", "BIG"]).status == 0)
        for code in try Self.signedCodes(a, late) {
            let refused = try world.boxoffice(b, ["checkin", code, "--event", "BIG"])
            #expect(refused.status == 1 && refused.stderr.contains("key file copied"), "\(refused.stderr)")
        }
    }

    /// Head office learns the theft happened earlier than its first revocation said: a second
    /// revocation moves the cut earlier, and the tickets the doors were told to let in that
    /// central received after the new cut are withdrawn there. A later cut changes nothing.
    @Test func aRevocationMovedEarlierWithdrawsTheTicketsVouchedForInBetween() throws {
        let world = try SyncWorld()
        let (a, b) = (try world.makeNode("NODE-A"), try world.makeNode("NODE-B"))
        for node in [a, b, a, b] { #expect(try world.syncOnce(node).status == 0) }
        let first = try a.sell("BIG", "FLOOR", .quantity(1))
        #expect(try world.syncOnce(a).status == 0)
        let theft = world.clock.now()
        let second = try a.sell("BIG", "FLOOR", .quantity(1))
        #expect(try world.syncOnce(a).status == 0)
        let guess = world.clock.now()
        let revoke = { (cut: Timestamp, reason: String) in
            try world.central(["keys", "revoke", "NODE-A", "--after", cut.description, "--reason", reason])
        }
        let firstGuess = try revoke(guess, "first guess")
        #expect(firstGuess.stdout.contains("2 ticket(s) received before then still get in"), "\(firstGuess.stdout)")
        #expect(try world.syncOnce(b).status == 0)
        #expect(try b.count("SELECT count(*) FROM door_vouched WHERE reason = 'revoked_key'") == 2)

        let earlier = try revoke(theft, "theft was earlier")
        #expect(
            earlier.status == 0
                && earlier.stdout.contains(
                    "1 ticket(s) received before then still get in, 1 vouched for under a later cut no longer do"),
            "\(earlier.stdout)\(earlier.stderr)")
        let later = try revoke(guess, "late news")
        #expect(later.status == 0 && later.stdout.contains("stays revoked after \(theft)"), "\(later.stdout)")
        let listed = try world.central(["keys", "list", "--json"]).stdout
        #expect(listed.contains("theft was earlier") && !listed.contains("late news"), "\(listed)")

        #expect(try world.syncOnce(b).status == 0)
        #expect(try b.count("SELECT count(*) FROM door_vouched WHERE reason = 'revoked_key'") == 1)
        #expect(try world.boxoffice(b, ["checkin", try Self.signedCodes(a, first)[0], "--event", "BIG"]).status == 0)
        let refused = try world.boxoffice(b, ["checkin", try Self.signedCodes(a, second)[0], "--event", "BIG"])
        #expect(
            refused.status == 1 && refused.stderr.contains("revoked from \(theft) (theft was earlier)"),
            "\(refused.stderr)")
    }

    /// A ticket let in at one node's door and refunded at its seller's counter before the seller
    /// heard of the admission: the holder is inside with the money back, and reconciliation says so.
    @Test func aTicketLetInAndThenRefundedAtItsSellerIsFoundByReconcile() throws {
        let world = try SyncWorld()
        let (a, b) = (try world.makeNode("NODE-A"), try world.makeNode("NODE-B"))
        for node in [a, b, a, b] { #expect(try world.syncOnce(node).status == 0) }
        let sale = try a.sell("BIG", "FLOOR", .quantity(1))
        #expect(
            try world.boxoffice(b, ["checkin", try Self.signedCodes(a, sale)[0], "--event", "BIG", "--gate", "North"])
                .status == 0)
        let refund = try a.node.refunds.refund(
            orderID: sale.orderID, ticketCodes: nil, reason: "cannot come", by: a.admin)
        for node in [a, b, a] { #expect(try world.syncOnce(node).status == 0) }
        let report = try world.central(["reconcile", "--json"])
        #expect(report.status == 10, "\(report.stdout)\(report.stderr)")
        let code = sale.tickets[0].code
        #expect(report.stdout.contains("admitted_and_refunded/\(code)"), "\(report.stdout)")
        #expect(
            report.stdout.contains("NODE-B gate North at") && report.stdout.contains("refund \(refund.refundID)"),
            "\(report.stdout)")
    }

    /// A node's key record whose key id is not its public key's is parked at central, never
    /// stored nor published: no door could find the key by that id.
    @Test func aKeyRecordWhoseIDIsNotItsKeysIsParkedAtCentral() throws {
        let world = try SyncWorld()
        let a = try world.makeNode("NODE-A")
        try a.node.database.execute(
            "UPDATE sync_outbox SET payload = json_set(payload, '$.key_id', 1) WHERE record_type = 'signing_key.published'"
        )
        #expect(try world.syncOnce(a).status == 0)
        let parked = try world.central(["parked", "NODE-A"])
        #expect(parked.stdout.contains("is not that key's id"), "\(parked.stdout)\(parked.stderr)")
        #expect(try world.central.scalar("SELECT COUNT(*) FROM node_key") == 0)
        #expect(try world.central.scalar("SELECT COUNT(*) FROM change_log WHERE change_type = 'signing_key'") == 0)
    }

    /// One offline scanner's file imported at two nodes (two supervisors, two offices): each read
    /// is one admission, whichever node pulled the other's first, and reconciliation finds no
    /// ticket let in twice. A read of a ticket also let in at a door is one, naming the scanner.
    @Test func oneScannersFileImportedAtTwoNodesIsOneAdmissionPerRead() throws {
        let world = try Self.worldWithBigTonight()
        let (a, b, c) = (try world.makeNode("NODE-A"), try world.makeNode("NODE-B"), try world.makeNode("NODE-C"))
        for node in [a, b, c, a, b, c] { #expect(try world.syncOnce(node).status == 0) }
        let sale = try a.sell("BIG", "FLOOR", .quantity(3))
        let codes = try Self.signedCodes(a, sale)
        let now = world.clock.now().milliseconds
        let reads = codes.enumerated().map { index, code in
            #"{"code": "\#(code)", "at": "\#(Timestamp(milliseconds: now - 60_000 + Int64(index) * 1000))"}"#
        }
        let file = world.directory.file("handheld-7.json")
        try """
        {"format": "venue-scanner-admissions/1", "scanner": "HANDHELD-7", "event_id": "BIG", "gate": "C",
         "admissions": [\(reads.joined(separator: ", "))]}
        """.write(toFile: file, atomically: true, encoding: .utf8)

        // C imports before it hears of A's import; B after.
        #expect(try world.boxoffice(a, ["checkin", "--import", file]).status == 0)
        #expect(try world.boxoffice(c, ["checkin", "--import", file]).status == 0)
        #expect(try world.boxoffice(b, ["checkin", codes[2], "--event", "BIG", "--gate", "North"]).status == 0)
        for node in [a, b, c, b] { #expect(try world.syncOnce(node).status == 0) }
        let atB = try world.boxoffice(b, ["checkin", "--import", file, "--json"])
        let imported = try JSONSerialization.jsonObject(with: Data(atB.stdout.utf8)) as? [String: Any]
        #expect(imported?["already_imported"] as? Int == 3 && imported?["recorded"] as? Int == 0, "\(atB.stdout)")
        #expect(try world.syncOnce(b).status == 0)
        #expect(try world.central.scalar("SELECT COUNT(*) FROM ticket_admission WHERE scanner = 'HANDHELD-7'") == 3)

        let report = try world.central(["reconcile", "--json"])
        #expect(!report.stdout.contains("ticket_admitted_twice/\(sale.tickets[0].code)"), "\(report.stdout)")
        #expect(!report.stdout.contains("ticket_admitted_twice/\(sale.tickets[1].code)"), "\(report.stdout)")
        #expect(report.stdout.contains("ticket_admitted_twice/\(sale.tickets[2].code)"), "\(report.stdout)")
        #expect(report.stdout.contains("gate C (scanner HANDHELD-7) at"), "\(report.stdout)")
    }

    /// A restore takes back from central the sales it made after the snapshot, and carries over
    /// the one central never had: each keeps its signed code, so a reprint's QR code (read back by
    /// `zbarimg`) gets in at another node's door.
    @Test func ticketsTakenBackOrCarriedOverByARestoreKeepTheirSignedCodes() throws {
        let world = try SyncWorld()
        let (a, b) = (try world.makeNode("NODE-A"), try world.makeNode("NODE-B"))
        for node in [a, b, a, b] { #expect(try world.syncOnce(node).status == 0) }
        let snapshot = world.directory.file("before-the-sales.sqlite")
        #expect(try world.boxoffice(a, ["backup", snapshot]).status == 0)
        let pushed = try a.sell("SEATED", "MAIN", .seats(["MAIN-A-1", "MAIN-A-2"]))
        #expect(try world.syncOnce(a).status == 0)
        let unpushed = try a.sell("BIG", "FLOOR", .quantity(1))
        let signed = try Self.signedCodes(a, pushed) + Self.signedCodes(a, unpushed)
        #expect(signed.count == 3)

        let restored = try world.boxoffice(a, ["restore", snapshot])
        #expect(restored.status == 0, "\(restored.stderr)")
        #expect(try world.syncOnce(a).status == 0)
        #expect(try a.count("SELECT count(*) FROM ticket WHERE key_id IS NULL OR signature IS NULL") == 0)
        for (sale, event) in [(pushed, "SEATED"), (unpushed, "BIG")] {
            let svg = world.directory.file("\(sale.orderID).svg")
            let png = world.directory.file("\(sale.orderID).png")
            #expect(try world.boxoffice(a, ["print", sale.orderID, "--format", "svg", "--out", svg]).status == 0)
            let rendered = try ProcessRunner.run(
                "/usr/bin/rsvg-convert", ["--background-color", "white", "-o", png, svg])
            #expect(rendered.status == 0, "\(rendered.stderr)")
            let read = try ProcessRunner.run("/usr/bin/zbarimg", ["--quiet", "--raw", png]).stdout
                .split(separator: "\n").map(String.init)
            #expect(read.sorted() == (try Self.signedCodes(a, sale)).sorted() && read.count == sale.tickets.count)
            #expect(Set(read).isSubset(of: signed), "the reprint carries the codes the sale signed")
            #expect(try world.syncOnce(b).status == 0)
            for code in read {
                let door = try world.boxoffice(b, ["checkin", code, "--event", event, "--gate", "North"])
                #expect(door.status == 0, "\(door.stderr)")
            }
        }
    }

    /// An offline scanner whose list predates a revocation lets in a ticket forged with the
    /// stolen key: imported after the revocation reached the node, the read is recorded (reported
    /// `key_revoked`), reaches central, and reconciliation lists it as a ticket no node sold.
    @Test func aScannersReadOfARevokedKeysTicketIsRecordedForReconcile() throws {
        let world = try Self.worldWithBigTonight()
        let (a, b) = (try world.makeNode("NODE-A"), try world.makeNode("NODE-B"))
        for node in [a, b, a, b] { #expect(try world.syncOnce(node).status == 0) }
        let forged = SignedTicketCode(
            signing: a.node.ids.ticketSerial(), eventID: "BIG",
            with: try KeyFile.read(SigningKeys.keyFile(forDatabase: a.path)).key)
        let readAt = world.clock.now()
        let file = world.directory.file("handheld-3.json")
        try """
        {"format": "venue-scanner-admissions/1", "scanner": "HANDHELD-3", "event_id": "BIG", "gate": "South",
         "admissions": [{"code": "\(forged.text)", "at": "\(readAt)"}]}
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let revoked = try world.central([
            "keys", "revoke", "NODE-A", "--after", readAt.description, "--reason", "box stolen",
        ])
        #expect(revoked.status == 0, "\(revoked.stderr)")
        #expect(try world.syncOnce(b).status == 0)
        #expect(try world.boxoffice(b, ["checkin", forged.text, "--event", "BIG"]).status == 1, "a door refuses it")

        let imported = try world.boxoffice(b, ["checkin", "--import", file])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(
            imported.stdout.hasPrefix("Scanner HANDHELD-3, BIG: 1 admission(s) recorded, 1 conflict(s):")
                && imported.stdout.contains("  key_revoked: ticket \(forged.shortCode) is signed by NODE-A's key")
                && imported.stdout.contains("box stolen") && imported.stdout.contains("the scanner let it in"),
            "\(imported.stdout)")
        #expect(try world.syncOnce(b).status == 0)
        #expect(
            try world.central.scalar(
                "SELECT COUNT(*) FROM ticket_admission WHERE ticket_code = ? AND scanner = 'HANDHELD-3'",
                [forged.shortCode]) == 1)
        let report = try world.central(["reconcile", "--json"])
        #expect(report.stdout.contains("admitted_unknown_ticket/\(forged.shortCode)"), "\(report.stdout)")
    }

    /// Another node's seated tickets at a door page (`/door` in headless Chromium): one central
    /// vouches for shows its seat and category; a signed one, whose code carries neither, names
    /// its seller and sends its holder where the ticket says — never an empty or `undefined`
    /// place. `boxoffice checkin` says the same.
    @Test func anotherNodesSeatedTicketAtTheDoorPageShowsWhatTheDoorKnows() throws {
        let world = try SyncWorld()
        let (a, b) = (try world.makeNode("NODE-A"), try world.makeNode("NODE-B"))
        for node in [a, b, a, b] { #expect(try world.syncOnce(node).status == 0) }
        let signed = try a.sell("SEATED", "MAIN", .seats(["MAIN-A-1", "MAIN-A-3"]))
        let codes = try Self.signedCodes(a, signed)
        func shortCode(_ code: String) throws -> String {
            guard case .signed(let read) = try TicketCode.read(code) else { return code }
            return read.shortCode
        }
        // A ticket sold before signing, which central vouches for with its category and seat.
        let old = try a.sell("SEATED", "MAIN", .seats(["MAIN-A-2"]))
        try a.node.database.execute(
            "UPDATE ticket SET key_id = NULL, signature = NULL WHERE order_id = ?", [old.orderID])
        #expect(try world.syncOnce(a).status == 0)
        try world.central.execute("UPDATE ticket SET signed = 0 WHERE order_id = ?", [old.orderID])
        #expect(try world.central(["door", "catch-up"]).status == 0)
        #expect(try world.syncOnce(b).status == 0)

        let port = Network.freePort()
        let daemon = try world.startDaemon(b, ["--interval", "1s", "--listen", "127.0.0.1:\(port)"])
        #expect(waitUntil(timeout: 30) { daemon.stderr.contains("http.listening") } != nil, "\(daemon.stderr)")
        let helpers = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Helpers").path
        let page = try ProcessRunner.run(
            "/usr/bin/python3",
            [
                helpers + "/door-scans.py", "http://127.0.0.1:\(port)", "root", "root-password", "North", "SEATED",
                codes[0], old.tickets[0].code,
            ])
        daemon.send(SIGTERM)
        #expect(daemon.wait() == 0)
        #expect(page.status == 0, "\(page.stderr)")
        let scans = page.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String]
        }
        #expect(scans.count == 2, "\(page.stdout)")
        #expect(!page.stdout.contains("undefined") && !page.stdout.contains("null"), "\(page.stdout)")
        let signedScan = scans.first ?? [:]
        #expect(signedScan["word"]?.uppercased() == "ADMITTED", "\(signedScan)")
        #expect(signedScan["why"] == "Seat as on the ticket (sold at NODE-A)", "\(signedScan)")
        #expect(signedScan["detail"]?.hasSuffix("· SEATED · Gate North · sold at NODE-A") == true, "\(signedScan)")
        #expect(
            signedScan["history"]?.hasPrefix(
                "Admitted \(try shortCode(codes[0])) · Seat as on the ticket (sold at NODE-A)") == true,
            "\(signedScan)")
        let vouchedScan = scans.last ?? [:]
        #expect(vouchedScan["why"] == "MAIN row A seat 2 · MAIN", "\(vouchedScan)")
        #expect(
            vouchedScan["history"]?.hasPrefix("Admitted \(old.tickets[0].code) · MAIN row A seat 2 · MAIN") == true,
            "\(vouchedScan)")

        let welcome = try world.boxoffice(b, ["checkin", codes[1], "--event", "SEATED", "--gate", "North"])
        #expect(
            welcome.stdout
                == "Welcome: \(try shortCode(codes[1])) SEATED, sold at NODE-A: seat as on the ticket (gate North).\n",
            "\(welcome.stdout)\(welcome.stderr)")
    }

    /// A revocation's reason is one line every door prints: `central keys revoke` refuses line
    /// breaks, escape sequences and more than 200 characters; what central holds anyway (written
    /// with the nodes' own MySQL account) reaches the doors' messages without a control character.
    @Test func aRevocationsReasonIsOneShortLineAtEveryDoor() throws {
        let world = try SyncWorld()
        let (a, b) = (try world.makeNode("NODE-A"), try world.makeNode("NODE-B"))
        for node in [a, b, a, b] { #expect(try world.syncOnce(node).status == 0) }
        let cut = world.clock.now()
        let after = try a.sell("BIG", "FLOOR", .quantity(1))
        for reason in ["stolen\nline two", "stolen\u{1B}[2J", "stolen \u{202E}nelots", "x\u{7F}"] {
            let refused = try world.central([
                "keys", "revoke", "NODE-A", "--after", cut.description, "--reason", reason,
            ])
            #expect(
                refused.status == 2
                    && refused.stderr.contains("a revocation's reason must be one line without control characters"),
                "\(refused.stderr)")
        }
        let long = try world.central([
            "keys", "revoke", "NODE-A", "--after", cut.description, "--reason", String(repeating: "é", count: 201),
        ])
        #expect(
            long.status == 2
                && long.stderr.contains("a revocation's reason is at most 200 characters (this one has 201)"),
            "\(long.stderr)")
        #expect(try world.central.scalar("SELECT COUNT(*) FROM node_key WHERE revoked_after IS NOT NULL") == 0)
        let revoked = try world.central([
            "keys", "revoke", "NODE-A", "--after", cut.description, "--reason", String(repeating: "é", count: 200),
        ])
        #expect(revoked.status == 0, "\(revoked.stderr)")

        // A reason written at central past the command, as a stolen node's MySQL account could.
        try world.central.execute(
            "UPDATE node_key SET revoked_reason = ? WHERE node_id = 'NODE-A'",
            ["stolen\nline two\u{1B}[2J\u{1B}]0;pwned\u{07}" + String(repeating: "x", count: 300)])
        try world.central.execute(
            "UPDATE change_log SET payload = JSON_SET(payload, '$.revoked_reason', ?) WHERE change_type = 'signing_key'",
            ["stolen\nline two\u{1B}[2J\u{1B}]0;pwned\u{07}" + String(repeating: "x", count: 300)])
        #expect(try world.syncOnce(b).status == 0)
        let door = try world.boxoffice(b, ["checkin", try Self.signedCodes(a, after)[0], "--event", "BIG"])
        #expect(door.status == 1 && door.stderr.contains("(stolen line two [2J ]0;pwned x"), "\(door.stderr)")
        #expect(
            !door.stderr.dropLast().unicodeScalars.contains { $0.properties.generalCategory == .control },
            "\(door.stderr.debugDescription)")
        #expect(
            try b.count(
                "SELECT count(*) FROM signing_key WHERE node_id = 'NODE-A' AND length(revoked_reason) <= 200 "
                    + "AND revoked_reason NOT GLOB '*[' || char(10) || char(27) || char(7) || ']*'") >= 1)
    }
}
