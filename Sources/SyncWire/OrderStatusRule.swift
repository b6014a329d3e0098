/// How an order's status follows from its tickets, the same on the node (SQLite) and at central
/// (MySQL): some live tickets and some refunded or void → `partially_refunded`; all live →
/// `confirmed`; none live but some void (refund pending) → `cancelled`; else `refunded`.
public enum OrderStatusRule {
    /// Recomputes one order's status; bind the order id four times.
    public static let updateSQL = """
        UPDATE orders SET status = CASE
            WHEN EXISTS (SELECT 1 FROM ticket WHERE order_id = ? AND status IN \(TicketStatus.liveList))
                THEN CASE WHEN EXISTS (SELECT 1 FROM ticket WHERE order_id = ? AND status IN ('refunded', 'void'))
                     THEN 'partially_refunded' ELSE 'confirmed' END
            WHEN EXISTS (SELECT 1 FROM ticket WHERE order_id = ? AND status = 'void') THEN 'cancelled'
            ELSE 'refunded' END
        WHERE id = ?
        """
}
