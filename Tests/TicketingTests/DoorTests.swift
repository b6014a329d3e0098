import EdgeCrypto
import EdgeStore
import Foundation
import Mail
import SyncWire
import TestSupport
import Testing

@testable import Ticketing

/// The door on one node: signed codes verified without a ticket look-up, short codes of its own
/// sales and of tickets central vouched for, and every refusal with its reason.
@Suite struct DoorTests {
    /// The harness with its clock an hour before SHOW's start (2030-01-01 20:00 UTC), in
    /// Amsterdam (CET, one hour ahead of UTC in winter).
    static func harness() throws -> NodeHarness {
        let h = try NodeHarness()
        h.clock.move(to: "2030-01-01T19:00:00Z")
        try h.node.database.execute("UPDATE venue SET timezone = 'Europe/Amsterdam'")
        return h
    }

    static func refusal(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch let error as TicketingError {
            if case .rejected(let code, _) = error { return code }
            return "\(error)"
        } catch {
            return "\(error)"
        }
    }

    /// The message of the error `body` throws (nil when it throws none).
    static func message(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch let error as TicketingError {
            return error.message
        } catch {
            return "\(error)"
        }
    }

    /// A key of another node of the venue, as a pull from central brings it.
    static func otherNode(_ h: NodeHarness, id: String = "BOX-9", revokedAfter: Timestamp? = nil) throws
        -> Ed25519PrivateKey
    {
        let key = Ed25519PrivateKey.generate()
        try h.node.database.write {
            _ = try DoorChanges(node: h.node).apply(
                SigningKeyRecord(
                    nodeID: id, keyID: Int(SignedTicketCode.keyID(of: key.publicKey)),
                    publicKey: Hex.encode(key.publicKey), createdAt: h.clock.now(), retiredAt: nil,
                    revokedAfter: revokedAfter, revokedReason: revokedAfter == nil ? nil : "stolen"))
        }
        return key
    }

    @Test func aSoldTicketIsLetInOnceByItsSignedCodeOrItsShortCode() throws {
        let h = try Self.harness()
        let sale = try h.sell(selection: .quantity(2))
        let signed = try #require(try h.node.orders.details(sale.orderID).order.tickets.first?.signedCode)
        #expect(signed.count == TicketCode.signedCharacterCount)
        let first = try h.node.door.checkIn(code: signed, gate: "A", by: h.cashier)
        #expect(
            first.ticketCode == sale.tickets[0].code && first.verifiedBy == "signature" && first.orderID == sale.orderID
        )
        #expect(first.soldBy == "TEST-1" && first.gate == "A" && first.eventID == "SHOW" && first.category == "GA")
        h.clock.advance(seconds: 60)
        #expect {
            try h.node.door.checkIn(code: sale.tickets[0].code, gate: "C", by: h.cashier)
        } throws: { error in
            // The venue's local time, the gate and the node that let it in.
            (error as? TicketingError)?.message
                == "ticket \(sale.tickets[0].code) was already checked in at 1 Jan 2030 20:00 CET, gate A, by TEST-1"
        }
        let second = try h.node.door.checkIn(code: sale.tickets[1].code.lowercased(), by: h.cashier)
        #expect(second.verifiedBy == "sale" && second.gate == nil)
        let records = try h.node.database.rows(
            "SELECT payload FROM sync_outbox WHERE record_type = 'ticket.checked_in' ORDER BY seq"
        ).map { try JSONText.decode(CheckInRecord.self, from: try $0.get(0)) }
        #expect(records.map(\.gate) == ["A", nil] && records.map(\.orderID) == [sale.orderID, sale.orderID])
        #expect(try h.count("SELECT count(*) FROM ticket WHERE status = 'checked_in'") == 2)
    }

    @Test func mistypedForgedAndOtherEventsCodesAreRefusedWithWhy() throws {
        let h = try Self.harness()
        let sale = try h.sell()
        let signed = try #require(try h.node.orders.details(sale.orderID).order.tickets.first?.signedCode)
        // One character changed: the check character catches it before anything is looked up.
        var typo = Array(signed)
        typo[40] = typo[40] == "A" ? "B" : "A"
        #expect(Self.refusal { _ = try h.node.door.checkIn(code: String(typo), by: h.cashier) } == "code_mistyped")
        // A changed signature with its check character made right: the signature refuses it.
        guard case .signed(let code) = try TicketCode.read(signed) else {
            Issue.record("not signed")
            return
        }
        var signature = code.signature
        signature[5] ^= 0x40
        let forged = try #require(
            SignedTicketCode(keyID: code.keyID, serial: code.serial, eventTag: code.eventTag, signature: signature))
        #expect(Self.refusal { _ = try h.node.door.checkIn(code: forged.text, by: h.cashier) } == "forged")
        // A key no node of the venue published.
        let stranger = SignedTicketCode(signing: h.node.ids.ticketSerial(), eventID: "SHOW", with: .generate())
        #expect(Self.refusal { _ = try h.node.door.checkIn(code: stranger.text, by: h.cashier) } == "unknown_key")
        // Another event at this gate, and another day without one.
        #expect(
            Self.refusal { _ = try h.node.door.checkIn(code: signed, eventID: "DUO", by: h.cashier) } == "wrong_event")
        h.clock.move(to: "2029-12-30T19:00:00Z")
        #expect(Self.refusal { _ = try h.node.door.checkIn(code: signed, by: h.cashier) } == "wrong_day")
        #expect(
            Self.refusal { _ = try h.node.door.checkIn(code: "'; DROP TABLE ticket; --", by: h.cashier) }
                == TicketingError.invalidInput(
                    "''; DROP TABLE ticket; --' is not a ticket code (16 characters like K7QX-3M9D-PA2F-W8ZR, or the "
                        + "129 of a ticket's QR code)"
                ).description)
        // With its event named, the gate takes it whatever the day.
        #expect(try h.node.door.checkIn(code: signed, eventID: "SHOW", by: h.cashier).ticketCode == code.shortCode)
        #expect(try h.count("SELECT count(*) FROM sync_outbox WHERE record_type = 'ticket.checked_in'") == 1)
    }

    @Test func refundedVoidedAndCancelledTicketsAreRefused() throws {
        let h = try Self.harness()
        let sale = try h.sell(selection: .quantity(2))
        _ = try h.node.refunds.refund(
            orderID: sale.orderID, ticketCodes: [sale.tickets[0].code], reason: "ill", by: h.supervisor)
        #expect(
            Self.refusal { _ = try h.node.door.checkIn(code: sale.tickets[0].code, by: h.cashier) }
                == "ticket_not_valid")
        _ = try h.node.catalog.changeStatus("SHOW", to: .cancelled, reason: "flood", by: h.supervisor)
        #expect(
            Self.refusal { _ = try h.node.door.checkIn(code: sale.tickets[1].code, by: h.cashier) } == "event_cancelled"
        )
    }

    /// Another node's ticket: its signature and what central last told this node decide.
    @Test func anotherNodesTicketIsLetInByItsSignatureUnlessTakenBackOrLetInElsewhere() throws {
        let h = try Self.harness()
        let key = try Self.otherNode(h)
        let codes = (0..<3).map { _ in SignedTicketCode(signing: h.node.ids.ticketSerial(), eventID: "SHOW", with: key)
        }
        let admitted = try h.node.door.checkIn(code: codes[0].text, gate: "B", by: h.cashier)
        #expect(admitted.soldBy == "BOX-9" && admitted.orderID == nil && admitted.verifiedBy == "signature")
        #expect(admitted.category == nil && admitted.eventName == "Test Show")
        let record = try JSONText.decode(
            CheckInRecord.self,
            from: try #require(
                try h.node.database.scalar(
                    "SELECT payload FROM sync_outbox WHERE record_type = 'ticket.checked_in'", as: String.self)))
        #expect(record.orderID == nil && record.ticketCode == codes[0].shortCode && record.nodeID == "TEST-1")
        try h.node.database.write {
            let changes = DoorChanges(node: h.node)
            _ = try changes.apply(
                DoorAdmittedChange(
                    ticketCode: codes[1].shortCode, eventID: "SHOW", nodeID: "BOX-9", gate: "Stage door",
                    source: .scanner, admittedAt: h.clock.now()))
            _ = try changes.apply(
                DoorRevokedChange(
                    ticketCodes: [codes[2].shortCode], eventID: "SHOW", status: .refunded, nodeID: "BOX-9",
                    revokedAt: h.clock.now()))
        }
        #expect {
            try h.node.door.checkIn(code: codes[1].text, by: h.cashier)
        } throws: { error in
            (error as? TicketingError)?.message
                == "ticket \(codes[1].shortCode) was already checked in at 1 Jan 2030 20:00 CET, gate Stage door, by BOX-9"
        }
        #expect(Self.refusal { _ = try h.node.door.checkIn(code: codes[2].text, by: h.cashier) } == "ticket_not_valid")
        // Its short code alone is not enough here (this node never saw the sale), but what this
        // node heard of it is said: refunded, or let in.
        #expect(
            Self.message { _ = try h.node.door.checkIn(code: codes[2].shortCode, by: h.cashier) }
                == "ticket \(codes[2].shortCode) is refunded (at BOX-9), not valid for entry")
        #expect(
            Self.message { _ = try h.node.door.checkIn(code: codes[1].shortCode, by: h.cashier) }
                == "ticket \(codes[1].shortCode) was already checked in at 1 Jan 2030 20:00 CET, gate Stage door, by BOX-9"
        )
        // Another node's valid ticket by its short code: how to let it in, and nothing about a
        // code the ticket does not carry.
        let other = SignedTicketCode(signing: h.node.ids.ticketSerial(), eventID: "SHOW", with: key)
        #expect(
            Self.message { _ = try h.node.door.checkIn(code: other.shortCode.lowercased(), by: h.cashier) }
                == "no ticket \(other.shortCode) at this node: a ticket another node sold is checked in here by "
                + "scanning its QR code, or by this code at the node that sold it")
    }

    /// A revoked key's tickets get in only when central listed them as received before the cut;
    /// unsigned tickets of other nodes only when central vouches for them.
    @Test func revokedKeysAndUnsignedTicketsFollowCentralsList() throws {
        let h = try Self.harness()
        let key = try Self.otherNode(h, revokedAfter: Timestamp(iso8601: "2029-12-01T00:00:00Z")!)
        let before = SignedTicketCode(signing: h.node.ids.ticketSerial(), eventID: "SHOW", with: key)
        let after = SignedTicketCode(signing: h.node.ids.ticketSerial(), eventID: "SHOW", with: key)
        let unsigned = TicketCode.shortCode(serial: h.node.ids.ticketSerial())
        try h.node.database.write {
            let changes = DoorChanges(node: h.node)
            _ = try changes.apply(
                DoorVouchedChange(
                    reason: .revokedKey,
                    tickets: [
                        .init(code: before.shortCode, eventID: "SHOW", nodeID: "BOX-9", categoryCode: "GA", seat: nil)
                    ]
                ))
            _ = try changes.apply(
                DoorVouchedChange(
                    reason: .unsigned,
                    tickets: [
                        .init(code: unsigned, eventID: "SHOW", nodeID: "BOX-8", categoryCode: "MAIN", seat: "MAIN-A-3")
                    ]))
        }
        #expect(try h.node.door.checkIn(code: before.text, by: h.cashier).soldBy == "BOX-9")
        #expect(Self.refusal { _ = try h.node.door.checkIn(code: after.text, by: h.cashier) } == "key_revoked")
        let old = try h.node.door.checkIn(code: unsigned, by: h.cashier)
        #expect(old.verifiedBy == "vouched" && old.soldBy == "BOX-8" && old.seat == "MAIN-A-3")
    }

    /// A ticket sold before signing (no signature) keeps working here by its short code.
    @Test func anUnsignedTicketThisNodeSoldIsLetInByItsShortCode() throws {
        let h = try Self.harness()
        let sale = try h.sell()
        try h.node.database.execute("UPDATE ticket SET key_id = NULL, signature = NULL")
        #expect(try h.node.orders.details(sale.orderID).order.tickets[0].signedCode == nil)
        #expect(try h.node.door.checkIn(code: sale.tickets[0].code, by: h.cashier).verifiedBy == "sale")
    }

    /// Rotation: a new key signs, the old one still verifies what it signed; the key file is the
    /// owner's alone; a sale without a usable key is refused, saying how to make one.
    @Test func rotatedKeysKeepVerifyingAndSalesNeedAKeyInForce() throws {
        let h = try Self.harness()
        let old = try h.sell()
        let oldCode = try #require(try h.node.orders.details(old.orderID).order.tickets[0].signedCode)
        #expect(Self.refusal { _ = try h.node.signingKeys.rotate(by: h.supervisor) } != nil)
        let rotated = try h.node.signingKeys.rotate(by: h.admin)
        let keys = try h.node.signingKeys.list()
        #expect(keys.count == 2 && keys[0].signing && keys[0].publicKey == rotated.publicKey)
        #expect(keys[1].retiredAt != nil && !keys[1].signing)
        let file = SigningKeys.keyFile(forDatabase: h.path)
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int)
        #expect(mode == 0o600)
        let new = try h.sell()
        let newCode = try #require(try h.node.orders.details(new.orderID).order.tickets[0].signedCode)
        guard case .signed(let parsed) = try TicketCode.read(newCode) else {
            Issue.record("not signed")
            return
        }
        #expect(Int(parsed.keyID) == rotated.keyID)
        #expect(try h.node.door.checkIn(code: oldCode, by: h.cashier).verifiedBy == "signature")
        #expect(
            try h.count("SELECT count(*) FROM sync_outbox WHERE record_type = 'signing_key.published'") == 3,
            "init's key, its retirement, the new key")
        try FileManager.default.removeItem(atPath: file)
        #expect(Self.refusal { _ = try h.sell() } == "no_signing_key")
        try FileManager.default.copyItem(atPath: SigningKeys.keyFile(forDatabase: Template.path), toPath: file)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
        #expect(Self.refusal { _ = try h.sell() } == "no_signing_key", "a retired key signs nothing")
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file)
        #expect {
            try h.sell()
        } throws: { error in
            (error as? TicketingError)?.message.contains("chmod 600") == true
        }
        _ = try h.node.signingKeys.rotate(by: h.admin)
        #expect(try h.sell().tickets.count == 1)
    }
}

extension ManualWallClock {
    /// Sets the clock to `time` (ISO 8601), forwards or back.
    func move(to time: String) {
        advance(seconds: (Timestamp(iso8601: time)!.milliseconds - now().milliseconds) / 1000)
    }
}

/// The customer's email carries each ticket's QR code as an inline image, the same code a door
/// reads; `notifications resend` sends them again, to the customer or another address.
@Suite struct TicketEmailTests {
    @Test func theConfirmationCarriesEachTicketsQRCodeAndResendSendsThemAgain() throws {
        let h = try NodeHarness()
        let server = try SMTPServer(in: h.directory, [])
        let sale = try h.sell(
            selection: .quantity(2), customer: CustomerDetails(email: "qr@example.org", name: "Quinn"))
        let transport = try MailTransports.parse("smtp://localhost:\(server.port)?starttls=off")
        #expect(try h.node.notifications.deliver(via: transport, by: h.supervisor).delivered == 1)
        // To another address than the customer's: a supervisor's call (the tickets go to whoever reads it).
        #expect(
            DoorTests.message {
                _ = try h.node.notifications.resend(order: sale.orderID, to: "friend@example.org", by: h.cashier)
            }?.hasPrefix("sending an order's tickets to another address than its customer's needs a supervisor") == true
        )
        let resent = try h.node.notifications.resend(
            order: sale.tickets[1].code, to: "friend@example.org", by: h.supervisor)
        #expect(resent.recipient == "friend@example.org" && resent.kind == .orderConfirmed)
        #expect(try h.node.notifications.deliver(via: transport, by: h.supervisor).delivered == 1)
        let anonymous = try h.sell()
        #expect(
            DoorTests.refusal { _ = try h.node.notifications.resend(order: anonymous.orderID, to: nil, by: h.cashier) }
                == "no_recipient")
        let signed = try h.node.orders.details(sale.orderID).order.tickets.compactMap(\.signedCode).sorted()
        #expect(signed.count == 2)
        let received = try server.received()
        #expect(received.map { $0.message["to"] as? String } == ["qr@example.org", "friend@example.org"])
        for (index, (message, _)) in received.enumerated() {
            #expect((message["defects"] as? [Any])?.isEmpty == true, "\(message["defects"] ?? "")")
            #expect((message["body"] as? String)?.contains(sale.tickets[0].code) == true)
            let html = try #require(message["html"] as? String)
            let images = try #require(message["images"] as? [[String: Any]])
            #expect(images.count == 2 && images.allSatisfy { $0["type"] as? String == "image/png" })
            var decoded = [String]()
            for (number, image) in images.enumerated() {
                let contentID = try #require(image["content_id"] as? String)
                #expect(html.contains("cid:\(contentID.dropFirst().dropLast())"))
                let file = h.directory.file("mail-\(index)-\(number).png")
                try Data(base64Encoded: try #require(image["data"] as? String))!.write(to: URL(fileURLWithPath: file))
                let read = try ProcessRunner.run("/usr/bin/zbarimg", ["--quiet", "--raw", file])
                decoded.append(read.stdout.trimmingCharacters(in: .newlines))
            }
            #expect(decoded.sorted() == signed)
        }
    }

    /// A partly refunded order's tickets sent again: the valid ones only, in the text and the
    /// HTML, each total theirs. A fully refunded order's: refused, nothing to send.
    @Test func aRefundedOrderSendsOnlyItsValidTicketsAgain() throws {
        let h = try NodeHarness()
        let server = try SMTPServer(in: h.directory, [])
        let transport = try MailTransports.parse("smtp://localhost:\(server.port)?starttls=off")
        let sale = try h.sell(
            selection: .quantity(2), customer: CustomerDetails(email: "qr@example.org", name: "Quinn"))
        _ = try h.node.refunds.refund(
            orderID: sale.orderID, ticketCodes: [sale.tickets[0].code], reason: "ill", by: h.supervisor)
        #expect(try h.node.notifications.deliver(via: transport, by: h.supervisor).delivered == 2)
        _ = try h.node.notifications.resend(order: sale.orderID, to: nil, by: h.cashier)
        #expect(try h.node.notifications.deliver(via: transport, by: h.supervisor).delivered == 1)
        let (message, _) = try #require(try server.received().last)
        let price = try #require(try h.node.orders.details(sale.orderID).order.tickets.last?.price)
        let text = try #require(message["body"] as? String)
        let html = try #require(message["html"] as? String)
        #expect(text.contains(sale.tickets[1].code) && !text.contains(sale.tickets[0].code), "\(text)")
        #expect(html.contains(sale.tickets[1].code) && !html.contains(sale.tickets[0].code))
        #expect(text.contains("Total: \(price)\n") && html.contains("Total: \(price)<"), "\(text)")
        #expect((message["images"] as? [Any])?.count == 1)

        _ = try h.node.refunds.refund(
            orderID: sale.orderID, ticketCodes: [sale.tickets[1].code], reason: "ill too", by: h.supervisor)
        #expect(
            DoorTests.message { _ = try h.node.notifications.resend(order: sale.orderID, to: nil, by: h.cashier) }
                == "order \(sale.orderID) has no valid ticket left (every one was refunded or voided): nothing to send")
    }
}
