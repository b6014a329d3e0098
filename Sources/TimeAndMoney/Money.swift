/// An amount in a currency's minor units (cents for EUR): never floating point.
public struct Money: Hashable, Sendable, Codable, CustomStringConvertible {
    /// Amount in minor units; negative for money going back to a customer.
    public let minor: Int64
    /// ISO 4217 code (`EUR`).
    public let currency: String

    /// An amount in minor units.
    public init(minor: Int64, currency: String) {
        self.minor = minor
        self.currency = currency
    }

    /// Digits after the decimal point for the currencies a venue is likely to use.
    static func minorDigits(_ currency: String) -> Int {
        switch currency {
        case "JPY", "KRW", "ISK", "CLP", "VND": 0
        case "BHD", "KWD", "OMR", "JOD", "TND": 3
        default: 2
        }
    }

    /// `65.00 EUR`.
    public var description: String {
        let digits = Self.minorDigits(currency)
        guard digits > 0 else { return "\(minor) \(currency)" }
        var divisor: Int64 = 1
        for _ in 0..<digits { divisor *= 10 }
        let magnitude = minor.magnitude
        let whole = magnitude / UInt64(divisor)
        let fraction = magnitude % UInt64(divisor)
        let fractionText = String(fraction)
        let padded = String(repeating: "0", count: digits - fractionText.count) + fractionText
        return "\(minor < 0 ? "-" : "")\(whole).\(padded) \(currency)"
    }

    /// True for a three-letter upper-case code.
    public static func isCurrencyCode(_ text: String) -> Bool {
        text.count == 3 && text.allSatisfy { $0.isASCII && $0.isUppercase }
    }
}
