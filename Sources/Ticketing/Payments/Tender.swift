import SyncWire

/// What the cashier entered about the payment.
public struct PaymentRequest: Sendable, Equatable, Codable {
    public var method: PaymentMethod
    /// Cash handed over, in minor units; nil means exactly the total.
    public var tenderedMinor: Int64?
    /// The card terminal's reference.
    public var reference: String?
    /// The amount the cashier expects to charge; when given it must equal the order total.
    public var amountMinor: Int64?

    public init(method: PaymentMethod, tenderedMinor: Int64? = nil, reference: String? = nil, amountMinor: Int64? = nil)
    {
        self.method = method
        self.tenderedMinor = tenderedMinor
        self.reference = reference
        self.amountMinor = amountMinor
    }
}

/// A payment that fits its order: amount, tendered and change.
struct SettledPayment {
    let method: PaymentMethod
    let amountMinor: Int64
    let tenderedMinor: Int64?
    let changeMinor: Int64?
    let reference: String?
}

/// The payment rules, checked before any inventory is touched (`validate`) and against the
/// order total inside the sale's transaction (`settle`).
enum Tender {
    /// The most a single order may cost: guards arithmetic and typing errors.
    static let maxAmountMinor: Int64 = 100_000_000

    static func validate(_ request: PaymentRequest, by actor: Operator) throws {
        switch request.method {
        case .comp:
            try actor.require(.supervisor, to: "comp tickets")
            guard request.tenderedMinor == nil else {
                throw TicketingError.invalidInput("a tendered amount is for cash payments")
            }
        case .cash:
            guard request.reference == nil else {
                throw TicketingError.invalidInput("a terminal reference is for card payments")
            }
        case .card:
            guard request.tenderedMinor == nil else {
                throw TicketingError.invalidInput("a tendered amount is for cash payments")
            }
            guard let reference = request.reference else {
                throw TicketingError.invalidInput("a card payment needs the terminal's reference")
            }
            guard (1...64).contains(reference.count),
                reference.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_./:".contains($0)) })
            else {
                throw TicketingError.invalidInput("the terminal reference must be 1 to 64 letters, digits or - _ . / :")
            }
        }
        for (name, value) in [
            ("the tendered amount", request.tenderedMinor), ("the expected amount", request.amountMinor),
        ] {
            if let value, !(0...maxAmountMinor).contains(value) {
                throw TicketingError.invalidInput(
                    "\(name) must be from 0 to \(maxAmountMinor) minor units, not \(value)")
            }
        }
    }

    /// Checks the payment against the order total and works out the change.
    static func settle(_ request: PaymentRequest, total: Money, settings: NodeSettings) throws -> SettledPayment {
        if let amount = request.amountMinor, amount != total.minor {
            throw TicketingError.rejected(
                code: "amount_mismatch",
                message: "amount \(Money(minor: amount, currency: total.currency)) "
                    + "does not match the order total \(total)")
        }
        switch request.method {
        case .comp, .card:
            return SettledPayment(
                method: request.method, amountMinor: total.minor, tenderedMinor: nil, changeMinor: nil,
                reference: request.reference)
        case .cash:
            let tendered = request.tenderedMinor ?? total.minor
            guard tendered >= total.minor else {
                throw TicketingError.rejected(
                    code: "insufficient_tender",
                    message: "tendered \(Money(minor: tendered, currency: total.currency)) "
                        + "is less than the total \(total)")
            }
            let change = tendered - total.minor
            guard change <= settings.maxCashChangeMinor else {
                throw TicketingError.rejected(
                    code: "change_too_large",
                    message: "change of \(Money(minor: change, currency: total.currency)) "
                        + "exceeds the limit of \(Money(minor: settings.maxCashChangeMinor, currency: total.currency)); check the tendered amount"
                )
            }
            return SettledPayment(
                method: .cash, amountMinor: total.minor, tenderedMinor: tendered, changeMinor: change, reference: nil)
        }
    }
}
