import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The node behind Debian's nginx as `Scripts/nginx/venue-node.conf` puts it: TLS 1.2+ with a
/// certificate made by `openssl`, the node on loopback, and the till's address taken from the
/// proxy only.
@Suite struct NginxTLSTests {
    static let configuration = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Scripts/nginx/venue-node.conf").path

    /// The repository's site file with this test's ports and certificate; every line it changes
    /// must be there as written, so the file and the test cannot drift apart.
    static func site(nodePort: Int, tlsPort: Int, certificates: TestCertificates) throws -> String {
        var text = try String(contentsOfFile: configuration, encoding: .utf8)
        for (line, replacement) in [
            ("    server 127.0.0.1:8080;", "    server 127.0.0.1:\(nodePort);"),
            ("    listen 443 ssl;", "    listen 127.0.0.1:\(tlsPort) ssl;"),
            ("    listen [::]:443 ssl;", ""),
            (
                "    ssl_certificate /etc/venue/tls/node.crt;",
                "    ssl_certificate \(certificates.directory)/server.pem;"
            ),
            (
                "    ssl_certificate_key /etc/venue/tls/node.key;",
                "    ssl_certificate_key \(certificates.directory)/server-key.pem;"
            ),
        ] {
            guard text.contains(line + "\n") else { throw APITestError("venue-node.conf no longer has '\(line)'") }
            text = text.replacing(line + "\n", with: replacement + "\n")
        }
        return text
    }

    @Test func salesGoThroughTLSAndTheTillsAddressIsTheProxys() throws {
        let node = try APINode(arguments: ["--trusted-proxies", "127.0.0.1"])
        let folder = node.directory.path + "/nginx"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let certificates = try TestCertificates(in: folder)
        let tlsPort = Network.freePort()
        try Self.site(nodePort: node.port, tlsPort: tlsPort, certificates: certificates)
            .write(toFile: folder + "/site.conf", atomically: true, encoding: .utf8)
        let main = """
            daemon off;
            user root;
            worker_processes 1;
            pid \(folder)/nginx.pid;
            error_log \(folder)/error.log;
            events { worker_connections 256; }
            http {
                access_log off;
                client_body_temp_path \(folder)/body;
                proxy_temp_path \(folder)/proxy;
                fastcgi_temp_path \(folder)/fastcgi;
                uwsgi_temp_path \(folder)/uwsgi;
                scgi_temp_path \(folder)/scgi;
                include \(folder)/site.conf;
            }
            """
        try main.write(toFile: folder + "/nginx.conf", atomically: true, encoding: .utf8)
        let check = try ProcessRunner.run("/usr/sbin/nginx", ["-t", "-q", "-p", folder, "-c", folder + "/nginx.conf"])
        #expect(check.status == 0, "nginx -t: \(check.stderr)")
        let nginx = try BackgroundProcess(
            "/usr/sbin/nginx", ["-p", folder, "-c", folder + "/nginx.conf"], logDirectory: folder)
        defer {
            nginx.send(SIGQUIT)
            nginx.wait()
        }
        let url = "https://localhost:\(tlsPort)"
        func curl(_ arguments: [String], authority: String? = nil) throws -> ProcessResult {
            try ProcessRunner.run(
                "/usr/bin/curl",
                ["-sS", "--resolve", "localhost:\(tlsPort):127.0.0.1", "--cacert", authority ?? certificates.authority]
                    + arguments)
        }
        #expect(
            waitUntil(timeout: 20) { (try? curl(["-f", "-o", "/dev/null", url + "/health/liveness"]))?.status == 0 }
                != nil, "nginx did not answer: \(nginx.stderr)")

        let signIn = try curl([
            "--interface", "127.0.0.7", "-H", "Content-Type: application/json", "--data-binary",
            #"{"name":"cal","password":"cal-password"}"#, url + "/v1/sessions",
        ])
        let token = try #require(
            (try? JSONSerialization.jsonObject(with: Data(signIn.stdout.utf8)) as? [String: Any])?["token"] as? String,
            "\(signIn.stdout)\(signIn.stderr)")
        let sale = try curl([
            "-w", "\n%{http_code}", "-H", "Authorization: Bearer \(token)", "-H", "Idempotency-Key: tls-sale-000001",
            "-H", "Content-Type: application/json", "--data-binary", APIAccessTests.sale, url + "/v1/sales",
        ])
        #expect(sale.stdout.hasSuffix("\n201"), "\(sale.stdout)\(sale.stderr)")

        let wrongAuthority = try curl(["-f", url + "/health"], authority: certificates.otherAuthority)
        #expect(wrongAuthority.status == 60, "a certificate from another CA was accepted: \(wrongAuthority.stderr)")
        let oldTLS = try curl(["-f", "--tls-max", "1.1", url + "/health"])
        #expect(oldTLS.status != 0, "TLS 1.1 was accepted")

        // The till's address in the audit log: as nginx saw it through the proxy, and the peer's
        // own for a request straight to the node, whatever X-Forwarded-For it claims.
        let direct = try ProcessRunner.run(
            "/usr/bin/curl",
            [
                "-sS", "--interface", "127.0.0.9", "-H", "X-Forwarded-For: 203.0.113.66", "-H",
                "Content-Type: application/json", "--data-binary", #"{"name":"sue","password":"sue-password"}"#,
                node.base + "/v1/sessions",
            ])
        #expect(direct.stdout.contains("token"), "\(direct.stdout)")
        let clients = try ProcessRunner.run(
            "/usr/bin/sqlite3",
            [
                node.database,
                "SELECT operator || ' ' || json_extract(detail, '$.client') FROM audit_log "
                    + "WHERE action = 'session.started' ORDER BY id",
            ]
        ).stdout
        #expect(clients.contains("cal 127.0.0.7"), "\(clients)")
        #expect(clients.contains("sue 127.0.0.9"), "\(clients)")
    }
}
