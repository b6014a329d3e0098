/// A QR code symbol (ISO/IEC 18004:2015, Model 2): the text in alphanumeric mode when every
/// character is one of its 45 (digits, upper-case letters, space and `$%*+-./:`), else its UTF-8
/// bytes in byte mode; the smallest version (1 to 40) that holds it at the error-correction level
/// asked; the mask with the lowest penalty (section 7.8.3).
///
/// ```swift
/// let symbol = try QRCode(encoding: "K7QX3M9DPA2FW8ZR", correction: .medium)
/// symbol.size          // 21: version 1
/// symbol[row: 0, column: 0]   // true: the finder pattern's dark corner
/// ```
public struct QRCode: Sendable, Equatable {
    /// How much of the symbol may be damaged and still read: about 7, 15, 25 and 30 %.
    public enum ErrorCorrection: String, Sendable, CaseIterable, Hashable {
        case low = "L"
        case medium = "M"
        case quartile = "Q"
        case high = "H"

        /// The two bits the format information gives it (table 12).
        var formatBits: Int {
            switch self {
            case .low: 1
            case .medium: 0
            case .quartile: 3
            case .high: 2
            }
        }
    }

    /// The text does not fit a version 40 symbol at that level.
    public struct TooLong: Error, Equatable, Sendable, CustomStringConvertible {
        public let bytes: Int
        public var description: String { "\(bytes) bytes do not fit a QR code" }
    }

    public let version: Int
    public let correction: ErrorCorrection
    public let mask: Int
    /// Modules per side: 21 to 177.
    public var size: Int { version * 4 + 17 }
    /// Dark modules, row by row.
    let dark: [Bool]

    /// True when the module at `row`, `column` is dark.
    public subscript(row row: Int, column column: Int) -> Bool { dark[row * size + column] }

    public init(encoding text: String, correction: ErrorCorrection) throws(TooLong) {
        let alphanumeric = text.utf8.allSatisfy { Self.alphanumericValue($0) != nil }
        let bytes = Array(text.utf8)
        var chosen: Int?
        for version in 1...40 {
            let capacity = QRTables.dataCodewords(version, correction) * 8
            if Self.bitLength(count: bytes.count, alphanumeric: alphanumeric, version: version) <= capacity {
                chosen = version
                break
            }
        }
        guard let version = chosen else { throw TooLong(bytes: bytes.count) }
        var bits = BitBuffer()
        if alphanumeric {
            bits.append(0b0010, count: 4)
            bits.append(bytes.count, count: version <= 9 ? 9 : version <= 26 ? 11 : 13)
            var index = 0
            while index + 1 < bytes.count {
                bits.append(
                    Self.alphanumericValue(bytes[index])! * 45 + Self.alphanumericValue(bytes[index + 1])!, count: 11)
                index += 2
            }
            if index < bytes.count { bits.append(Self.alphanumericValue(bytes[index])!, count: 6) }
        } else {
            bits.append(0b0100, count: 4)
            bits.append(bytes.count, count: version <= 9 ? 8 : 16)
            for byte in bytes { bits.append(Int(byte), count: 8) }
        }
        let capacity = QRTables.dataCodewords(version, correction) * 8
        bits.append(0, count: min(4, capacity - bits.count))
        bits.append(0, count: (8 - bits.count % 8) % 8)
        var codewords = bits.bytes
        var pad: UInt8 = 0xEC
        while codewords.count * 8 < capacity {
            codewords.append(pad)
            pad ^= 0xEC ^ 0x11
        }
        var matrix = ModuleMatrix(version: version)
        matrix.drawFunctionPatterns(correction: correction)
        matrix.drawCodewords(Self.withErrorCorrection(codewords, version: version, correction: correction))
        var best: (mask: Int, penalty: Int, modules: [Bool])?
        for mask in 0..<8 {
            var candidate = matrix
            candidate.apply(mask: mask)
            candidate.drawFormatBits(correction: correction, mask: mask)
            let penalty = candidate.penalty()
            if best == nil || penalty < best!.penalty { best = (mask, penalty, candidate.modules) }
        }
        self.version = version
        self.correction = correction
        self.mask = best!.mask
        dark = best!.modules
    }

    /// Bits the segment takes in `version`: mode, count and data.
    static func bitLength(count: Int, alphanumeric: Bool, version: Int) -> Int {
        if alphanumeric {
            return 4 + (version <= 9 ? 9 : version <= 26 ? 11 : 13) + count / 2 * 11 + count % 2 * 6
        }
        return 4 + (version <= 9 ? 8 : 16) + count * 8
    }

    /// The value of a character in alphanumeric mode (table 5), or nil.
    static func alphanumericValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): Int(byte - UInt8(ascii: "A")) + 10
        default: Array(" $%*+-./:".utf8).firstIndex(of: byte).map { $0 + 36 }
        }
    }

    /// The data codewords split into blocks, each followed by its Reed–Solomon codewords, and
    /// interleaved (section 7.6).
    static func withErrorCorrection(_ data: [UInt8], version: Int, correction: ErrorCorrection) -> [UInt8] {
        let blockCount = QRTables.errorCorrectionBlocks[correction]![version]
        let eccLength = QRTables.eccCodewordsPerBlock[correction]![version]
        let raw = QRTables.rawDataModules(version) / 8
        let shortBlocks = blockCount - raw % blockCount
        let shortLength = raw / blockCount
        let divisor = ReedSolomon.divisor(degree: eccLength)
        var blocks = [[UInt8]]()
        var offset = 0
        for index in 0..<blockCount {
            let length = shortLength - eccLength + (index < shortBlocks ? 0 : 1)
            var block = Array(data[offset..<offset + length])
            offset += length
            let ecc = ReedSolomon.remainder(block, divisor: divisor)
            if index < shortBlocks { block.append(0) }
            blocks.append(block + ecc)
        }
        var result = [UInt8]()
        result.reserveCapacity(raw)
        for position in 0..<blocks[0].count {
            for (index, block) in blocks.enumerated()
            where position != shortLength - eccLength || index >= shortBlocks {
                result.append(block[position])
            }
        }
        return result
    }
}

/// Bits appended most significant first.
struct BitBuffer {
    private(set) var bits = [Bool]()
    var count: Int { bits.count }

    mutating func append(_ value: Int, count: Int) {
        for shift in stride(from: count - 1, through: 0, by: -1) { bits.append((value >> shift) & 1 == 1) }
    }

    /// The bits as bytes (the count is a multiple of 8).
    var bytes: [UInt8] {
        stride(from: 0, to: bits.count, by: 8).map { start in
            bits[start..<start + 8].reduce(UInt8(0)) { $0 << 1 | ($1 ? 1 : 0) }
        }
    }
}

/// Reed–Solomon error correction over GF(2⁸) with the polynomial x⁸ + x⁴ + x³ + x² + 1 (0x11D),
/// as QR codes use it (section 7.5.2).
enum ReedSolomon {
    /// The generator polynomial of `degree`, its leading 1 left out, highest power first.
    static func divisor(degree: Int) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: degree)
        result[degree - 1] = 1
        var root: UInt8 = 1
        for _ in 0..<degree {
            for index in result.indices {
                result[index] = multiply(result[index], root)
                if index + 1 < result.count { result[index] ^= result[index + 1] }
            }
            root = multiply(root, 0x02)
        }
        return result
    }

    /// The remainder of `data` divided by `divisor`: its error-correction codewords.
    static func remainder(_ data: [UInt8], divisor: [UInt8]) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: divisor.count)
        for byte in data {
            let factor = byte ^ result.removeFirst()
            result.append(0)
            for index in result.indices { result[index] ^= multiply(divisor[index], factor) }
        }
        return result
    }

    static func multiply(_ x: UInt8, _ y: UInt8) -> UInt8 {
        var product = 0
        for shift in stride(from: 7, through: 0, by: -1) {
            product = (product << 1) ^ ((product >> 7) * 0x11D)
            product ^= Int((y >> UInt8(shift)) & 1) * Int(x)
        }
        return UInt8(product)
    }
}
