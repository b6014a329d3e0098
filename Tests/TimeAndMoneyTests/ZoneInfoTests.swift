import Foundation
import TestSupport
import Testing

@testable import TimeAndMoney

/// The zone data is read as the C library reads it: every offset and abbreviation agrees with
/// `date` (GNU coreutils over glibc) for instants from 1900 to 2100, before and after each file's
/// last transition (where the footer's rule takes over), in zones north and south of the
/// equator, with half-hour and 45-minute offsets, negative daylight saving time (Dublin), rules
/// at 24:00 (Santiago) and none at all.
@Suite struct ZoneInfoTests {
    static let zones = [
        "Europe/Amsterdam", "Europe/London", "Europe/Dublin", "America/New_York", "America/St_Johns",
        "America/Santiago", "America/Sao_Paulo", "Asia/Tokyo", "Asia/Kolkata", "Asia/Kathmandu", "Asia/Dubai",
        "Australia/Sydney", "Australia/Lord_Howe", "Pacific/Chatham", "Africa/Casablanca", "Asia/Jerusalem",
        "America/Nuuk", "UTC",
    ]

    @Test(arguments: zones)
    func agreesWithDate(zone: String) throws {
        let info = try #require(ZoneInfo(identifier: zone))
        // Every 9 days and 7 hours from 1900 to 2100, and each hour around the last transition.
        var instants = Array(stride(from: Int64(-2_208_988_800), to: 4_102_444_800, by: 9 * 86_400 + 7 * 3600))
        if let last = info.transitions.last {
            instants += stride(from: last - 48 * 3600, to: last + 48 * 3600, by: 3600)
        }
        let directory = TemporaryDirectory()
        let list = directory.file("instants")
        try instants.map { "@\($0)" }.joined(separator: "\n").write(toFile: list, atomically: true, encoding: .utf8)
        let result = try ProcessRunner.run(
            "/usr/bin/date", ["-f", list, "+%s %::z %Z"], environment: ["TZ": ":" + zone, "LC_ALL": "C"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        try #require(lines.count == instants.count)
        var mismatches = [String]()
        for (instant, line) in zip(instants, lines) {
            let fields = line.split(separator: " ")
            let type = info.localTimeType(at: instant)
            let expected = (Self.seconds(String(fields[1])), String(fields[2]))
            if type.offset != expected.0 || type.abbreviation != expected.1 {
                mismatches.append("@\(instant): \(type.offset) \(type.abbreviation), date says \(line)")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) of \(instants.count): \(mismatches.prefix(5))")
    }

    /// `+hh:mm:ss` in seconds.
    static func seconds(_ offset: String) -> Int64 {
        let parts = offset.dropFirst().split(separator: ":").compactMap { Int64($0) }
        let magnitude = parts[0] * 3600 + parts[1] * 60 + parts[2]
        return offset.hasPrefix("-") ? -magnitude : magnitude
    }

    @Test func namesOutsideTheZoneFolderOrNotTZifAreRefused() {
        for name in [
            "", "/etc/passwd", "../../etc/passwd", "Europe/../../etc/passwd", "Europe", "zone.tab", "Mars/Olympus",
        ] {
            #expect(ZoneInfo(identifier: name) == nil, "\(name)")
        }
    }

    /// Damaged files are refused, not read past their end.
    @Test func truncatedOrCorruptFilesAreRefused() throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: ZoneInfo.directory + "/Europe/Amsterdam")))
        #expect(ZoneInfo(tzif: bytes) != nil)
        for length in [0, 4, 43, 44, 100, bytes.count / 2, bytes.count - 2] {
            #expect(ZoneInfo(tzif: Array(bytes.prefix(length))) == nil, "\(length) bytes")
        }
        var wrongCount = bytes
        wrongCount[35] = 0xFF  // the first header's transition count, far past the file's end
        #expect(ZoneInfo(tzif: wrongCount) == nil)
    }

    @Test(arguments: [
        ("CET-1CEST,M3.5.0,M10.5.0/3", true), ("<+0545>-5:45", true), ("EST5EDT,M3.2.0,M11.1.0", true),
        ("<-04>4<-03>,M9.1.6/24,M4.1.6/24", true), ("IST-2IDT,M3.4.4/26,M10.5.0", true),
        ("EST5EDT,0/0,J365/25", true), ("", false), ("C1", false), ("CET", false), ("CET-1CEST", false),
        ("CET-1CEST,M13.5.0,M10.5.0", false), ("CET-1CEST,M3.5.0", false), ("CET-200", false), ("<+04", false),
    ])
    func posixRules(text: String, valid: Bool) {
        #expect((PosixTimeZoneRule(text) != nil) == valid)
    }
}
