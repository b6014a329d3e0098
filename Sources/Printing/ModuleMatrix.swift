/// A QR symbol being drawn: its modules, and which of them belong to function patterns (which
/// neither data nor mask touch). Coordinates are (column, row) from the top left.
struct ModuleMatrix {
    let version: Int
    let size: Int
    var modules: [Bool]
    var isFunction: [Bool]

    init(version: Int) {
        self.version = version
        size = version * 4 + 17
        modules = Array(repeating: false, count: size * size)
        isFunction = Array(repeating: false, count: size * size)
    }

    private mutating func setFunction(_ x: Int, _ y: Int, _ dark: Bool) {
        modules[y * size + x] = dark
        isFunction[y * size + x] = true
    }

    /// Timing patterns, the three finders with their separators, alignment patterns, the version
    /// information (version 7 and up), and the format information's place (drawn after masking).
    mutating func drawFunctionPatterns(correction: QRCode.ErrorCorrection) {
        for index in 0..<size {
            setFunction(6, index, index % 2 == 0)
            setFunction(index, 6, index % 2 == 0)
        }
        for (x, y) in [(3, 3), (size - 4, 3), (3, size - 4)] {
            for dy in -4...4 {
                for dx in -4...4 {
                    let (column, row) = (x + dx, y + dy)
                    guard (0..<size).contains(column), (0..<size).contains(row) else { continue }
                    let distance = max(abs(dx), abs(dy))
                    setFunction(column, row, distance != 2 && distance != 4)
                }
            }
        }
        let positions = QRTables.alignmentPositions(version)
        for (i, x) in positions.enumerated() {
            for (j, y) in positions.enumerated() {
                let last = positions.count - 1
                if (i == 0 && j == 0) || (i == 0 && j == last) || (i == last && j == 0) { continue }
                for dy in -2...2 {
                    for dx in -2...2 { setFunction(x + dx, y + dy, max(abs(dx), abs(dy)) != 1) }
                }
            }
        }
        drawFormatBits(correction: correction, mask: 0)
        if version >= 7 {
            var remainder = version
            for _ in 0..<12 { remainder = (remainder << 1) ^ ((remainder >> 11) * 0x1F25) }
            let bits = version << 12 | remainder
            for index in 0..<18 {
                let dark = (bits >> index) & 1 == 1
                let a = size - 11 + index % 3
                let b = index / 3
                setFunction(a, b, dark)
                setFunction(b, a, dark)
            }
        }
    }

    /// The 15 format bits (level and mask, BCH-coded and masked with 0x5412), twice, and the dark
    /// module beside the bottom-left finder.
    mutating func drawFormatBits(correction: QRCode.ErrorCorrection, mask: Int) {
        let data = correction.formatBits << 3 | mask
        var remainder = data
        for _ in 0..<10 { remainder = (remainder << 1) ^ ((remainder >> 9) * 0x537) }
        let bits = (data << 10 | remainder) ^ 0x5412
        func bit(_ index: Int) -> Bool { (bits >> index) & 1 == 1 }
        for index in 0...5 { setFunction(8, index, bit(index)) }
        setFunction(8, 7, bit(6))
        setFunction(8, 8, bit(7))
        setFunction(7, 8, bit(8))
        for index in 9..<15 { setFunction(14 - index, 8, bit(index)) }
        for index in 0..<8 { setFunction(size - 1 - index, 8, bit(index)) }
        for index in 8..<15 { setFunction(8, size - 15 + index, bit(index)) }
        setFunction(8, size - 8, true)
    }

    /// The codewords' bits in the zigzag of two-module columns, right to left, up and down,
    /// skipping function modules and the vertical timing pattern (section 7.7.3).
    mutating func drawCodewords(_ codewords: [UInt8]) {
        var bit = 0
        var right = size - 1
        while right >= 1 {
            if right == 6 { right = 5 }
            for vertical in 0..<size {
                for offset in 0..<2 {
                    let x = right - offset
                    let upward = (right + 1) & 2 == 0
                    let y = upward ? size - 1 - vertical : vertical
                    guard !isFunction[y * size + x], bit < codewords.count * 8 else { continue }
                    modules[y * size + x] = (codewords[bit >> 3] >> UInt8(7 - bit & 7)) & 1 == 1
                    bit += 1
                }
            }
            right -= 2
        }
    }

    /// Flips the data modules where mask `mask`'s condition holds (table 10).
    mutating func apply(mask: Int) {
        for y in 0..<size {
            for x in 0..<size where !isFunction[y * size + x] {
                let flip: Bool =
                    switch mask {
                    case 0: (x + y) % 2 == 0
                    case 1: y % 2 == 0
                    case 2: x % 3 == 0
                    case 3: (x + y) % 3 == 0
                    case 4: (x / 3 + y / 2) % 2 == 0
                    case 5: x * y % 2 + x * y % 3 == 0
                    case 6: (x * y % 2 + x * y % 3) % 2 == 0
                    default: ((x + y) % 2 + x * y % 3) % 2 == 0
                    }
                if flip { modules[y * size + x].toggle() }
            }
        }
    }

    /// The penalty of section 7.8.3: runs of five or more, 2×2 blocks, finder-like patterns, and
    /// the dark modules' distance from half.
    func penalty() -> Int {
        var result = 0
        func module(_ x: Int, _ y: Int) -> Bool { modules[y * size + x] }
        for horizontal in [true, false] {
            for line in 0..<size {
                var run = 0
                var previous = false
                var history = [Bool]()
                for step in 0..<size {
                    let dark = horizontal ? module(step, line) : module(line, step)
                    if step > 0, dark == previous {
                        run += 1
                    } else {
                        if run >= 5 { result += run - 2 }
                        run = 1
                    }
                    previous = dark
                    history.append(dark)
                }
                if run >= 5 { result += run - 2 }
                result += 40 * Self.finderLikeCount(history)
            }
        }
        for y in 0..<size - 1 {
            for x in 0..<size - 1 {
                let color = module(x, y)
                if color == module(x + 1, y), color == module(x, y + 1), color == module(x + 1, y + 1) { result += 3 }
            }
        }
        let darkCount = modules.filter { $0 }.count
        let total = size * size
        result += ((abs(darkCount * 20 - total * 10) + total - 1) / total - 1) * 10
        return result
    }

    /// Occurrences in a line of dark-light-dark×3-light-dark with four light modules on either
    /// side (the area outside the symbol counts as light).
    static func finderLikeCount(_ line: [Bool]) -> Int {
        let core: [Bool] = [true, false, true, true, true, false, true]
        var count = 0
        var index = 0
        while index + core.count <= line.count {
            if Array(line[index..<index + core.count]) == core {
                func light(_ range: Range<Int>) -> Bool {
                    range.allSatisfy { $0 < 0 || $0 >= line.count || !line[$0] }
                }
                if light(index - 4..<index) || light(index + 7..<index + 11) { count += 1 }
            }
            index += 1
        }
        return count
    }
}
