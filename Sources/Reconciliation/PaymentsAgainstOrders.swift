import Foundation
import MySQLClient

/// Every payment against every order in one pass over each table, for a run over all of central.
///
/// Joined in SQL, each order looks its payments up (or each payment its order) one index
/// descent at a time: 5–6 s per million on a buffer pool smaller than the tables. Read here
/// instead, the orders in key order on one connection and the payments by order on another
/// (`payment_by_order` holds the amount), merged as they come: about as long as reading them.
///
/// What the merge finds are candidates, each confirmed by the check's own query over its key:
/// the two reads see central a moment apart (a sale pushed in between would look unpaid or
/// orphaned), and a key that differs only in trailing spaces is one key to the server.
struct PaymentsAgainstOrders {
    /// Orders confirmed or partially refunded whose payments may not add up to their total.
    var orders = [String]()
    /// Payments whose order may be missing.
    var payments = [String]()

    /// The candidates, or nil when the server sends keys in another order than their bytes' (a
    /// collation that pads with spaces sorts `a\t` before `a`), which the merge relies on.
    static func find(orders: MySQLConnection, payments: MySQLConnection) throws -> PaymentsAgainstOrders? {
        // A server thread whose rows wait to be read gives up after `net_write_timeout` (60 s by
        // default): one stream may wait while the other is read past keys it does not have.
        for connection in [orders, payments] { try connection.executeScript("SET SESSION net_write_timeout = 3600") }
        let orderRows = try orders.cursor("SELECT id, status, total_minor FROM orders ORDER BY id")
        let paymentRows = try payments.cursor("SELECT order_id, amount_minor, id FROM payment ORDER BY order_id")
        var found = PaymentsAgainstOrders()
        var order = try orderRows.next().map(Order.init)
        var payment = try paymentRows.next().map(Payment.init)
        while true {
            let key: String
            switch (order, payment) {
            case (nil, nil): return found
            case (let order?, nil): key = order.id
            case (nil, let payment?): key = payment.orderID
            case (let order?, let payment?): key = payment.orderID.bytes(before: order.id) ? payment.orderID : order.id
            }
            var (paid, ids) = (Int64(0), [String]())
            while let current = payment, current.orderID.bytes(equalTo: key) {
                paid += current.amount
                ids.append(current.id)
                payment = try paymentRows.next().map(Payment.init)
                if let next = payment, next.orderID.bytes(before: current.orderID) { return nil }
            }
            guard let current = order, current.id.bytes(equalTo: key) else {
                found.payments += ids
                continue
            }
            if current.isLive, paid != current.total { found.orders.append(current.id) }
            order = try orderRows.next().map(Order.init)
            if let next = order, !current.id.bytes(before: next.id) { return nil }
        }
    }

    private struct Order {
        let id: String
        let isLive: Bool
        let total: Int64

        init(_ row: Row) throws {
            id = try row.get(0)
            isLive = ["confirmed", "partially_refunded"].contains(try row.get(1, as: String.self))
            total = try row.get(2)
        }
    }

    private struct Payment {
        let orderID: String
        let amount: Int64
        let id: String

        init(_ row: Row) throws {
            (orderID, amount, id) = (try row.get(0), try row.get(1), try row.get(2))
        }
    }
}

extension String {
    /// Before `other` in the order of their UTF-8 bytes (Swift's `<` orders by Unicode rules).
    fileprivate func bytes(before other: String) -> Bool { compareBytes(other) < 0 }

    /// The same UTF-8 bytes as `other` (Swift's `==` equates canonically equivalent text).
    fileprivate func bytes(equalTo other: String) -> Bool { compareBytes(other) == 0 }

    /// memcmp of the two strings' UTF-8, the shorter first when one begins the other.
    private func compareBytes(_ other: String) -> Int {
        var (mine, theirs) = (self, other)
        return mine.withUTF8 { left in
            theirs.withUTF8 { right in
                let common = min(left.count, right.count)
                let order = common == 0 ? 0 : memcmp(left.baseAddress!, right.baseAddress!, common)
                return order != 0 ? Int(order) : left.count - right.count
            }
        }
    }
}
