/// A PDF 1.4 document (ISO 32000-1) of pages with text in the standard Helvetica fonts and filled
/// rectangles: what a printed ticket needs, and nothing more (no compression, no embedded fonts:
/// every reader has Helvetica).
///
/// ```swift
/// var pdf = PDFDocument()
/// pdf.addPage(width: 595, height: 842) { page in
///     page.text("New Year's Eve Gala", x: 40, y: 780, size: 18, bold: true)
///     page.qrCode(symbol, x: 400, y: 600, moduleSize: 4)
/// }
/// let bytes = pdf.bytes
/// ```
public struct PDFDocument: Sendable {
    /// One page's drawing, in PDF units (1/72 inch) from the bottom left.
    public struct Page: Sendable {
        public let width: Double
        public let height: Double
        var content = ""

        /// `text` at (`x`, `y`), its baseline's start; a Latin letter Windows-1252 lacks prints
        /// without its diacritic, any other character it lacks as `?` (``CodePageText``).
        public mutating func text(_ text: String, x: Double, y: Double, size: Double, bold: Bool = false) {
            content +=
                "BT /\(bold ? "F2" : "F1") \(Self.number(size)) Tf \(Self.number(x)) \(Self.number(y)) Td ("
                + Self.escaped(text) + ") Tj ET\n"
        }

        /// A filled black rectangle, its bottom left at (`x`, `y`).
        public mutating func rectangle(x: Double, y: Double, width: Double, height: Double) {
            content += "\(Self.number(x)) \(Self.number(y)) \(Self.number(width)) \(Self.number(height)) re f\n"
        }

        /// A thin line from (`x1`, `y1`) to (`x2`, `y2`).
        public mutating func line(x1: Double, y1: Double, x2: Double, y2: Double) {
            content += "0.5 w \(Self.number(x1)) \(Self.number(y1)) m \(Self.number(x2)) \(Self.number(y2)) l S\n"
        }

        /// A QR symbol, `moduleSize` units a module, its top left (quiet zone excluded) at (`x`, `y`).
        public mutating func qrCode(_ symbol: QRCode, x: Double, y: Double, moduleSize: Double) {
            for run in symbol.darkRuns {
                rectangle(
                    x: x + Double(run.column) * moduleSize, y: y - Double(run.row + 1) * moduleSize,
                    width: Double(run.length) * moduleSize, height: moduleSize)
            }
        }

        static func number(_ value: Double) -> String {
            let hundredths = Int((value * 100).rounded())
            let whole = hundredths / 100
            let fraction = abs(hundredths % 100)
            let sign = hundredths < 0 && whole == 0 ? "-" : ""
            return fraction == 0
                ? "\(sign)\(whole)" : "\(sign)\(whole).\(fraction < 10 ? "0" : "")\(fraction)"
        }

        /// The text as a PDF string's bytes in Windows-1252 (the fonts' WinAnsiEncoding), with
        /// `(`, `)` and `\` escaped.
        static func escaped(_ text: String) -> String {
            var out = ""
            for byte in CodePageText.bytes(text, in: windows1252) {
                switch byte {
                case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "\\"):
                    out += "\\" + String(UnicodeScalar(byte))
                case 0x20..<0x7F: out += String(UnicodeScalar(byte))
                default: out += "\\" + String(byte, radix: 8)
                }
            }
            return out
        }

        static func windows1252(_ scalar: Unicode.Scalar) -> UInt8? {
            switch scalar.value {
            case 0x20..<0x7F, 0xA0...0xFF: return UInt8(scalar.value)
            case 0x20AC: return 0x80
            case 0x0160: return 0x8A
            case 0x0152: return 0x8C
            case 0x017D: return 0x8E
            case 0x0161: return 0x9A
            case 0x0153: return 0x9C
            case 0x017E: return 0x9E
            case 0x0178: return 0x9F
            case 0x2018: return 0x91
            case 0x2019: return 0x92
            case 0x201C: return 0x93
            case 0x201D: return 0x94
            case 0x2013: return 0x96
            case 0x2014: return 0x97
            case 0x2022: return 0x95
            case 0x2026: return 0x85
            default: return nil
            }
        }
    }

    private var pages = [Page]()

    public init() {}

    /// Adds a page of `width` × `height` units that `draw` fills.
    public mutating func addPage(width: Double, height: Double, _ draw: (inout Page) -> Void) {
        var page = Page(width: width, height: height)
        draw(&page)
        pages.append(page)
    }

    /// The document's bytes: catalog, page tree, the two fonts, each page and its content, the
    /// cross-reference table and the trailer.
    public var bytes: [UInt8] {
        var objects = [String]()
        let fontObjects = (3, 4)
        let firstPage = 5
        let kids = pages.indices.map { "\(firstPage + 2 * $0) 0 R" }.joined(separator: " ")
        objects.append("<< /Type /Catalog /Pages 2 0 R >>")
        objects.append("<< /Type /Pages /Kids [\(kids)] /Count \(pages.count) >>")
        objects.append("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
        objects.append("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>")
        for (index, page) in pages.enumerated() {
            objects.append(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 \(Page.number(page.width)) \(Page.number(page.height))] "
                    + "/Resources << /Font << /F1 \(fontObjects.0) 0 R /F2 \(fontObjects.1) 0 R >> >> "
                    + "/Contents \(firstPage + 2 * index + 1) 0 R >>")
            objects.append("<< /Length \(page.content.utf8.count) >>\nstream\n\(page.content)endstream")
        }
        var out = Array(
            "%PDF-1.4\n%\u{E2}\u{E3}\u{CF}\u{D3}\n".unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) })
        var offsets = [Int]()
        for (index, object) in objects.enumerated() {
            offsets.append(out.count)
            out += Array("\(index + 1) 0 obj\n\(object)\nendobj\n".utf8)
        }
        let xref = out.count
        var table = "xref\n0 \(objects.count + 1)\n0000000000 65535 f \n"
        for offset in offsets {
            let digits = String(offset)
            table += String(repeating: "0", count: 10 - digits.count) + digits + " 00000 n \n"
        }
        table += "trailer\n<< /Size \(objects.count + 1) /Root 1 0 R >>\nstartxref\n\(xref)\n%%EOF\n"
        return out + Array(table.utf8)
    }
}
