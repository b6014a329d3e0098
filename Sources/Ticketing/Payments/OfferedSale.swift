import EdgeStore
import SyncWire

/// A sale as one box-office process offers it to the process whose turn it is to write
/// (``Database/write(offering:_:answered:)``): everything the sale's transaction needs, checked
/// and decided before the offer (the key, the fingerprint, the validated customer, the seller),
/// in a few hundred bytes; and the answer back: the receipt, or the refusal.
///
/// Both travel as ``CompactCoding`` of these types: what a sale carries is declared once, in
/// ``SaleRequest``, ``Receipt`` and the fields below.
struct OfferedSale: Equatable, Codable {
    var request: SaleRequest
    /// The request's customer, validated.
    var customer: CustomerDetails?
    var key: String
    /// The cashier gave the key (a replay returns the first sale as `replayed`).
    var keyGiven: Bool
    var fingerprint: String
    var actor: Operator
    /// Its tickets' signed codes, made by the offering process before its turn (signing takes
    /// tens of microseconds a ticket, kept out of the writer's turn); the sale signs any it lacks.
    var presigned: [SignedTicketCode] = []

    /// The first byte of an offer and of an answer: a holder of another build hands back an offer
    /// it cannot read, and the offering process sells it itself.
    private static let format: UInt8 = 3

    /// The sale as bytes for the mailbox (none when it cannot be written: then it is not offered).
    var encoded: [UInt8] { Self.framed(self) ?? [] }

    /// The answer for a sale that was placed (or replayed): its receipt.
    static func answer(_ receipt: Receipt) -> [UInt8] { framed(Answer.placed(receipt)) ?? [] }

    /// The answer for a sale refused: the error the cashier would have had.
    static func answer(refusal error: TicketingError) -> [UInt8] { framed(Answer.refused(Refusal(error))) ?? [] }

    /// The receipt an answer carries; throws the refusal it carries instead.
    static func receipt(from answer: [UInt8]) throws -> Receipt {
        switch try unframed(Answer.self, from: answer) {
        case .placed(let receipt): receipt
        case .refused(let refusal): throw refusal.error
        }
    }

    private static func framed(_ value: some Encodable) -> [UInt8]? {
        (try? CompactCoding.encode(value)).map { [format] + $0 }
    }

    fileprivate static func unframed<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        guard bytes.first == format else { throw CompactCoding.Malformed() }
        return try CompactCoding.decode(type, from: Array(bytes.dropFirst()))
    }

    /// What the process whose turn it was answers.
    private enum Answer: Codable {
        case placed(Receipt)
        case refused(Refusal)

        init(from decoder: any Decoder) throws {
            var fields = try decoder.unkeyedContainer()
            self =
                try fields.decode(Bool.self)
                ? .placed(try fields.decode(Receipt.self)) : .refused(try fields.decode(Refusal.self))
        }

        func encode(to encoder: any Encoder) throws {
            var fields = encoder.unkeyedContainer()
            switch self {
            case .placed(let receipt):
                try fields.encode(true)
                try fields.encode(receipt)
            case .refused(let refusal):
                try fields.encode(false)
                try fields.encode(refusal)
            }
        }
    }
}

extension OfferedSale {
    /// Reads a sale that ``encoded`` wrote; throws on anything else. (In an extension, so that
    /// the memberwise initialiser stays.)
    init(decoding bytes: [UInt8]) throws { self = try Self.unframed(Self.self, from: bytes) }
}

/// A ``TicketingError`` as its case, its code (a rejection's only) and its sentence.
private struct Refusal: Codable {
    enum Kind: String, Codable {
        case invalidInput, notFound, soldOut, conflict, notLoggedIn, notPermitted, rejected, maintenance
    }
    let kind: Kind
    let code: String?
    let message: String

    init(_ error: TicketingError) {
        (kind, code) =
            switch error {
            case .invalidInput: (.invalidInput, nil)
            case .notFound: (.notFound, nil)
            case .soldOut: (.soldOut, nil)
            case .conflict: (.conflict, nil)
            case .notLoggedIn: (.notLoggedIn, nil)
            case .notPermitted: (.notPermitted, nil)
            case .maintenance: (.maintenance, nil)
            case .rejected(let code, _): (.rejected, code)
            }
        message = error.message
    }

    var error: TicketingError {
        switch kind {
        case .invalidInput: .invalidInput(message)
        case .notFound: .notFound(message)
        case .soldOut: .soldOut(message)
        case .conflict: .conflict(message)
        case .notLoggedIn: .notLoggedIn(message)
        case .notPermitted: .notPermitted(message)
        case .maintenance: .maintenance(message)
        case .rejected: .rejected(code: code ?? "rejected", message: message)
        }
    }
}
