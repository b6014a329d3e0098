import CLIKit
import Foundation
import TestSupport
import Testing

/// `central nodes --watch` on a real pseudo-terminal, as a person at head office sees it: a fleet
/// of fifty venues in an 80x24 terminal.
@Suite struct NodesWatchTests {
    /// The screen lines of the one frame `pty-run.py` kept, without their control sequences.
    static func screen(_ raw: String) -> [String] {
        raw.replacingOccurrences(of: "\u{1B}[H", with: "").replacingOccurrences(of: "\u{1B}[J", with: "")
            .replacingOccurrences(of: "\u{1B}[K", with: "").components(separatedBy: "\r\n")
    }

    /// Fifty nodes: one silent, one of a protocol central no longer accepts, one with records
    /// pending, one retired, the rest quiet (last seen an hour ahead of central's clock, so that
    /// none turns silent, 2 minutes by default, however long the test takes).
    static func fleet() throws -> SyncWorld {
        let world = try SyncWorld()
        for number in 1...50 {
            _ = try world.central.execute(
                """
                INSERT INTO node (id, protocol_version, created_at, last_seen_at, last_push_at, clock_offset_ms)
                VALUES (?, (SELECT max_version FROM sync_protocol), NOW(3), NOW(3) + INTERVAL 1 HOUR, NOW(3), 0)
                """, [String(format: "VENUE-%02d", number)])
        }
        _ = try world.central.execute(
            "UPDATE node SET last_seen_at = NOW(3) - INTERVAL 2 HOUR, last_push_at = last_seen_at WHERE id = 'VENUE-30'"
        )
        _ = try world.central.execute(
            "UPDATE node SET protocol_version = (SELECT min_version - 1 FROM sync_protocol) WHERE id = 'VENUE-20'")
        _ = try world.central.execute("UPDATE node SET outbox_pending = 5 WHERE id = 'VENUE-40'")
        let retire = try world.central(["nodes", "retire", "VENUE-01", "--reason", "venue closed"])
        #expect(retire.status == 0, "\(retire.stderr)")
        return world
    }

    /// Runs one frame of the watch on a terminal of `rows` x `columns` (0 x 0: one that does not
    /// say its size) and returns what it drew.
    static func watch(
        _ world: SyncWorld, rows: Int, columns: Int, environment: [String: String], _ extra: [String] = []
    ) throws -> String {
        let output = world.directory.file("terminal-\(UUID().uuidString)")
        let run = try ProcessRunner.run(
            "/usr/bin/python3",
            [
                FleetMetricsTests.helpers + "/pty-run.py", output, String(rows), String(columns), "--",
                ProcessRunner.product("central"), "nodes", "--watch", "--iterations", "1",
            ] + extra, environment: world.environment.merging(environment) { _, new in new })
        #expect(run.status == 0, "\(run.stderr)")
        return try String(contentsOfFile: output, encoding: .utf8)
    }

    /// The frame fits the screen: title and heading on top, the nodes that need attention first
    /// (silent, cannot sync, records pending), no line wider than the screen, and the nodes that
    /// do not fit counted on the last line. The size comes from the terminal, or from LINES and
    /// COLUMNS when the terminal does not say.
    @Test func aFleetLargerThanTheScreenShowsTheNodesInTroubleFirstWithoutWrapping() throws {
        let world = try Self.fleet()
        for (rows, columns, environment) in [
            (24, 80, ["LINES": "", "COLUMNS": ""]), (0, 0, ["LINES": "24", "COLUMNS": "80"]),
        ] {
            let raw = try Self.watch(world, rows: rows, columns: columns, environment: environment)
            #expect(raw.hasPrefix("\u{1B}[H") && raw.hasSuffix("\u{1B}[J"), "\(raw)")
            let lines = Self.screen(raw)
            #expect(lines.count == 23, "\(lines)")
            #expect(lines.allSatisfy { $0.count <= 80 }, "\(lines)")
            // A line as wide as the screen is not followed by an erase, which would erase its last character.
            let full = raw.components(separatedBy: "\r\n").filter { Self.screen($0).first?.count == 80 }
            #expect(!full.isEmpty && full.allSatisfy { !$0.contains("\u{1B}[K") }, "\(full)")
            #expect(lines[0].hasPrefix("central nodes, every 2s, at "), "\(lines)")
            #expect(lines[1].isEmpty && lines[2].hasPrefix("NODE  "), "\(lines)")
            #expect(lines[3].hasPrefix("VENUE-30 ") && lines[4].hasPrefix("VENUE-20 "), "\(lines)")
            #expect(lines[3].contains(" SILENT ") && lines[4].contains(" PROTOCOL "), "\(lines)")
            #expect(lines[5].hasPrefix("VENUE-40 ") && lines[6].hasPrefix("VENUE-02 "), "\(lines)")
            #expect(lines[21].hasPrefix("VENUE-17 "), "\(lines)")
            #expect(lines[22] == "… 31 more nodes: 'central nodes' lists them all", "\(lines)")
        }

        // A terminal that says no size, with no LINES or COLUMNS: the whole table, by node id.
        let raw = try Self.watch(world, rows: 0, columns: 0, environment: ["LINES": "", "COLUMNS": ""])
        let lines = Self.screen(raw)
        #expect(lines.filter { $0.hasPrefix("VENUE-") }.count == 51, "\(lines)")
        #expect(lines[3].hasPrefix("VENUE-01 ") && lines[3].contains(" RETIRED "), "\(lines)")
        #expect(lines.contains { $0.count > 80 }, "\(lines)")
        #expect(lines.last?.hasPrefix("VENUE-01 RETIRED ") == true, "\(lines)")

        // What counts as silent is the watch's: without --watch it is refused.
        let refused = try world.central(["nodes", "--silence", "1h"])
        #expect(refused.status == 2 && refused.stderr.hasPrefix("Error: --silence goes with --watch\n"))
        let quiet = try Self.watch(world, rows: 24, columns: 80, environment: [:], ["--silence", "3h"])
        #expect(Self.screen(quiet)[3].hasPrefix("VENUE-20 "), "\(quiet)")

        // Silent as the page counts it (2 minutes), not as reconcile does (an hour): a node paged
        // for 6 minutes of silence is on the screen, named.
        _ = try world.central.execute(
            "UPDATE node SET last_seen_at = NOW(3) - INTERVAL 6 MINUTE, last_push_at = last_seen_at WHERE id = 'VENUE-45'"
        )
        let paged = Self.screen(try Self.watch(world, rows: 24, columns: 80, environment: [:]))
        #expect(paged[4].hasPrefix("VENUE-45 ") && paged[4].contains(" SILENT "), "\(paged)")

        // `central nodes` still lists them all, by id.
        let all = try world.central(["nodes"])
        #expect(all.stdout.split(separator: "\n").filter { $0.hasPrefix("VENUE-") }.count == 51, "\(all.stdout)")
        // A retired node heard from since, not reinstated, comes after the silent and the
        // protocol ones, named BACK.
        _ = try world.central.execute(
            "UPDATE node SET retired_at = last_seen_at - INTERVAL 1 DAY, retired_by = 'ops' WHERE id = 'VENUE-07'")
        let back = Self.screen(try Self.watch(world, rows: 24, columns: 80, environment: [:]))
        #expect(back[5].hasPrefix("VENUE-20 ") && back[5].contains(" PROTOCOL "), "\(back)")
        #expect(back[6].hasPrefix("VENUE-07 ") && back[6].contains(" BACK "), "\(back)")
    }

    /// A retirement's reason in Japanese takes two columns a character: on an 80-column terminal
    /// each line is cut by the columns it takes, as ours and Python's `unicodedata` count them, never
    /// inside a character. Of two notes one column apart, one reaches the edge and the other stops
    /// a column short rather than straddle it, and is followed by an erase.
    @Test func wideCharactersAreCutByTheColumnsTheyTake() throws {
        let world = try SyncWorld()
        for id in ["VENUE-01", "VENUE-02", "VENUE-03"] {
            _ = try world.central.execute(
                """
                INSERT INTO node (id, protocol_version, created_at, last_seen_at, last_push_at, clock_offset_ms)
                VALUES (?, (SELECT max_version FROM sync_protocol), NOW(3), NOW(3) + INTERVAL 1 HOUR, NOW(3), 0)
                """, [id])
        }
        let reason = String(repeating: "会場閉鎖のため、", count: 8)
        for (id, reason) in [("VENUE-01", reason), ("VENUE-02", "x" + reason)] {
            let retire = try world.central(["nodes", "retire", id, "--reason", reason])
            #expect(retire.status == 0, "\(retire.stderr)")
        }
        let full = try world.central(["nodes"]).stdout.components(separatedBy: "\n")
        let notes = full.filter { $0.hasPrefix("VENUE-0") && $0.contains(" RETIRED ") && $0.contains("会場") }
        #expect(notes.count == 2 && notes.allSatisfy { $0.terminalColumns > 80 }, "\(full)")

        let raw = try Self.watch(world, rows: 24, columns: 80, environment: ["LINES": "", "COLUMNS": ""])
        let lines = Self.screen(raw)
        #expect(lines.allSatisfy { $0.terminalColumns <= 80 }, "\(lines.map(\.terminalColumns))")
        let cut = lines.filter { $0.contains("会場") }
        #expect(cut.count == 2 && cut.map(\.terminalColumns).sorted() == [79, 80], "\(cut)")
        #expect(zip(cut, notes).allSatisfy { $1.hasPrefix($0) }, "\(cut) \(notes)")
        for line in raw.components(separatedBy: "\r\n") where line.contains("会場") {
            #expect(line.contains("\u{1B}[K") == (Self.screen(line)[0].terminalColumns == 79), "\(line)")
        }

        let python = try ProcessRunner.run(
            "/usr/bin/python3",
            [
                "-c",
                """
                import sys, unicodedata
                def columns(c):
                    if unicodedata.category(c) in ("Mn", "Me", "Cf"): return 0
                    return 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1
                for line in sys.stdin.read().split("\\n"): print(sum(columns(c) for c in line))
                """,
            ], stdin: lines.joined(separator: "\n"))
        #expect(python.status == 0, "\(python.stderr)")
        let widths = python.stdout.split(separator: "\n").map { Int($0) ?? -1 }
        #expect(widths == lines.map(\.terminalColumns), "\(widths)")
    }
}
