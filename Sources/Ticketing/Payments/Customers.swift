import EdgeStore
import SyncWire

/// Who an order is for, when the customer gives their details.
public struct CustomerDetails: Sendable, Equatable, Codable {
    public var email: String
    public var name: String?
    public var phone: String?

    public init(email: String, name: String? = nil, phone: String? = nil) {
        self.email = email
        self.name = name
        self.phone = phone
    }

    /// The details checked and normalised (email lower-cased, text trimmed and bounded).
    func validated() throws -> CustomerDetails {
        let phone = try phone.map { try Validation.text($0, field: "phone", maxLength: SyncLimits.phone) }
        if let phone, !phone.allSatisfy({ $0.isASCII && ($0.isNumber || " +-()./".contains($0)) }) {
            throw TicketingError.invalidInput("phone may hold digits, spaces and + - ( ) . / only")
        }
        return CustomerDetails(
            email: try Validation.email(email),
            name: try name.map { try Validation.text($0, field: "customer name", maxLength: SyncLimits.customerName) },
            phone: phone)
    }
}

/// Finds or creates customers by email, inside the caller's transaction.
struct Customers {
    let node: VenueNode

    /// The customer's id; new details given for a known email update it.
    func upsert(_ details: CustomerDetails) throws -> String {
        let db = node.database
        if let row = try db.row("SELECT id, name, phone FROM customer WHERE email = ?", [details.email]) {
            let id: String = try row.get("id")
            let storedName: String? = try row.get("name")
            let storedPhone: String? = try row.get("phone")
            let name = details.name ?? storedName
            let phone = details.phone ?? storedPhone
            if name != storedName || phone != storedPhone {
                try db.execute("UPDATE customer SET name = ?, phone = ? WHERE id = ?", [name, phone, id])
            }
            return id
        }
        let id = node.ids.make(.customer)
        try db.execute(
            "INSERT INTO customer (id, email, name, phone, created_at) VALUES (?, ?, ?, ?, ?)",
            [id, details.email, details.name, details.phone, node.clock.now().milliseconds])
        return id
    }
}
