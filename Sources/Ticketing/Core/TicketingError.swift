/// Why a box-office operation did not happen. Every case carries one sentence for the cashier;
/// the executables map cases to exit codes in one place.
public enum TicketingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A value is malformed or out of range (a 10 KB name, a bad email, a zero quantity).
    case invalidInput(String)
    /// The event, category, seat, order, hold, ticket or user does not exist.
    case notFound(String)
    /// Not enough inventory left in this node's allocation or the event's capacity.
    case soldOut(String)
    /// Concurrent changes kept winning after the bounded retries, or an idempotency key was
    /// reused for a different request.
    case conflict(String)
    /// No valid session.
    case notLoggedIn(String)
    /// The operator's role does not allow it, or the account is disabled.
    case notPermitted(String)
    /// A business rule refuses it (event not on sale, hold expired, too little cash tendered…).
    case rejected(code: String, message: String)
    /// The node is in maintenance: sales, holds, refunds and changes wait until it is over.
    case maintenance(String)

    /// The sentence for the cashier.
    public var message: String {
        switch self {
        case .invalidInput(let text), .notFound(let text), .soldOut(let text), .conflict(let text),
            .notLoggedIn(let text), .notPermitted(let text), .maintenance(let text):
            text
        case .rejected(_, let text):
            text
        }
    }

    public var description: String { message }
}
