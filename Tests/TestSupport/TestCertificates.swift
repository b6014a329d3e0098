import Foundation

/// Certificates for TLS tests, made by the `openssl` command line in a folder of the test's:
/// a CA, a server certificate it signs for the host name `localhost` only, and a second CA that
/// signed nothing of this server.
public struct TestCertificates {
    public let directory: String
    /// The CA that signed the server's certificate.
    public var authority: String { directory + "/ca.pem" }
    /// A CA unrelated to the server.
    public var otherAuthority: String { directory + "/other-ca.pem" }

    public init(in directory: String) throws {
        self.directory = directory
        try "subjectAltName=DNS:localhost\n".write(toFile: directory + "/server.ext", atomically: true, encoding: .utf8)
        for arguments in [
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca-key.pem", "-out", "ca.pem", "-days",
                "2", "-subj", "/CN=Venue Test CA",
            ],
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "other-ca-key.pem", "-out", "other-ca.pem",
                "-days", "2",
                "-subj", "/CN=Someone Else's CA",
            ],
            [
                "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server-key.pem", "-out", "server.csr", "-subj",
                "/CN=localhost",
            ],
            [
                "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial", "-out",
                "server.pem",
                "-days", "2", "-extfile", "server.ext",
            ],
        ] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            process.arguments = arguments
            process.currentDirectoryURL = URL(fileURLWithPath: directory)
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw SandboxError(message: "openssl \(arguments.joined(separator: " ")) failed")
            }
        }
    }
}
