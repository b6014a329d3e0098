/// One ticket as it is printed: the words a person reads and the code its QR carries.
public struct PrintedTicket: Sendable, Equatable {
    public let venue: String
    public let event: String
    /// The venue's local start time, as people read it (`31 Dec 2026 21:00 CET`).
    public let startsAt: String
    public let category: String
    public let seat: String?
    /// The price with its currency (`45.00 EUR`).
    public let price: String
    public let orderID: String
    /// The short code, printed for a person to read out or type.
    public let shortCode: String
    /// What the QR code carries: the signed code (or, for a ticket sold before signing, the short
    /// code); nil for a ticket that no longer lets anyone in, printed without one.
    public let qrContent: String?
    /// A word printed across a ticket that no longer lets anyone in (`REFUNDED`, `VOID`), or nil.
    public let stamp: String?

    public init(
        venue: String, event: String, startsAt: String, category: String, seat: String?, price: String,
        orderID: String, shortCode: String, qrContent: String?, stamp: String?
    ) {
        self.venue = venue
        self.event = event
        self.startsAt = startsAt
        self.category = category
        self.seat = seat
        self.price = price
        self.orderID = orderID
        self.shortCode = shortCode
        self.qrContent = qrContent
        self.stamp = stamp
    }

    /// The lines of text beside the code.
    var lines: [String] {
        [
            event, startsAt, venue, seat.map { "Seat \($0) (\(category))" } ?? category, price, "Order \(orderID)",
        ]
    }
}

/// The formats `boxoffice print` writes: the same tickets as text (with the QR code in block
/// characters), SVG, PDF or ESC/POS. The QR codes are error-correction level M
/// (``correction``): they read from a phone's screen and a creased print alike. A stamped
/// ticket (refunded, void) is printed with its stamp where the QR code would be, and no QR code:
/// nothing on it scans.
public enum TicketLayout {
    public static let correction = QRCode.ErrorCorrection.medium

    public static func text(_ tickets: [PrintedTicket]) throws -> String {
        try tickets.map { ticket in
            let symbol = try ticket.qrContent.map { try QRCode(encoding: $0, correction: correction) }
            return
                (ticket.lines + ["Code  \(ticket.shortCode)"] + (ticket.stamp.map { ["*** \($0) ***"] } ?? [])
                + (symbol.map { [$0.terminalText()] } ?? [])).joined(separator: "\n")
        }.joined(separator: "\n\n") + "\n"
    }

    /// One SVG document, the tickets one under the other (each 640 × 280, its QR code on the right
    /// at 5 units a module).
    public static func svg(_ tickets: [PrintedTicket]) throws -> String {
        let (width, height) = (640, 280)
        var body = ""
        for (index, ticket) in tickets.enumerated() {
            let top = index * height
            body += """
                <g transform="translate(0 \(top))">
                <rect x="0.5" y="0.5" width="\(width - 1)" height="\(height - 1)" fill="#fff" stroke="#000"/>
                <text x="20" y="44" font-size="22" font-weight="bold">\(escaped(ticket.event))</text>

                """
            for (line, text) in ticket.lines.dropFirst().enumerated() {
                body += "<text x=\"20\" y=\"\(80 + 26 * line)\" font-size=\"16\">\(escaped(text))</text>\n"
            }
            body += """
                <text x="20" y="\(height - 24)" font-size="18" font-family="monospace">\(escaped(ticket.shortCode))</text>

                """
            if let content = ticket.qrContent {
                let symbol = try QRCode(encoding: content, correction: correction)
                let scale = 5
                let side = (symbol.size + 2 * QRCode.quietZone) * scale
                let left = width - side - 10
                body += """
                    <rect x="\(left)" y="\((height - side) / 2)" width="\(side)" height="\(side)" fill="#fff"/>
                    <path transform="translate(\(left) \((height - side) / 2)) scale(\(scale))" fill="#000" \
                    d="\(symbol.svgPath(x: QRCode.quietZone, y: QRCode.quietZone))"/>

                    """
            }
            if let stamp = ticket.stamp {
                body += """
                    <text x="180" y="170" font-size="48" font-weight="bold" fill="#c00" transform="rotate(-15 180 170)">\
                    \(escaped(stamp))</text>

                    """
            }
            body += "</g>\n"
        }
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height * tickets.count)" \
            viewBox="0 0 \(width) \(height * tickets.count)" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" \
            shape-rendering="crispEdges">
            \(body)</svg>

            """
    }

    /// A PDF of one A4 page a ticket (a print-at-home ticket), its QR code 4 points a module.
    public static func pdf(_ tickets: [PrintedTicket]) throws -> [UInt8] {
        var document = PDFDocument()
        for ticket in tickets {
            let symbol = try ticket.qrContent.map { try QRCode(encoding: $0, correction: correction) }
            document.addPage(width: 595, height: 842) { page in
                page.text(ticket.event, x: 40, y: 780, size: 20, bold: true)
                for (index, line) in ticket.lines.dropFirst().enumerated() {
                    page.text(line, x: 40, y: 750 - Double(index) * 20, size: 12)
                }
                page.text(ticket.shortCode, x: 40, y: 610, size: 16, bold: true)
                page.text(
                    symbol == nil ? "This ticket lets no one in." : "Show this page or the code at the door.", x: 40,
                    y: 590, size: 10)
                if let stamp = ticket.stamp { page.text(stamp, x: 40, y: 560, size: 28, bold: true) }
                if let symbol {
                    let moduleSize = 4.0
                    let side = Double(symbol.size) * moduleSize
                    page.qrCode(symbol, x: 555 - side - 16, y: 796, moduleSize: moduleSize)
                }
                page.line(x1: 30, y1: 540, x2: 565, y2: 540)
            }
        }
        return document.bytes
    }

    /// ESC/POS for a receipt printer: each ticket centred, its QR code drawn by the printer, a cut after each.
    public static func escpos(_ tickets: [PrintedTicket]) -> [UInt8] {
        var printer = ESCPOS()
        for ticket in tickets {
            printer.align(.center)
            printer.line(ticket.event, bold: true, large: true)
            for line in ticket.lines.dropFirst() { printer.line(line) }
            if let stamp = ticket.stamp { printer.line("*** \(stamp) ***", bold: true) }
            if let content = ticket.qrContent { printer.qrCode(content, correction: correction) }
            printer.line(ticket.shortCode, bold: true)
            printer.cut()
        }
        return printer.bytes
    }

    /// `text` with XML's special characters escaped.
    static func escaped(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(character)
            }
        }
        return out
    }
}
