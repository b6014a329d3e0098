import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The till and the door in headless Chromium, used as a cashier, a supervisor and a door would
/// (`Tests/Helpers/browser-pages.py`, Debian's chromium, chromium-driver and python3-selenium).
@Suite struct BrowserTests {
    /// A till and a door in headless Chromium, two browsers at once: a keyboard-only sale of the
    /// two best seats in five key presses or fewer, a sale by clicking the map seen sold on the
    /// other till, a double click on Pay that sells once, a refund by a supervisor that a cashier
    /// is neither shown nor allowed, a door refusing a ticket whose doors are not open until it
    /// is set up with its gate and event (kept in the browser) and then admitting it once, the
    /// node stopped mid-sale and the retry selling once, labels, contrast, focus and layout
    /// checked on the way, and screenshots of both pages taken: into the test's folder, or into the folder
    /// `VENUE_SCREENSHOTS` names (`VENUE_SCREENSHOTS=docs/screenshots` renews the README's), so a
    /// test run leaves the checkout as it found it.
    @Test func aTillAndADoorInARealBrowser() throws {
        let node = try APINode(reference: Self.reference, node: "BOX-1")
        let screenshots =
            ProcessInfo.processInfo.environment["VENUE_SCREENSHOTS"].map {
                $0.hasPrefix("/") ? $0 : PagesTests.repository.appendingPathComponent($0).path
            } ?? node.directory.file("screenshots")
        try FileManager.default.createDirectory(atPath: screenshots, withIntermediateDirectories: true)
        let script = try BrowserScript(
            [APINode.helpers + "/browser-pages.py", node.base, node.database, screenshots],
            logDirectory: node.directory.path)
        var lines = [String]()
        while let line = script.readLine() {
            lines.append(line)
            switch line {
            case "daemon stop":
                node.stopDaemon()
                script.answer("ok")
            case "daemon start":
                try node.startDaemon()
                script.answer("ok")
            default: break
            }
        }
        let status = script.wait()
        #expect(status == 0, "\(lines.joined(separator: "\n"))\n\(script.stderr)")
        #expect(lines.last?.hasPrefix("ok ") == true, "\(lines)")
    }

    /// GALA at Harbour Hall: STALLS rows A–E this node's and row F another node's, BALCONY, and
    /// FLOOR standing.
    static let reference = """
        {
          "format": "venue-reference/1",
          "parameters": { "currency": "EUR", "hold_ttl": "10m", "max_tickets_per_order": 10 },
          "venues": [ { "id": "HARBOUR", "name": "Harbour Hall", "timezone": "Europe/Amsterdam",
                        "sections": [ { "code": "STALLS", "rows": [ { "labels": "A-F", "seats": 12 } ] },
                                      { "code": "BALCONY", "rows": [ { "labels": "A-B", "seats": 10 } ] } ] } ],
          "events": [
            { "id": "GALA", "venue": "HARBOUR", "name": "New Year's Gala", "starts_at": "2030-12-31T20:00:00Z",
              "status": "on_sale",
              "categories": [
                { "code": "STALLS", "name": "Stalls", "kind": "seated", "price_minor": 8900, "sections": ["STALLS"] },
                { "code": "BALCONY", "name": "Balcony", "kind": "seated", "price_minor": 6500, "sections": ["BALCONY"] },
                { "code": "FLOOR", "name": "Standing", "kind": "ga", "price_minor": 4500, "capacity": 100 } ] }
          ],
          "allocations": [
            { "node": "BOX-1", "event": "GALA", "category": "STALLS",
              "seats": ["STALLS-A", "STALLS-B", "STALLS-C", "STALLS-D", "STALLS-E"] },
            { "node": "BOX-2", "event": "GALA", "category": "STALLS", "seats": ["STALLS-F"] },
            { "node": "BOX-1", "event": "GALA", "category": "BALCONY", "seats": ["*"] },
            { "node": "BOX-1", "event": "GALA", "category": "FLOOR", "quota": 100 }
          ],
          "staff": [ { "name": "sue", "role": "supervisor" }, { "name": "cal", "role": "cashier" } ]
        }
        """

}

/// The browser script under Debian's python3, talking to the test a line at a time: it writes
/// requests (`daemon stop`) and its result on stdout, and reads answers on stdin.
final class BrowserScript {
    let process = Process()
    let output = Pipe()
    let input = Pipe()
    let stderrPath: String
    private var buffer = Data()

    init(_ arguments: [String], logDirectory: String) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = arguments
        stderrPath = logDirectory + "/browser-\(UUID().uuidString.prefix(8)).log"
        FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        process.standardOutput = output
        process.standardInput = input
        try process.run()
    }

    /// The next line the script wrote; nil once it closed its stdout.
    func readLine() -> String? {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                buffer = Data(buffer[buffer.index(after: newline)...])
                return line
            }
            let more = output.fileHandleForReading.availableData
            if more.isEmpty {
                guard !buffer.isEmpty else { return nil }
                defer { buffer = Data() }
                return String(decoding: buffer, as: UTF8.self)
            }
            buffer.append(more)
        }
    }

    func answer(_ line: String) {
        input.fileHandleForWriting.write(Data((line + "\n").utf8))
    }

    func wait() -> Int32 {
        process.waitUntilExit()
        return process.terminationStatus
    }

    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}
