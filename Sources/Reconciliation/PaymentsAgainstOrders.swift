import Foundation
import MySQLClient

/// Every payment against every order in one pass over each table, for a run over all of central.
///
/// Joined in SQL, each order looks its payments up (or each payment its order) one index
/// descent at a time: 5–8 s per million on a buffer pool smaller than the tables. Read here
/// instead, in key order a chunk at a time on one connection (the orders, then the payments of
/// the same keys from `payment_by_order`, which holds the amount), and merged: about as long as
/// reading them.
///
/// What the merge finds are candidates, each confirmed by the check's own query over its key:
/// the chunks see central a moment apart (a sale pushed in between would look unpaid or
/// orphaned), and a key that differs only in trailing spaces is one key to the server.
struct PaymentsAgainstOrders {
    /// Orders confirmed or partially refunded whose payments may not add up to their total.
    var orders = [String]()
    /// Payments whose order may be missing.
    var payments = [String]()

    /// The candidates, read `chunk` orders at a time; nil when the server sends keys in another
    /// order than their bytes' (a collation that pads with spaces sorts `a\t` before `a`), which
    /// the merge relies on.
    static func find(in connection: MySQLConnection, chunk: Int = 10_000) throws -> PaymentsAgainstOrders? {
        var found = PaymentsAgainstOrders()
        var merge = Merge()
        var after: String?  // the last order key of the chunk before
        while true {
            let orders = try connection.rows(
                "SELECT id, status, total_minor FROM orders\(after == nil ? "" : " WHERE id > ?") ORDER BY id LIMIT ?",
                (after.map { [$0] } ?? []) + [chunk]
            ).map(Order.init)
            // The payments of this chunk's keys, up to the last chunk's: every payment left.
            let through = orders.count == chunk ? orders.last?.id : nil
            let range = [after.map { _ in "order_id > ?" }, through.map { _ in "order_id <= ?" }].compactMap { $0 }
            let payments = try connection.rows(
                "SELECT order_id, amount_minor, id FROM payment"
                    + (range.isEmpty ? "" : " WHERE " + range.joined(separator: " AND ")) + " ORDER BY order_id",
                [after, through].compactMap { $0 }
            ).map(Payment.init)
            guard merge.add(orders, payments, to: &found) else { return nil }
            guard let through else { return found }
            after = through
        }
    }

    /// Merges chunks in byte order, checking that the keys come in it across chunks.
    private struct Merge {
        var lastOrder: String?
        var lastPayment: String?

        /// False when a key came out of byte order.
        mutating func add(_ orders: [Order], _ payments: [Payment], to found: inout PaymentsAgainstOrders) -> Bool {
            var next = payments.startIndex
            for order in orders.map(Optional.some) + [nil] {
                if let order {
                    if let lastOrder, !lastOrder.bytes(before: order.id) { return false }
                    lastOrder = order.id
                }
                var paid = Int64(0)
                // This order's payments, and before them those of keys no order has.
                while next < payments.endIndex {
                    let payment = payments[next]
                    if let order, order.id.bytes(before: payment.orderID) { break }  // a later order's
                    if let lastPayment, payment.orderID.bytes(before: lastPayment) { return false }
                    lastPayment = payment.orderID
                    if let order, payment.orderID.bytes(equalTo: order.id) {
                        paid += payment.amount
                    } else {
                        found.payments.append(payment.id)
                    }
                    next += 1
                }
                if let order, order.isLive, paid != order.total { found.orders.append(order.id) }
            }
            return true
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
