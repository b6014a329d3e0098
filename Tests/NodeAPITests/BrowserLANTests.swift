import Foundation
import TestSupport
import Testing

/// The till and the door in headless Chromium over a venue LAN that fails on purpose
/// (`Tests/Helpers/browser-lan.py`): answers lost after the node decided, held back and arriving
/// out of order, or the node unreachable. One node and one browser script per test, one test
/// at a time (each starts a Chromium).
@Suite(.serialized) struct BrowserLANTests {
    /// Runs `scenario` of the script against a fresh node made from `reference`.
    static func run(_ scenario: String, reference: String = BrowserTests.reference) throws {
        let node = try APINode(reference: reference, node: "BOX-1")
        let script = try BrowserScript(
            [APINode.helpers + "/browser-lan.py", node.base, node.database, scenario],
            logDirectory: node.directory.path)
        var lines = [String]()
        while let line = script.readLine() { lines.append(line) }
        let status = script.wait()
        #expect(status == 0, "\(lines.joined(separator: "\n"))\n\(script.stderr)")
        #expect(lines.last?.hasPrefix("ok ") == true, "\(lines)")
    }

    /// Pay after "the node does not answer" sells once whatever changed on the form since (the
    /// tendered amount, an email, card instead of cash), for seats clicked on the map too, whose
    /// seats stay "in this sale"; no other sale starts before the node has answered; an unanswered
    /// sale the node then refuses is said to be not made.
    @Test func payAgainAfterNoAnswerSellsOnceWhateverChangedOnTheForm() throws {
        try Self.run("till-pay-again-after-no-answer")
    }

    /// A reload (F5) after "the node does not answer" keeps the unanswered sale in the tab: the
    /// page warns before it is left, sends the sale again unchanged once loaded and shows the
    /// node's answer, one order; a sale the node never received is sold once it answers again.
    @Test func aReloadAfterNoAnswerSendsTheSaleAgainUnchanged() throws {
        try Self.run("till-reload-after-no-answer")
    }

    /// A door scan whose answer was lost (the node admitted it), scanned again after another
    /// ticket, is the same attempt under its key: admitted, not "already checked in".
    @Test func aDoorScanWithNoAnswerScannedAgainAfterAnotherIsAdmitted() throws {
        try Self.run("door-lost-then-other")
    }

    /// A door's answers arriving out of order: the screen shows the latest scan's verdict, an
    /// earlier scan's late answer goes to the list.
    @Test func aLateAnswerAtTheDoorNeverTakesTheScreenFromALaterScan() throws {
        try Self.run("door-answers-out-of-order")
    }

    /// The same ticket scanned twice while the first check is in flight: one admission, the
    /// second scan answered by the node after the first.
    @Test func theSameTicketScannedTwiceInFlightIsAdmittedOnce() throws {
        try Self.run("door-same-ticket-twice-in-flight")
    }

    /// An empty Check keeps the focus on the code field and clears the last verdict; a scanner
    /// typing while a button has the focus reaches the code field; a new scan clears the screen.
    @Test func theDoorsCodeFieldKeepsTheFocusSoNoScanIsDropped() throws {
        try Self.run("door-focus-stays-on-the-code")
    }

    /// The seat map of the Grand Theatre (`Fixtures/reference/grand-theatre.json`, 2,074 seats)
    /// at 1024×768 and on a phone held upright (390×844): seats at least 24 CSS px, the map
    /// scrolling in its own box and jumping to a section, a seat there clicked into the sale.
    @Test func aLargeHallsSeatMapIsUsableOnASmallScreen() throws {
        try Self.run("grand-theatre-map", reference: try Self.grandTheatre())
    }

    /// A seat chosen on the map that another till sells meanwhile leaves the sale at the next
    /// refresh, with a message; an unanswered sale's seats and those kept from a hold given back
    /// stay.
    @Test func aSeatSoldMeanwhileByAnotherTillLeavesTheSale() throws {
        try Self.run("till-seat-sold-meanwhile")
    }

    /// A best-seats hold that got no answer is given back before another hold is placed (or
    /// becomes the sale's, asked again for the same), also after a reload.
    @Test func aHoldWithNoAnswerIsGivenBackBeforeAnother() throws {
        try Self.run("till-hold-with-no-answer")
    }

    /// A receipt names its category as people read it, at the till and in an order looked up.
    @Test func theReceiptNamesTheCategory() throws {
        try Self.run("receipt-names-the-category")
    }

    /// Times on the pages carry the abbreviation the node's messages use (NST in St. John's,
    /// where the browser's own is GMT-3:30).
    @Test func timesOnThePagesNameTheZoneAsTheNodeDoes() throws {
        try Self.run(
            "times-in-the-nodes-zone",
            reference: BrowserTests.reference.replacing("Europe/Amsterdam", with: "America/St_Johns"))
    }

    /// A cashier signed into a tab where another left a sale unanswered (signed out, or the
    /// session ended) is told, and the sale is not sent again under the new cashier's name.
    @Test func anotherCashiersUnansweredSaleIsNotSentUnderTheNewName() throws {
        try Self.run("another-cashiers-unanswered-sale")
    }

    /// The Grand Theatre's reference data with this test's staff (sue and cal).
    static func grandTheatre() throws -> String {
        let file = PagesTests.repository.appendingPathComponent("Fixtures/reference/grand-theatre.json")
        var reference = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
        reference["staff"] = [["name": "sue", "role": "supervisor"], ["name": "cal", "role": "cashier"]]
        return String(decoding: try JSONSerialization.data(withJSONObject: reference), as: UTF8.self)
    }
}
