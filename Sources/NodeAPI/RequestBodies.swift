import SyncWire
import Ticketing

/// The bodies the API's writes take, field for field what the CLI's options say.

struct SignInBody: APIBody {
    let name: String
    let password: String
    static let fields = JSONShape.Fields(["name": nil, "password": nil])
}

struct PaymentBody: Decodable {
    let method: PaymentMethod
    let tenderedMinor: Int64?
    let reference: String?
    let amountMinor: Int64?

    static let fields = JSONShape.Fields([
        "method": nil, "tendered_minor": nil, "reference": nil, "amount_minor": nil,
    ])

    var request: PaymentRequest {
        PaymentRequest(method: method, tenderedMinor: tenderedMinor, reference: reference, amountMinor: amountMinor)
    }
}

struct CustomerBody: Decodable {
    let email: String
    let name: String?
    let phone: String?

    static let fields = JSONShape.Fields(["email": nil, "name": nil, "phone": nil])

    var details: CustomerDetails { CustomerDetails(email: email, name: name, phone: phone) }
}

/// What to sell or hold: a quantity (best available for a seated category) or named seats.
protocol SelectionBody {
    var quantity: Int? { get }
    var seats: [String]? { get }
}

extension SelectionBody {
    var selection: SeatSelection {
        get throws {
            switch (quantity, seats) {
            case (let quantity?, nil): return .quantity(quantity)
            case (nil, let seats?): return .seats(seats)
            case (nil, nil): throw TicketingError.invalidInput("give quantity (best available) or seats")
            case (_?, _?): throw TicketingError.invalidInput("give quantity or seats, not both")
            }
        }
    }
}

struct SaleBody: APIBody, SelectionBody {
    let event: String
    let category: String
    let quantity: Int?
    let seats: [String]?
    let payment: PaymentBody
    let customer: CustomerBody?

    static let fields = JSONShape.Fields([
        "event": nil, "category": nil, "quantity": nil, "seats": nil, "payment": PaymentBody.fields,
        "customer": CustomerBody.fields,
    ])
}

struct HoldBody: APIBody, SelectionBody {
    let event: String
    let category: String
    let quantity: Int?
    let seats: [String]?
    let ttlSeconds: Int64?

    static let fields = JSONShape.Fields([
        "event": nil, "category": nil, "quantity": nil, "seats": nil, "ttl_seconds": nil,
    ])
}

struct ConfirmBody: APIBody {
    let payment: PaymentBody
    let customer: CustomerBody?

    static let fields = JSONShape.Fields(["payment": PaymentBody.fields, "customer": CustomerBody.fields])
}

struct RefundBody: APIBody {
    let tickets: [String]?
    let reason: String

    static let fields = JSONShape.Fields(["tickets": nil, "reason": nil])
}

struct CheckInBody: APIBody {
    /// The short code or the signed code a scanner read.
    let code: String
    let gate: String?
    let event: String?

    static let fields = JSONShape.Fields(["code": nil, "gate": nil, "event": nil])
}

/// An offline scanner's admissions file (`SyncProtocol/scanner.md`), with the gate to record
/// where the file names none.
struct ScannerImportBody: APIBody {
    let format: String
    let scanner: String
    let eventID: String
    let gate: String?
    let admissions: [ScannerAdmissions.Admission]

    static let fields = JSONShape.Fields(
        Dictionary(uniqueKeysWithValues: ScannerAdmissions.fieldNames.map { ($0, nil) }))

    /// Each admission's fields, by the rule `checkin --import` applies to a file.
    static func checkFields(_ body: [UInt8]) throws {
        if let unknown = try? ScannerFile.unknownField(in: body) { throw APIError.badRequest(unknown) }
    }

    var file: ScannerAdmissions {
        ScannerAdmissions(format: format, scanner: scanner, eventID: eventID, gate: gate, admissions: admissions)
    }
}

struct ResendBody: APIBody {
    /// Another address than the order's customer's.
    let to: String?

    static let fields = JSONShape.Fields(["to": nil])
}

struct DrawerOpenBody: APIBody {
    let floatMinor: Int64

    static let fields = JSONShape.Fields(["float_minor": nil])
}

struct DrawerCloseBody: APIBody {
    let countedMinor: Int64

    static let fields = JSONShape.Fields(["counted_minor": nil])
}
