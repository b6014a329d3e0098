import EdgeStore
import Foundation
import TestSupport
import Testing

/// The door's commands through the real `boxoffice`: printed tickets read back by real decoders
/// (`rsvg-convert`, `pdftoppm`, `zbarimg`), the seat map's colours, keys, scan lists and an
/// offline scanner's admissions.
@Suite struct DoorCommandTests {
    /// The node's clock while SHOW's doors are open (it starts at 2030-01-01T20:00Z), for an
    /// offline scanner's reads of that evening to be taken.
    static let atTheShow = "@2030-01-01 19:30:00"

    static let helpers = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Helpers").path

    /// The QR codes `zbarimg` reads in a PNG, sorted.
    static func qrCodes(_ png: String) throws -> [String] {
        let result = try ProcessRunner.run("/usr/bin/zbarimg", ["--quiet", "--raw", png])
        return result.stdout.split(separator: "\n").map(String.init).sorted()
    }

    static func render(_ svg: String, to png: String) throws {
        let result = try ProcessRunner.run("/usr/bin/rsvg-convert", ["--background-color", "white", "-o", png, svg])
        #expect(result.status == 0, "\(result.stderr)")
    }

    /// A seated sale of two tickets, and their signed codes as `order --json` gives them.
    static func sale(_ node: CLINode) throws -> (order: String, codes: [String], signed: [String]) {
        let sale = try node.json(
            [
                "sell", "SHOW", "--category", "MAIN", "--seat", "MAIN-C-4", "MAIN-C-5", "--payment", "cash",
                "--customer", "ticket@example.org",
            ], session: node.cashierSession)
        let order = try #require(sale["order_id"] as? String)
        let tickets = try #require(sale["tickets"] as? [[String: Any]])
        return (
            order, tickets.compactMap { $0["code"] as? String },
            tickets.compactMap { $0["signed_code"] as? String }
        )
    }

    @Test func printedTicketsReadBackAsTheirSignedCodes() throws {
        let node = try CLINode()
        let (order, codes, signed) = try Self.sale(node)
        #expect(signed.count == 2 && signed.allSatisfy { $0.count == 129 })

        let svg = node.directory.file("tickets.svg")
        try node.expectSuccess(["print", order, "--format", "svg", "--out", svg])
        try Self.render(svg, to: node.directory.file("tickets.png"))
        #expect(try Self.qrCodes(node.directory.file("tickets.png")) == signed.sorted())

        let pdf = node.directory.file("tickets.pdf")
        try node.expectSuccess(["print", codes[1], "--format", "pdf", "--out", pdf])
        let pages = try ProcessRunner.run("/usr/bin/pdftoppm", ["-r", "100", "-png", pdf, node.directory.file("page")])
        #expect(pages.status == 0, "\(pages.stderr)")
        let images = try FileManager.default.contentsOfDirectory(atPath: node.directory.path).filter {
            $0.hasPrefix("page") && $0.hasSuffix(".png")
        }
        #expect(images.count == 2, "one page a ticket")
        #expect(try images.flatMap { try Self.qrCodes(node.directory.file($0)) }.sorted() == signed.sorted())

        let escpos = node.directory.file("tickets.bin")
        try node.expectSuccess(["print", order, "--format", "escpos", "--out", escpos])
        let stored = try Self.escposQRCodes(Array(try Data(contentsOf: URL(fileURLWithPath: escpos))))
        #expect(stored.sorted() == signed.sorted())

        let text = try node.expectSuccess(["print", order]).stdout
        #expect(text.contains("Test Show") && text.contains("1 Jan 2030 20:00 UTC") && text.contains("Seat MAIN-C-4"))
        #expect(codes.allSatisfy { text.contains($0) } && text.contains("50.00 EUR") && text.contains(order))
        #expect(text.contains("█"), "the QR code in block characters")

        let missing = try node.run(["print", "ord_NOPE"])
        #expect(missing.status == 6 && missing.stderr == "Error: no order 'ord_NOPE'\n")
        let format = try node.run(["print", order, "--format", "gif"])
        #expect(format.status == 2 && format.stderr.hasPrefix("Error: --format must be one of text, svg, pdf, escpos"))
    }

    /// A refunded ticket prints stamped and without a QR code, in every format: what the order
    /// prints scans as its valid tickets only.
    @Test func aRefundedTicketPrintsStampedWithoutAQRCode() throws {
        let node = try CLINode()
        let (order, codes, signed) = try Self.sale(node)
        try node.expectSuccess(["refund", order, "--ticket", codes[0], "--reason", "ill"])

        let svg = node.directory.file("tickets.svg")
        try node.expectSuccess(["print", order, "--format", "svg", "--out", svg])
        try Self.render(svg, to: node.directory.file("tickets.png"))
        #expect(try Self.qrCodes(node.directory.file("tickets.png")) == [signed[1]])
        #expect(try String(contentsOfFile: svg, encoding: .utf8).contains(">REFUNDED</text>"))

        let pdf = node.directory.file("tickets.pdf")
        try node.expectSuccess(["print", order, "--format", "pdf", "--out", pdf])
        #expect(
            try ProcessRunner.run("/usr/bin/pdftoppm", ["-r", "100", "-png", pdf, node.directory.file("page")]).status
                == 0)
        let pages = try FileManager.default.contentsOfDirectory(atPath: node.directory.path).filter {
            $0.hasPrefix("page") && $0.hasSuffix(".png")
        }
        #expect(pages.count == 2)
        #expect(try pages.flatMap { try Self.qrCodes(node.directory.file($0)) } == [signed[1]])

        let escpos = node.directory.file("tickets.bin")
        try node.expectSuccess(["print", order, "--format", "escpos", "--out", escpos])
        #expect(try Self.escposQRCodes(Array(try Data(contentsOf: URL(fileURLWithPath: escpos)))) == [signed[1]])

        let text = try node.expectSuccess(["print", order]).stdout.components(separatedBy: "\n\n")
        let refunded = try #require(text.first { $0.contains(codes[0]) })
        #expect(refunded.contains("*** REFUNDED ***") && !refunded.contains("█"), "\(refunded)")
        #expect(text.first { $0.contains(codes[1]) }?.contains("█") == true)
    }

    /// The printer command set's QR code: `GS ( k` with cn 49 and functions 65 (model 2), 67
    /// (module size), 69 (error correction M), 80 (store: pL pH = data + 3, m 48) and 81 (print),
    /// in that order for each ticket. Returns the data stored.
    static func escposQRCodes(_ bytes: [UInt8]) throws -> [String] {
        #expect(Array(bytes.prefix(2)) == [0x1B, 0x40], "ESC @ first")
        var index = 0
        var functions = [UInt8]()
        var stored = [String]()
        while index + 7 < bytes.count {
            guard bytes[index] == 0x1D, bytes[index + 1] == 0x28, bytes[index + 2] == 0x6B else {
                index += 1
                continue
            }
            let length = Int(bytes[index + 3]) | Int(bytes[index + 4]) << 8
            #expect(bytes[index + 5] == 49, "cn 49: QR code")
            let function = bytes[index + 6]
            functions.append(function)
            let parameters = Array(bytes[index + 7..<index + 5 + length])
            switch function {
            case 65: #expect(length == 4 && parameters == [50, 0], "model 2")
            case 67: #expect(length == 3 && (1...16).contains(parameters[0]), "module size")
            case 69: #expect(length == 3 && parameters == [49], "error correction M")
            case 80:
                #expect(parameters.first == 48)
                stored.append(String(decoding: parameters.dropFirst(), as: UTF8.self))
            case 81: #expect(length == 3 && parameters == [48])
            default: Issue.record("unexpected GS ( k function \(function)")
            }
            index += 5 + length
        }
        #expect(functions == Array(repeating: [65, 67, 69, 80, 81], count: stored.count).flatMap { $0 })
        #expect(bytes.suffix(4) == [0x1D, 0x56, 66, 3], "cut at the end")
        return stored
    }

    /// The hall drawn, rendered to PNG, and each seat's colour read where the drawing put it.
    @Test func theSeatMapShowsEachSeatsState() throws {
        let node = try CLINode()
        let (_, codes, _) = try Self.sale(node)  // MAIN-C-4 and MAIN-C-5 sold
        try node.expectSuccess(["checkin", codes[0], "--event", "SHOW"])  // MAIN-C-4 checked in
        try node.expectSuccess(
            ["hold", "SHOW", "--category", "MAIN", "--seat", "MAIN-A-1"], session: node.cashierSession)
        let svg = node.directory.file("hall.svg")
        let drawn = try node.expectSuccess(["seats", "SHOW", "--svg", svg])
        #expect(drawn.stdout == "Seat map of SHOW (62 seats) written to \(svg).\n")
        let text = try String(contentsOfFile: svg, encoding: .utf8)
        #expect(text.contains(">STAGE<") && text.contains("another node's (6)") && text.contains("checked in (1)"))
        let png = node.directory.file("hall.png")
        try Self.render(svg, to: png)
        let expected = [
            ("MAIN-A-2", "#2e7d32"), ("MAIN-A-1", "#f9a825"), ("MAIN-C-5", "#1565c0"), ("MAIN-C-4", "#6a1b9a"),
            ("SIDE-B-3", "#bdbdbd"), ("SIDE-A-3", "#2e7d32"),
        ]
        var points = [String]()
        for (label, _) in expected {
            let pattern = try Regex(#"id="seat-\#(label)" x="(\d+)" y="(\d+)""#)
            let match = try #require(text.firstMatch(of: pattern), "\(label) in the drawing")
            let x = Int(match.output[1].substring!)! + 7
            let y = Int(match.output[2].substring!)! + 7
            points.append("\(x),\(y)")
        }
        let colours = try ProcessRunner.run("/usr/bin/python3", [Self.helpers + "/png-pixels.py", png] + points)
        #expect(colours.stdout.split(separator: "\n").map(String.init) == expected.map(\.1), "\(colours.stderr)")
        let gaOnly = try node.run(["seats", "DUO", "--svg", node.directory.file("duo.svg")])
        #expect(gaOnly.status == 2 && gaOnly.stderr.contains("no seated category"))
    }

    /// Keys, a scan list, and an offline scanner's admissions brought back, conflicts reported.
    @Test func keysScanListsAndAScannersAdmissions() throws {
        let node = try CLINode()
        let (order, codes, signed) = try Self.sale(node)
        let other = try node.json(
            ["sell", "SHOW", "--category", "GA", "--qty", "3", "--payment", "cash"], session: node.cashierSession)
        let ga = try #require(other["tickets"] as? [[String: Any]])
        let gaSigned = ga.compactMap { $0["signed_code"] as? String }
        try node.expectSuccess(["checkin", codes[0], "--event", "SHOW", "--gate", "A"])
        try node.expectSuccess(["refund", order, "--ticket", codes[1], "--reason", "ill"])

        let keys = try node.run(["keys", "list", "--json"])
        #expect(keys.stdout.components(separatedBy: "\"public_key\"").count == 2)
        let refused = try node.cashier(["keys", "rotate"])
        #expect(refused.status == 5)
        try node.expectSuccess(["keys", "rotate"])
        let rotated = try node.expectSuccess(["keys", "list"]).stdout
        #expect(rotated.contains("signing") && rotated.contains("retired"))

        let listFile = node.directory.file("show.scanlist.json")
        try node.expectSuccess(["scan-list", "SHOW", "--out", listFile])
        #expect(try node.cashier(["scan-list", "SHOW", "--out", listFile]).status == 5, "supervisors")
        let list = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: listFile))) as? [String: Any])
        #expect(list["format"] as? String == "venue-scan-list/1")
        #expect((list["keys"] as? [Any])?.count == 2)
        #expect((list["revoked"] as? [[String: Any]])?.map { $0["code"] as? String } == [codes[1]])
        #expect((list["admitted"] as? [[String: Any]])?.first?["gate"] as? String == "A")
        #expect((list["vouched"] as? [Any])?.isEmpty == true, "every ticket here is signed")
        let event = try #require(list["event"] as? [String: Any])
        #expect(event["doors_open_at"] as? String == "2030-01-01T08:00:00.000Z")

        let admissions = node.directory.file("scanner-7.json")
        try """
        {"format": "venue-scanner-admissions/1", "scanner": "HANDHELD-7", "event_id": "SHOW", "gate": "C",
         "admissions": [
           {"code": "\(gaSigned[0])", "at": "2030-01-01T19:01:00.000Z"},
           {"code": "\(signed[0])", "at": "2030-01-01T19:02:00.000Z"},
           {"code": "\(signed[1])", "at": "2030-01-01T19:03:00.000Z"},
           {"code": "\(String(gaSigned[1].dropLast()) + (gaSigned[1].last == "0" ? "1" : "0"))", "at": "2030-01-01T19:04:00.000Z"}
         ]}
        """.write(toFile: admissions, atomically: true, encoding: .utf8)
        let imported = try node.expectSuccess(["checkin", "--import", admissions], clock: Self.atTheShow)
        let lines = imported.stdout.split(separator: "\n").map(String.init)
        #expect(
            lines.first == "Scanner HANDHELD-7, SHOW: 3 admission(s) recorded, 3 conflict(s):", "\(imported.stdout)")
        #expect(
            lines.dropFirst().map { $0.split(separator: ":").first.map(String.init) ?? "" }.sorted() == [
                "  admitted_twice", "  code_mistyped", "  revoked",
            ])
        let again = try node.json(["checkin", "--import", admissions], clock: Self.atTheShow)
        #expect(again["already_imported"] as? Int == 3 && again["recorded"] as? Int == 0)
        let door = try node.run(["checkin", gaSigned[0], "--event", "SHOW"])
        #expect(door.status == 1 && door.stderr.contains("gate C, by TEST-1"), "\(door.stderr)")
        #expect(
            try node.count(
                "SELECT count(*) FROM sync_outbox WHERE record_type = 'ticket.checked_in' AND payload LIKE '%\"source\":\"scanner\"%'"
            )
                == 3)
        let bad = node.directory.file("bad.json")
        try #"{"format": "something-else/1", "scanner": "X", "event_id": "SHOW", "admissions": []}"#.write(
            toFile: bad, atomically: true, encoding: .utf8)
        let wrong = try node.run(["checkin", "--import", bad])
        #expect(wrong.status == 2 && wrong.stderr.contains("not an offline scanner's admissions"))
        let both = try node.run(["checkin", codes[0], "--import", bad])
        #expect(both.status == 2 && both.stderr.hasPrefix("Error: give CODE or --import FILE, not both"))
    }

    /// An admissions file is held to the API's body limit: one byte over is refused whole, with
    /// nothing recorded; one at the limit is taken.
    @Test func anAdmissionsFileOverTheAPIsLimitIsRefusedWhole() throws {
        let node = try CLINode()
        let (_, _, signed) = try Self.sale(node)
        let limit = 1024 * 1024
        func file(_ name: String, bytes: Int) throws -> String {
            let document = """
                {"format": "venue-scanner-admissions/1", "scanner": "HANDHELD-9", "event_id": "SHOW",
                 "admissions": [{"code": "\(signed[0])", "at": "2030-01-01T19:01:00.000Z"}]}
                """
            let path = node.directory.file(name)
            try (document + String(repeating: " ", count: bytes - document.utf8.count)).write(
                toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let before = try node.dump()
        let over = try node.run(["checkin", "--import", try file("over.json", bytes: limit + 1)])
        #expect(over.status == 2, "\(over.stderr)")
        #expect(over.stderr.contains("is larger than an admissions file a node takes (1048576 bytes, as the API)"))
        #expect(try node.dump() == before)
        let at = try node.json(["checkin", "--import", try file("at.json", bytes: limit)], clock: Self.atTheShow)
        #expect(at["recorded"] as? Int == 1)
    }

    /// A field the format does not have, in the file or in an admission, is refused by name, as
    /// the API refuses it, and nothing is recorded.
    @Test func anAdmissionsFileWithAnUnknownFieldIsRefusedByName() throws {
        let node = try CLINode()
        let (_, _, signed) = try Self.sale(node)
        let before = try node.dump()
        for (extra, admissionExtra, field) in [
            (#", "evil_field": 1"#, "", "evil_field"), ("", #", "gates": "C""#, "admissions[0].gates"),
        ] {
            let path = node.directory.file("extra.json")
            try """
            {"format": "venue-scanner-admissions/1", "scanner": "HANDHELD-9", "event_id": "SHOW"\(extra),
             "admissions": [{"code": "\(signed[0])", "at": "2026-01-01T19:01:00.000Z"\(admissionExtra)}]}
            """.write(toFile: path, atomically: true, encoding: .utf8)
            let refused = try node.run(["checkin", "--import", path])
            #expect(
                refused.status == 2 && refused.stderr.contains("\(path): unknown field '\(field)'; expected: "),
                "\(refused.stderr)")
        }
        #expect(try node.dump() == before)
    }

    /// A scanner whose clock is wrong (reads dated more than a day ahead) has its file refused
    /// whole; a few hours ahead is taken. A cancelled event gets no scan list. A code read with
    /// the line end a keyboard-wedge scanner sends is the code.
    @Test func futureReadsCancelledEventsAndLineEndsAtTheDoor() throws {
        let node = try CLINode()
        let (_, codes, signed) = try Self.sale(node)
        func file(_ name: String, _ reads: [(String, String)]) throws -> String {
            let path = node.directory.file(name)
            let admissions = reads.map { #"{"code": "\#($0.0)", "at": "\#($0.1)"}"# }
            try """
            {"format": "venue-scanner-admissions/1", "scanner": "HANDHELD-9", "event_id": "SHOW",
             "admissions": [\(admissions.joined(separator: ", "))]}
            """.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let before = try node.dump()
        let future = try node.run([
            "checkin", "--import",
            try file(
                "future.json", [(signed[0], "2026-01-01T19:00:00.000Z"), (signed[1], "2099-01-01T00:00:00.000Z")]),
        ])
        #expect(
            future.status == 2
                && future.stderr.contains(
                    "1 admission(s) dated more than a day after this node's clock (")
                && future.stderr.contains("the first admissions[1] at 2099-01-01T00:00:00.000Z"),
            "\(future.stderr)")
        #expect(try node.dump() == before)
        let taken = try node.json(
            ["checkin", "--import", try file("soon.json", [(signed[0], "2030-01-01T20:00:00.000Z")])],
            clock: "@2030-01-01 08:00:00")
        #expect(taken["recorded"] as? Int == 1, "12 hours ahead of the node's clock")

        try node.expectSuccess(["checkin", "\t\(codes[1].lowercased()) \r\n", "--event", "SHOW"])
        try node.expectSuccess(["event", "cancel", "DUO", "--reason", "storm"])
        let list = try node.run(["scan-list", "DUO", "--out", node.directory.file("duo.json")])
        #expect(list.status == 1 && list.stderr.contains("DUO is cancelled"), "\(list.stderr)")
        #expect(!FileManager.default.fileExists(atPath: node.directory.file("duo.json")))
    }

    /// Reads dated before the ticket was sold, or before its event's doors opened, are reported one
    /// by one and not recorded: every door would otherwise name a time that never was. A read an
    /// hour before the doors (a scanner's clock a little slow) is taken.
    @Test func readsDatedBeforeTheSaleOrTheDoorsAreNotRecorded() throws {
        let node = try CLINode()
        let (order, codes, signed) = try Self.sale(node)
        let ga = try node.json(
            ["sell", "SHOW", "--category", "GA", "--qty", "2", "--payment", "cash"], session: node.cashierSession)
        let gaSigned = try #require(ga["tickets"] as? [[String: Any]]).compactMap { $0["signed_code"] as? String }
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let details = try #require(try node.json(["order", order])["order"] as? [String: Any])
        let soldAt = try #require((details["created_at"] as? String).flatMap { iso.date(from: $0) })
        let path = node.directory.file("old-reads.json")
        let reads = [
            (signed[0], "1970-01-01T00:00:00.000Z"),
            (signed[1], iso.string(from: soldAt.addingTimeInterval(-14 * 86400))),
            (gaSigned[0], iso.string(from: soldAt.addingTimeInterval(3600))), (gaSigned[1], "2030-01-01T07:10:00.000Z"),
        ].map { #"{"code": "\#($0.0)", "at": "\#($0.1)"}"# }
        try """
        {"format": "venue-scanner-admissions/1", "scanner": "HANDHELD-2", "event_id": "SHOW", "gate": "D",
         "admissions": [\(reads.joined(separator: ", "))]}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let before = try node.dump()
        let imported = try node.expectSuccess(["checkin", "--import", path], clock: Self.atTheShow)
        let lines = imported.stdout.split(separator: "\n").map(String.init)
        #expect(
            lines.first == "Scanner HANDHELD-2, SHOW: 1 admission(s) recorded, 3 conflict(s):", "\(imported.stdout)")
        #expect(
            lines.contains(
                "  before_sale: ticket \(codes[0]) read by scanner HANDHELD-2 at 1 Jan 1970 00:00 UTC, before it was "
                    + "sold (\(Self.local(soldAt))): the scanner's clock is wrong; not recorded"), "\(lines)")
        #expect(lines.filter { $0.hasPrefix("  before_sale: ticket \(codes[1]) ") }.count == 1, "\(lines)")
        #expect(
            lines.contains {
                $0.hasPrefix("  before_doors: ")
                    && $0.hasSuffix(
                        "before the doors of SHOW opened (1 Jan 2030 08:00 UTC): the scanner's clock is wrong; not recorded"
                    )
            },
            "\(lines)")
        #expect(try node.count("SELECT count(*) FROM door_admission") == 1)
        #expect(
            try node.count(
                "SELECT count(*) FROM sync_outbox WHERE record_type = 'ticket.checked_in' AND payload LIKE '%2030-01-01T07:10%'"
            ) == 1)
        #expect(try node.dump() != before)
        // The reads refused left the tickets as they were: the door lets them in.
        for code in codes { try node.expectSuccess(["checkin", code, "--event", "SHOW"]) }
    }

    /// `1 Jan 2030 20:00 UTC`, as the node shows a time in the fixture's zone (UTC).
    static func local(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "d MMM yyyy HH:mm"
        return formatter.string(from: date) + " UTC"
    }

    /// `SyncProtocol/scanner.md`'s example of a scan list is the list the node writes: every
    /// object of a real list (keys in force and revoked, admissions with and without a gate,
    /// tickets vouched for with and without a seat) has the fields of one of the example's
    /// objects of its kind, and the example shows no field the list does not have.
    @Test func theScanListIsAsScannerMdShowsIt() throws {
        let node = try CLINode()
        let (order, codes, _) = try Self.sale(node)
        let ga = try node.json(
            ["sell", "SHOW", "--category", "GA", "--qty", "3", "--payment", "cash"], session: node.cashierSession)
        let gaCodes = try #require(ga["tickets"] as? [[String: Any]]).compactMap { $0["code"] as? String }
        try node.expectSuccess(["checkin", gaCodes[0], "--event", "SHOW", "--gate", "North"])
        try node.expectSuccess(["checkin", gaCodes[1], "--event", "SHOW"])
        try node.expectSuccess(["refund", order, "--ticket", codes[1], "--reason", "ill"])
        // Tickets sold before signing (vouched for), and another node's key revoked, as pulled.
        try Database(path: node.database).execute(
            "UPDATE ticket SET key_id = NULL, signature = NULL WHERE code IN (?, ?)", [codes[0], gaCodes[2]])
        try Database(path: node.database).execute(
            """
            INSERT INTO signing_key (public_key, key_id, node_id, created_at, revoked_after, revoked_reason)
            VALUES (zeroblob(32), 1234, 'OTHER', 0, 1000, 'stolen')
            """)
        let file = node.directory.file("show.json")
        try node.expectSuccess(["scan-list", "SHOW", "--out", file])
        let list = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as? [String: Any])

        let markdown = try String(
            contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("SyncProtocol/scanner.md"), encoding: .utf8)
        let block = try #require(
            markdown.components(separatedBy: "```json\n").dropFirst().first?.components(separatedBy: "```").first)
        let example = try #require(try JSONSerialization.jsonObject(with: Data(block.utf8)) as? [String: Any])
        #expect(Set(example.keys) == Set(list.keys))
        #expect(
            Set((example["event"] as? [String: Any] ?? [:]).keys) == Set((list["event"] as? [String: Any] ?? [:]).keys))
        for kind in ["keys", "revoked", "admitted", "vouched"] {
            let real = (list[kind] as? [[String: Any]] ?? []).map { Set($0.keys) }
            let shown = (example[kind] as? [[String: Any]] ?? []).map { Set($0.keys) }
            #expect(!real.isEmpty, "the list has \(kind)")
            for fields in Set(real) {
                #expect(shown.contains(fields), "\(kind): the list has \(fields.sorted()), the example \(shown)")
            }
            let known = real.reduce(Set<String>()) { $0.union($1) }
            for fields in shown {
                #expect(fields.isSubset(of: known), "\(kind): the example shows \(fields.subtracting(known))")
            }
            for object in example[kind] as? [[String: Any]] ?? [] {
                #expect(!object.values.contains { $0 is NSNull }, "\(kind): the list writes no null")
            }
        }
    }

    /// An event and venue named in Czech and Polish print on the PDF and the receipt printer
    /// with the letters their code pages lack written without their diacritics — `Dvořák` as
    /// `Dvorák`, `Łódź` as `Lódz` — never as `?`; `pdftotext` reads the PDF back.
    @Test func lettersTheCodePagesLackPrintWithoutTheirDiacritics() throws {
        let node = try CLINode()
        let reference = node.directory.file("rusalka.json")
        try """
        {"format": "venue-reference/1", "parameters": {"currency": "CZK"},
         "venues": [{"id": "LODZ", "name": "Teatr Wielki Łódź", "timezone": "Europe/Warsaw",
                     "sections": [{"code": "MAIN", "rows": [{"labels": "A", "seats": 4}]}]}],
         "events": [{"id": "RUSALKA", "venue": "LODZ", "name": "Rusalka – Dvořák", "starts_at": "2030-02-01T18:00:00Z",
                     "status": "on_sale",
                     "categories": [{"code": "GA", "name": "Stání", "kind": "ga", "price_minor": 45000, "capacity": 10}]}],
         "allocations": [{"node": "TEST-1", "event": "RUSALKA", "category": "GA", "quota": 10}], "staff": []}
        """.write(toFile: reference, atomically: true, encoding: .utf8)
        try node.expectSuccess(["import", reference])
        let sale = try node.json(["sell", "RUSALKA", "--category", "GA", "--qty", "1", "--payment", "cash"])
        let order = try #require(sale["order_id"] as? String)

        let pdf = node.directory.file("rusalka.pdf")
        try node.expectSuccess(["print", order, "--format", "pdf", "--out", pdf])
        let text = try ProcessRunner.run("/usr/bin/pdftotext", ["-enc", "UTF-8", pdf, "-"])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("Rusalka – Dvorák") && text.stdout.contains("Teatr Wielki Lódz"), "\(text.stdout)")
        #expect(!text.stdout.contains("?"), "\(text.stdout)")

        let escpos = node.directory.file("rusalka.bin")
        try node.expectSuccess(["print", order, "--format", "escpos", "--out", escpos])
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: escpos)))
        let title = Array("Rusalka - Dvor".utf8) + [0xA0, UInt8(ascii: "k")]
        let venue = Array("Teatr Wielki L".utf8) + [0xA2, UInt8(ascii: "d"), UInt8(ascii: "z")]
        for line in [title, venue] {
            #expect(
                (0...(bytes.count - line.count)).contains { Array(bytes[$0..<$0 + line.count]) == line },
                "\(String(decoding: line, as: UTF8.self)) in the printer's bytes")
        }
    }
}
