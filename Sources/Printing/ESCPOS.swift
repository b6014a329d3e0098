/// Bytes for an ESC/POS receipt printer (Epson's command set, which most thermal printers at box
/// offices speak): text lines, emphasis, alignment, a QR code the printer draws itself
/// (`GS ( k`, functions 165, 167, 169, 180 and 181), and a cut.
public struct ESCPOS: Sendable {
    public private(set) var bytes: [UInt8] = [0x1B, 0x40, 0x1B, 0x74, 19]  // ESC @ (reset), ESC t 19 (PC858)

    public init() {}

    public enum Alignment: UInt8, Sendable {
        case left = 0
        case center = 1
    }

    /// `ESC a n`.
    public mutating func align(_ alignment: Alignment) { bytes += [0x1B, 0x61, alignment.rawValue] }

    /// A line of text (PC858: ASCII, Western European letters and €; another Latin letter
    /// without its diacritic, anything else as `?`: ``CodePageText``), emphasised (`ESC E`) and
    /// double-sized (`GS !`) if asked.
    public mutating func line(_ text: String, bold: Bool = false, large: Bool = false) {
        if bold { bytes += [0x1B, 0x45, 1] }
        if large { bytes += [0x1D, 0x21, 0x11] }
        bytes += CodePageText.bytes(text, in: Self.pc858)
        bytes.append(0x0A)
        if large { bytes += [0x1D, 0x21, 0x00] }
        if bold { bytes += [0x1B, 0x45, 0] }
    }

    /// A QR code of `data`: model 2 (function 165), `moduleSize` dots a module (167, 1–16),
    /// `correction` (169), the data stored (180) and printed (181).
    public mutating func qrCode(_ data: String, moduleSize: UInt8 = 6, correction: QRCode.ErrorCorrection = .medium) {
        let payload = Array(data.utf8)
        let level: UInt8 =
            switch correction {
            case .low: 48
            case .medium: 49
            case .quartile: 50
            case .high: 51
            }
        bytes += [0x1D, 0x28, 0x6B, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00]
        bytes += [0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x43, min(16, max(1, moduleSize))]
        bytes += [0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x45, level]
        let length = payload.count + 3
        bytes += [0x1D, 0x28, 0x6B, UInt8(length & 0xff), UInt8(length >> 8), 0x31, 0x50, 0x30] + payload
        bytes += [0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x51, 0x30]
        bytes.append(0x0A)
    }

    /// Feeds the paper past the cutter and cuts it (`GS V 66 n`), leaving a hinge.
    public mutating func cut() { bytes += [0x1D, 0x56, 66, 3] }

    /// The byte of `scalar` in code page 858 (850 with the euro sign), nil when it has none.
    static func pc858(_ scalar: Unicode.Scalar) -> UInt8? {
        if (0x20..<0x7F).contains(scalar.value) { return UInt8(scalar.value) }
        let table: [Character: UInt8] = [
            "Ç": 0x80, "ü": 0x81, "é": 0x82, "â": 0x83, "ä": 0x84, "à": 0x85, "å": 0x86, "ç": 0x87, "ê": 0x88,
            "ë": 0x89, "è": 0x8A, "ï": 0x8B, "î": 0x8C, "ì": 0x8D, "Ä": 0x8E, "Å": 0x8F, "É": 0x90, "æ": 0x91,
            "Æ": 0x92, "ô": 0x93, "ö": 0x94, "ò": 0x95, "û": 0x96, "ù": 0x97, "Ö": 0x99, "Ü": 0x9A, "ø": 0x9B,
            "£": 0x9C, "Ø": 0x9D, "á": 0xA0, "í": 0xA1, "ó": 0xA2, "ú": 0xA3, "ñ": 0xA4, "Ñ": 0xA5, "ß": 0xE1,
            "€": 0xD5,
        ]
        return table[Character(scalar)]
    }
}
