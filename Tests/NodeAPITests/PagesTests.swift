import Foundation
import TestSupport
import Testing

/// The pages for tills and doors (`Sources/NodeAPI/Pages/`) as the daemon serves them: from its
/// own binary, byte for byte the repository's files, with a policy that keeps other origins out.
@Suite struct PagesTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let pages = repository.appendingPathComponent("Sources/NodeAPI/Pages")

    /// The page files in the repository, by the path the node serves each at.
    static func pageFiles() throws -> [(path: String, file: URL)] {
        let files = try #require(FileManager.default.enumerator(at: pages, includingPropertiesForKeys: nil))
            .compactMap { $0 as? URL }.filter { !$0.hasDirectoryPath }
        return files.map { file in
            let name = String(file.standardizedFileURL.path.dropFirst(pages.standardizedFileURL.path.count + 1))
            let path =
                name == "index.html"
                ? "/" : name.hasSuffix(".html") ? "/" + name.dropLast(5) : "/" + name
            return (path, file)
        }.sorted { $0.path < $1.path }
    }

    /// Every file of the pages is served from the binary as it is in the repository, with its
    /// type, a validator that answers 304, and a Content-Security-Policy that allows no inline
    /// script or style, no other origin and no framing; the files hold nothing the policy would
    /// refuse and fetch nothing from outside the node.
    @Test func thePagesAreServedFromTheBinaryWithAStrictPolicy() throws {
        let node = try APINode()
        let files = try Self.pageFiles()
        #expect(files.map(\.path).contains("/till") && files.map(\.path).contains("/door"))
        let types = [
            "html": "text/html; charset=utf-8", "css": "text/css; charset=utf-8",
            "js": "text/javascript; charset=utf-8", "svg": "image/svg+xml",
        ]
        for (path, file) in files {
            let body = node.directory.file("page")
            let head = try ProcessRunner.run(
                "/usr/bin/curl", ["-sS", "-D", "-", "-o", body, node.base + path])
            let headers = Self.headers(head.stdout)
            #expect(head.stdout.hasPrefix("HTTP/1.1 200"), "\(path): \(head.stdout)")
            #expect(
                FileManager.default.contents(atPath: body) == FileManager.default.contents(atPath: file.path), "\(path)"
            )
            #expect(headers["content-type"] == types[file.pathExtension], "\(path)")
            let policy = headers["content-security-policy"] ?? ""
            for directive in [
                "default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'",
                "object-src 'none'", "base-uri 'none'",
            ] {
                #expect(policy.contains(directive), "\(path): \(policy)")
            }
            #expect(!policy.contains("unsafe"), "\(path): \(policy)")
            #expect(headers["x-content-type-options"] == "nosniff")
            #expect(headers["referrer-policy"] == "no-referrer")
            #expect(headers["cache-control"] == "no-cache")
            let etag = try #require(headers["etag"], "\(path)")
            let again = try ProcessRunner.run(
                "/usr/bin/curl",
                ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "-H", "If-None-Match: \(etag)", node.base + path])
            #expect(again.stdout == "304", "\(path)")

            let text = try String(contentsOf: file, encoding: .utf8)
            if file.pathExtension == "html" {
                #expect(!text.contains("<script>") && !text.contains("<style"), "\(path): inline script or style")
                #expect(text.firstMatch(of: /\son[a-z]+=|\sstyle=/) == nil, "\(path): an inline handler or style")
            }
            if file.pathExtension == "js" {
                for sink in ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "setInterval"] {
                    #expect(!text.contains(sink), "\(path) uses \(sink)")
                }
            }
            let outside = text.matches(of: /https?:\/\/[^\s'"`)<>]+/).map { String($0.output) }
                .filter { $0 != "http://www.w3.org/2000/svg" }
            #expect(outside.isEmpty, "\(path) names other origins: \(outside)")
        }
        let post = try ProcessRunner.run(
            "/usr/bin/curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", node.base + "/till"])
        #expect(post.stdout == "405")
        let missing = try node.call("GET", "/assets/nothing.js")
        #expect(missing.status == 404)
        #expect(((missing.body as? [String: Any])?["error"] as? [String: Any])?["code"] as? String == "not_found")
    }

    /// A page's address typed with a slash at its end or in capitals (`/till/`, `/DOOR`) leads
    /// to the page, with its query; other paths stay unknown.
    @Test func aPagesAddressWithASlashOrInCapitalsLeadsToThePage() throws {
        let node = try APINode()
        for (typed, page) in [
            ("/till/", "/till"), ("/door/", "/door"), ("/TILL", "/till"), ("/Door/", "/door"),
            ("/till/?event=GALA", "/till?event=GALA"),
        ] {
            let head = try ProcessRunner.run("/usr/bin/curl", ["-sS", "-D", "-", "-o", "/dev/null", node.base + typed])
            #expect(head.stdout.hasPrefix("HTTP/1.1 301"), "\(typed): \(head.stdout)")
            #expect(Self.headers(head.stdout)["location"] == page, "\(typed): \(head.stdout)")
            let followed = try ProcessRunner.run(
                "/usr/bin/curl",
                ["-sS", "-L", "-o", "/dev/null", "-w", "%{http_code} %{url_effective}", node.base + typed])
            #expect(followed.stdout == "200 \(node.base)\(page)", "\(typed)")
        }
        for unknown in ["/till/x", "/assets/", "/tills", "/ASSETS/style.css"] {
            let answer = try node.call("GET", unknown)
            #expect(answer.status == 404, "\(unknown): \(answer.headers)")
        }
    }

    /// Header fields of `curl -D -` output, names in lower case.
    static func headers(_ text: String) -> [String: String] {
        var fields = [String: String]()
        for line in text.split(separator: "\r\n").dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return fields
    }
}
