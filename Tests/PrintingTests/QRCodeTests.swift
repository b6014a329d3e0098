import Foundation
import TestSupport
import Testing

@testable import Printing

/// The QR encoder against a real decoder: symbols rendered to PNG by `rsvg-convert` (Debian's
/// librsvg2-bin) or written by ``PNGImage``, read back by `zbarimg` (zbar-tools).
@Suite struct QRCodeTests {
    static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")

    /// A random code of the signed form's length and alphabet.
    static func randomCode<G: RandomNumberGenerator>(_ generator: inout G) -> String {
        String((0..<129).map { _ in alphabet.randomElement(using: &generator)! })
    }

    /// What `zbarimg` reads in the PNG file `path`, one string a symbol, sorted.
    static func decode(png path: String) throws -> [String] {
        let result = try ProcessRunner.run(
            "/usr/bin/zbarimg", ["--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", path])
        #expect(result.status == 0 || result.status == 4, "zbarimg: \(result.stderr)")
        return result.stdout.split(separator: "\n", omittingEmptySubsequences: true).map(String.init).sorted()
    }

    /// Renders `svg` to PNG with `rsvg-convert` and reads it back.
    static func decode(svg: String, in directory: TemporaryDirectory, name: String) throws -> [String] {
        let source = directory.file("\(name).svg")
        let png = directory.file("\(name).png")
        try svg.write(toFile: source, atomically: true, encoding: .utf8)
        let render = try ProcessRunner.run("/usr/bin/rsvg-convert", ["--background-color", "white", "-o", png, source])
        #expect(render.status == 0, "rsvg-convert: \(render.stderr)")
        return try decode(png: png)
    }

    /// Symbols side by side in one SVG, each with its quiet zone, `scale` pixels a module.
    static func grid(_ symbols: [QRCode], scale: Int, columns: Int) -> String {
        let cell = (symbols.map(\.size).max()! + 2 * QRCode.quietZone)
        let rows = (symbols.count + columns - 1) / columns
        var paths = ""
        for (index, symbol) in symbols.enumerated() {
            let x = index % columns * cell + QRCode.quietZone
            let y = index / columns * cell + QRCode.quietZone
            paths += "<path d=\"\(symbol.svgPath(x: x, y: y))\"/>\n"
        }
        return """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(columns * cell * scale)" height="\(rows * cell * scale)" \
            viewBox="0 0 \(columns * cell) \(rows * cell)" shape-rendering="crispEdges">
            <rect width="100%" height="100%" fill="#fff"/>
            \(paths)</svg>
            """
    }

    /// 200 random codes at each error-correction level come back byte for byte.
    @Test(arguments: QRCode.ErrorCorrection.allCases)
    func randomCodesComeBackByteForByte(correction: QRCode.ErrorCorrection) throws {
        var generator = SeededGenerator(seed: UInt64(correction.rawValue.utf8.first!))
        let codes = (0..<200).map { _ in Self.randomCode(&generator) }
        let directory = TemporaryDirectory()
        var decoded = [String]()
        for start in stride(from: 0, to: codes.count, by: 25) {
            let batch = Array(codes[start..<start + 25])
            let symbols = try batch.map { try QRCode(encoding: $0, correction: correction) }
            decoded += try Self.decode(
                svg: Self.grid(symbols, scale: 3, columns: 5), in: directory, name: "batch-\(start)")
        }
        #expect(decoded.sorted() == codes.sorted())
    }

    /// Every version, 1 to 40, at every level: text in byte mode filling each symbol to its last
    /// data codeword, and alphanumeric text one character over the version before.
    @Test(arguments: QRCode.ErrorCorrection.allCases)
    func everyVersionReadsBack(correction: QRCode.ErrorCorrection) throws {
        var generator = SeededGenerator(seed: 40 + UInt64(correction.rawValue.utf8.first!))
        let lower = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        let directory = TemporaryDirectory()
        var texts = [String]()
        var symbols = [QRCode]()
        for version in 1...40 {
            let count = QRCode.byteCapacity(version: version, correction: correction)
            let text = String((0..<count).map { _ in lower.randomElement(using: &generator)! })
            let symbol = try QRCode(encoding: text, correction: correction)
            #expect(symbol.version == version, "\(count) bytes at \(correction)")
            texts.append(text)
            symbols.append(symbol)
        }
        var decoded = [String]()
        for start in stride(from: 0, to: 40, by: 4) {
            decoded += try Self.decode(
                svg: Self.grid(Array(symbols[start..<start + 4]), scale: 3, columns: 2), in: directory,
                name: "versions-\(start)")
        }
        #expect(decoded.sorted() == texts.sorted())
        #expect(throws: QRCode.TooLong.self) {
            try QRCode(
                encoding: String(repeating: "a", count: QRCode.byteCapacity(version: 40, correction: correction) + 1),
                correction: correction)
        }
    }

    /// The PNG writer (stored deflate blocks, CRC-32, Adler-32) makes files a decoder reads.
    @Test func thePNGWriterMakesFilesZbarReads() throws {
        let directory = TemporaryDirectory()
        var generator = SeededGenerator(seed: 7)
        for index in 0..<5 {
            let code = Self.randomCode(&generator)
            let file = directory.file("qr-\(index).png")
            try Data(PNGImage.qrCode(try QRCode(encoding: code, correction: .medium))).write(
                to: URL(fileURLWithPath: file))
            #expect(try Self.decode(png: file) == [code])
        }
    }

    /// The function patterns sit where the standard puts them: finder corners, the timing
    /// pattern's alternation, and the dark module beside the bottom-left finder.
    @Test func functionPatternsAreWhereTheStandardPutsThem() throws {
        let symbol = try QRCode(encoding: "HELLO WORLD", correction: .quartile)
        #expect(symbol.version == 1 && symbol.size == 21)
        for (row, column) in [(0, 0), (0, 20), (20, 0), (6, 6), (6, 14)] {
            #expect(symbol[row: row, column: column])
        }
        #expect(!symbol[row: 6, column: 7] && symbol[row: 6, column: 8] && symbol[row: 13, column: 8])
    }
}

extension QRCode {
    /// The most bytes a symbol of `version` at `correction` holds in byte mode: its data bits less
    /// the mode and the count, in whole bytes.
    static func byteCapacity(version: Int, correction: ErrorCorrection) -> Int {
        (QRTables.dataCodewords(version, correction) * 8 - 4 - (version <= 9 ? 8 : 16)) / 8
    }
}

/// A generator with a fixed seed (SplitMix64), so a failure names codes that can be made again.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
