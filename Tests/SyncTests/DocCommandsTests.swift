import Foundation
import TestSupport
import Testing

/// `Scripts/check-doc-commands`, which runs every command a Markdown file shows: what it runs,
/// where, what it skips, and how it names a command that fails.
@Suite struct DocCommandsTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Scripts/check-doc-commands").path

    private func check(_ markdown: String, in directory: TemporaryDirectory, environment: [String: String] = [:])
        throws -> ProcessResult
    {
        let file = directory.file("doc.md")
        try markdown.write(toFile: file, atomically: true, encoding: .utf8)
        let scratch = directory.file("scratch")
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        return try ProcessRunner.run(
            Self.script, ["--bin", ProcessRunner.productsDirectory, "--scratch", scratch, file],
            environment: environment)
    }

    @Test func linesRunInOrderInOneShellOnAScratchNodeAndExamplesAreShownOnly() throws {
        let directory = TemporaryDirectory()
        let result = try check(
            """
            Text, then commands:
            ```sh
            install -d -m 700 /srv/box && export BOXOFFICE_DB=/srv/box/venue.sqlite
            echo "$ADMIN_PASSWORD" | boxoffice init --node BOX-1 \\
                --admin admin                                  # a comment
            echo "$ADMIN_PASSWORD" | boxoffice login admin
            boxoffice import Fixtures/reference/grand-theatre.json
            ORDER=$(boxoffice sell GALA-2026-12-31 --category FLOOR --qty 1 --payment cash --json | jq -r .order_id)
            for event in GALA-2026-12-31 NUTCRACKER-2026-12-20; do
                boxoffice availability "$event"
            done
            boxoffice order ord_01J…   # example: an id from a receipt
            test "$HOME" != ~root -a -n "$ORDER"
            ```
            ```json
            {"not": "run"}
            ```
            ```sh
            boxoffice order "$ORDER" | grep -q 'cash 45.00 EUR'
            test -f "$BOXOFFICE_DB" && test "$BOXOFFICE_DB" = "$(dirname "$HOME")/srv/box/venue.sqlite"
            ```
            """, in: directory)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("doc.md: 9 commands to run, 1 examples shown only"), "\(result.stdout)")
    }

    @Test func theFirstCommandThatFailsIsNamedWithItsOutputAndNothingAfterItRuns() throws {
        let directory = TemporaryDirectory()
        let result = try check(
            """
            ```sh
            export BOXOFFICE_DB=$HOME/venue.sqlite
            boxoffice event close GALA-2026-12-31 --because x
            touch "$HOME/after"
            ```
            """, in: directory)
        #expect(result.status == 1)
        #expect(
            result.stderr.contains("doc.md:3: exit code 2:\n  boxoffice event close GALA-2026-12-31 --because x\n")
                && result.stderr.contains("  | Error: unknown option '--because'."), "\(result.stderr)")
        let kept = try FileManager.default.contentsOfDirectory(atPath: directory.file("scratch"))
        #expect(
            kept.count == 1 && !FileManager.default.fileExists(atPath: directory.file("scratch/\(kept[0])/home/after")))
    }

    /// Unset as in a fresh shell, whatever central the caller's shell names (``OtherCentral``).
    @Test func anUnsetVariableStopsTheShellAndNamesTheCommand() throws {
        let directory = TemporaryDirectory()
        let result = try check(
            "```sh\necho ok\necho \"$CENTRAL_URL\"\n```\n", in: directory,
            environment: try OtherCentral(in: directory).environment)
        #expect(result.status == 1)
        #expect(
            result.stderr.contains("doc.md:3: the shell stopped in it:") && result.stderr.contains("CENTRAL_URL"),
            "\(result.stderr)")
    }

    @Test func aBackgroundCommandMustStartAndStopCleanlyOnSIGTERM() throws {
        let directory = TemporaryDirectory()
        let clean = try check(
            """
            ```sh
            python3 -c 'import signal, sys; signal.signal(signal.SIGTERM, lambda *_: sys.exit(0)); print("ready", flush=True); signal.pause()' &
            echo next
            ```
            """, in: directory)
        #expect(clean.status == 0, "\(clean.stderr)")
        let died = try check("```sh\nboxoffice --no-such-option &\necho next\n```\n", in: directory)
        #expect(died.status == 1)
        #expect(
            died.stderr.contains("doc.md:2: started in the background, it exited 2 before the file's last command ran")
                || died.stderr.contains("doc.md:2: left running in the background, it exited 2"), "\(died.stderr)")
    }

    @Test func aCommandABlockLeavesUnfinishedIsAnError() throws {
        let directory = TemporaryDirectory()
        let result = try check("```sh\ncentral maintenance on|off (--node N | --all)\n```\n", in: directory)
        #expect(result.status == 1)
        #expect(result.stderr.contains("doc.md:2: a shell command the block does not finish"), "\(result.stderr)")
    }
}
