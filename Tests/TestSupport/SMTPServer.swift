import Foundation

/// A real SMTP server (aiosmtpd, `Tests/Helpers/smtp-server.py`) on a free loopback port, and
/// Python's `email` package to read what it received (`Tests/Helpers/check-email.py`).
public final class SMTPServer: @unchecked Sendable {  // set once in init
    public let port: Int
    public let folder: String
    private let process: BackgroundProcess
    static let helpers = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Helpers").path

    /// Starts the server; `options` as the script takes them (`--tls CERT KEY`, `--reject ADDRESS`…).
    public init(in directory: TemporaryDirectory, _ options: [String] = []) throws {
        port = Network.freePort()
        folder = directory.file("smtp-\(port)")
        process = try BackgroundProcess(
            "/usr/bin/python3", [Self.helpers + "/smtp-server.py", String(port), folder] + options,
            logDirectory: directory.path)
        guard waitUntil(timeout: 10, { process.stderr.contains("listening") }) != nil else {
            throw SandboxError(message: "the SMTP server did not start: \(process.stderr)")
        }
    }

    deinit {
        process.send(SIGTERM)
        _ = process.wait()
    }

    /// The messages received so far, oldest first: each as Python's `email` package read it,
    /// with the envelope.
    public func received() throws -> [(message: [String: Any], envelope: [String: Any])] {
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter {
            $0.hasSuffix(".eml")
        }
        .sorted()
        guard !files.isEmpty else { return [] }
        let parsed = try ProcessRunner.run(
            "/usr/bin/python3", [Self.helpers + "/check-email.py"] + files.map { folder + "/" + $0 })
        guard parsed.status == 0 else { throw SandboxError(message: "check-email.py failed: \(parsed.stderr)") }
        return try zip(parsed.stdout.split(separator: "\n"), files).map { line, file in
            let message = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
            let envelopeData = try Data(
                contentsOf: URL(fileURLWithPath: folder + "/" + file.replacingOccurrences(of: ".eml", with: ".json")))
            let envelope = try JSONSerialization.jsonObject(with: envelopeData) as? [String: Any] ?? [:]
            return (message, envelope)
        }
    }
}
