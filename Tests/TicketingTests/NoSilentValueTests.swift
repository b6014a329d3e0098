import EdgeStore
import Foundation
import SyncWire
import TestSupport
import Testing

@testable import Ticketing

/// Values are what they are or an error: never a default, never a stand-in.
@Suite struct NoSilentValueTests {
    /// A status that is no known case (here written past the CHECK constraint) is an error when
    /// read, not a `closed` event.
    @Test func anUnknownStatusIsAnErrorNotADefault() throws {
        let h = try NodeHarness()
        try h.node.database.execute("PRAGMA ignore_check_constraints = ON")
        try h.node.database.execute("UPDATE event SET status = 'postponed' WHERE id = 'SHOW'")
        try h.node.database.execute("UPDATE staff SET role = 'owner' WHERE name = 'sue'")
        try h.node.database.execute("PRAGMA ignore_check_constraints = OFF")
        #expect(throws: RowError.self) { try h.node.catalog.event("SHOW") }
        #expect(throws: RowError.self) { try h.sell() }
        #expect(throws: RowError.self) { try h.node.users.list(by: h.admin) }
    }

    @Test func aValueJSONCannotEncodeIsAnErrorNotEmpty() {
        #expect(throws: EncodingError.self) { try JSONText.encode(["price": Double.nan]) }
    }

    /// A sale the cashier gave no key gets one of its own kind, not a second order id.
    @Test func aDefaultIdempotencyKeyIsNotAnOrderID() throws {
        let h = try NodeHarness()
        let sale = try h.sell()
        let key: String = try #require(
            try h.node.database.scalar("SELECT idempotency_key FROM orders WHERE id = ?", [sale.orderID]))
        #expect(key.hasPrefix("key_") && key != sale.orderID)
    }
}
