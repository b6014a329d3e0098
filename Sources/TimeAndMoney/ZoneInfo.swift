import FoundationEssentials

/// A time zone as the system's zone data describes it: a TZif file (RFC 8536) under
/// `/usr/share/zoneinfo` (Debian's `tzdata`), the same files `date` and the C library read.
///
/// Read directly rather than through Foundation's `TimeZone`, which on Linux goes through ICU:
/// a `boxoffice` process that prints one local time spent a tenth of its run setting up ICU's
/// date formatting.
///
/// ```swift
/// let amsterdam = ZoneInfo(identifier: "Europe/Amsterdam")!
/// amsterdam.localTimeType(at: 1_798_747_200)   // offset 3600, "CET"
/// ```
public struct ZoneInfo: Sendable {
    /// An offset from UTC in effect for a while, with its abbreviation.
    public struct LocalTimeType: Sendable, Equatable {
        /// Seconds east of UTC.
        public let offset: Int64
        public let isDaylightSaving: Bool
        /// `CET`, `EDT`, or numeric (`+04`) where the zone has no name in common use.
        public let abbreviation: String
    }

    /// Where the zone files are.
    public static let directory = "/usr/share/zoneinfo"

    /// Moments (seconds since 1970, UTC, ascending) at which the local time type changes.
    let transitions: [Int64]
    /// The type in effect from each transition on (an index into `types`).
    let transitionTypes: [Int]
    let types: [LocalTimeType]
    /// The rule for moments after the last transition (the file's footer), if any.
    let rule: PosixTimeZoneRule?

    /// UTC, for a system without zone data.
    static let utc = ZoneInfo(
        transitions: [], transitionTypes: [],
        types: [LocalTimeType(offset: 0, isDaylightSaving: false, abbreviation: "UTC")], rule: nil)

    /// The local time type in effect at `seconds` since 1970 (UTC).
    public func localTimeType(at seconds: Int64) -> LocalTimeType {
        guard let last = transitions.last, seconds >= transitions[0] else { return types[0] }
        if seconds >= last, let rule { return rule.localTimeType(at: seconds) }
        var low = 0
        var high = transitions.count - 1
        while low < high {  // the last transition at or before `seconds`
            let middle = (low + high + 1) / 2
            if transitions[middle] <= seconds { low = middle } else { high = middle - 1 }
        }
        return types[transitionTypes[low]]
    }
}

extension ZoneInfo {
    /// The zone named `identifier` (`Europe/Amsterdam`, `UTC`), or nil when the system has no such
    /// zone file or the file is not TZif. `UTC` is known without zone data.
    public init?(identifier: String) {
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_+-".utf8)
        guard !identifier.isEmpty, identifier.utf8.allSatisfy(allowed.contains), !identifier.hasPrefix("/"),
            !identifier.split(separator: "/").contains(where: { $0 == ".." || $0 == "." })
        else { return nil }
        guard let data = FileManager.default.contents(atPath: Self.directory + "/" + identifier) else {
            guard identifier == "UTC" else { return nil }
            self = .utc
            return
        }
        self.init(tzif: [UInt8](data))
    }

    /// Parses a TZif file: version 1 data alone, or the 64-bit data and footer of versions 2–4.
    init?(tzif bytes: [UInt8]) {
        var reader = TZifReader(bytes: bytes)
        guard let first = reader.header() else { return nil }
        guard first.version >= 2 else {
            guard let block = reader.block(first, timeSize: 4) else { return nil }
            (transitions, transitionTypes, types, rule) = (block.transitions, block.transitionTypes, block.types, nil)
            return
        }
        guard reader.skip(first.blockSize(timeSize: 4)), let second = reader.header(),
            let block = reader.block(second, timeSize: 8), let footer = reader.footer()
        else { return nil }
        (transitions, transitionTypes, types) = (block.transitions, block.transitionTypes, block.types)
        if footer.isEmpty {
            rule = nil
        } else {
            guard let parsed = PosixTimeZoneRule(footer) else { return nil }
            rule = parsed
        }
    }
}

/// Reads a TZif file's headers, data blocks and footer, checking every count against the bytes.
private struct TZifReader {
    struct Header {
        let version: Int
        let isUTCCount, isStandardCount, leapCount, timeCount, typeCount, characterCount: Int

        func blockSize(timeSize: Int) -> Int {
            timeCount * timeSize + timeCount + typeCount * 6 + characterCount + leapCount * (timeSize + 4)
                + isStandardCount + isUTCCount
        }
    }

    struct Block {
        let transitions: [Int64]
        let transitionTypes: [Int]
        let types: [ZoneInfo.LocalTimeType]
    }

    let bytes: [UInt8]
    var offset = 0

    mutating func skip(_ count: Int) -> Bool {
        guard offset + count <= bytes.count else { return false }
        offset += count
        return true
    }

    func integer(at position: Int, size: Int) -> Int64 {
        var value: Int64 = 0
        for index in position..<position + size { value = value << 8 | Int64(bytes[index]) }
        return size == 4 ? Int64(Int32(truncatingIfNeeded: value)) : value
    }

    mutating func header() -> Header? {
        guard offset + 44 <= bytes.count, bytes[offset..<offset + 4].elementsEqual("TZif".utf8) else { return nil }
        let version = bytes[offset + 4] == 0 ? 1 : Int(bytes[offset + 4]) - Int(UInt8(ascii: "0"))
        let counts = (0..<6).map { Int(integer(at: offset + 20 + $0 * 4, size: 4)) }
        offset += 44
        guard (1...9).contains(version), counts.allSatisfy({ $0 >= 0 }), counts[4] > 0, counts[5] > 0 else {
            return nil
        }
        return Header(
            version: version, isUTCCount: counts[0], isStandardCount: counts[1], leapCount: counts[2],
            timeCount: counts[3], typeCount: counts[4], characterCount: counts[5])
    }

    mutating func block(_ header: Header, timeSize: Int) -> Block? {
        let start = offset
        guard skip(header.blockSize(timeSize: timeSize)) else { return nil }
        let transitions = (0..<header.timeCount).map { integer(at: start + $0 * timeSize, size: timeSize) }
        let typeStart = start + header.timeCount * timeSize
        let transitionTypes = (0..<header.timeCount).map { Int(bytes[typeStart + $0]) }
        let infoStart = typeStart + header.timeCount
        let characters = Array(bytes[(infoStart + header.typeCount * 6)...].prefix(header.characterCount))
        var types = [ZoneInfo.LocalTimeType]()
        for index in 0..<header.typeCount {
            let position = infoStart + index * 6
            let abbreviationStart = Int(bytes[position + 5])
            guard abbreviationStart < characters.count,
                let end = characters[abbreviationStart...].firstIndex(of: 0)
            else { return nil }
            types.append(
                ZoneInfo.LocalTimeType(
                    offset: integer(at: position, size: 4), isDaylightSaving: bytes[position + 4] != 0,
                    abbreviation: String(decoding: characters[abbreviationStart..<end], as: UTF8.self)))
        }
        guard transitionTypes.allSatisfy({ $0 < types.count }), zip(transitions, transitions.dropFirst()).allSatisfy(<)
        else { return nil }
        return Block(transitions: transitions, transitionTypes: transitionTypes, types: types)
    }

    /// The POSIX TZ string between the footer's two newlines (empty when the zone has no rule).
    mutating func footer() -> String? {
        guard offset < bytes.count, bytes[offset] == UInt8(ascii: "\n"),
            let end = bytes[(offset + 1)...].firstIndex(of: UInt8(ascii: "\n"))
        else { return nil }
        return String(decoding: bytes[(offset + 1)..<end], as: UTF8.self)
    }
}
