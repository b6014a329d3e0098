import Foundation
import TestSupport
import Testing
import Ticketing

/// `venue-syncd --mail`: the daemon's email worker hands customer emails to a real SMTP server.
@Suite struct EmailDaemonTests {
    @Test func theDaemonDeliversCustomerEmailsToTheRelay() throws {
        let world = try SyncWorld()
        let node = try world.makeNode("NODE-A")
        #expect(try world.syncOnce(node).status == 0)
        let server = try SMTPServer(in: world.directory)
        let sale = try node.node.sales.sell(
            SaleRequest(
                eventID: "BIG", categoryCode: "FLOOR", selection: .quantity(2), payment: PaymentRequest(method: .cash),
                customer: CustomerDetails(email: "ana@example.org", name: "Ana Müller")), by: node.admin)
        let once = try world.syncOnce(node, ["--mail", "smtp://localhost:\(server.port)?starttls=off"])
        #expect(once.status == 0, "\(once.stderr)")
        #expect(once.stderr.contains("email.delivered") && once.stderr.contains("delivered=1"), "\(once.stderr)")
        let received = try server.received()
        #expect(received.count == 1)
        let message = try #require(received.first?.message)
        #expect(message["defects"] as? [String] == [] && message["to_name"] as? String == "Ana Müller")
        #expect((message["body"] as? String)?.contains(sale.tickets[0].code) == true)
        let bad = try world.syncOnce(node, ["--mail", "smtp://relay?starttls=sometimes"])
        #expect(
            bad.status == 2 && bad.stderr.contains("--mail: starttls must be auto, required or off"), "\(bad.stderr)")
    }
}
