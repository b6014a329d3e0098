import AtomicFiles
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Where and how to connect: parsed from a URL, with the password from the environment.
///
/// `mysql://USER@HOST[:PORT][,HOST[:PORT]…]/DATABASE[?socket=/run/mysqld/mysqld.sock&tls=verify_identity&ssl_ca=/etc/ca.pem&connect_timeout=5&read_timeout=30&write_timeout=30&lock_wait_timeout=10&idle_transaction_timeout=60]`
///
/// Several hosts name the members of one cluster (Galera, Group Replication): a connection goes to
/// the first member that answers, is ready and is writable (``MySQLConnection``), and every option
/// holds for each member.
///
/// The password never comes from the URL (it would show in `ps` and in logs): it is read from
/// `CENTRAL_PASSWORD`, or from the file named by `CENTRAL_PASSWORD_FILE` (refused when other users
/// may read it). Nothing this type says (its description, its errors) contains a secret.
///
/// TLS fails closed: a URL naming any TCP host other than loopback gets `tls=required` for every
/// member unless told otherwise; a CA file is either used to verify the server or refused, never ignored; `localhost` is reached
/// over TCP unless `socket=` is given.
public struct MySQLConfiguration: Sendable, Equatable, CustomStringConvertible {
    /// How the connection uses TLS.
    public enum TLSMode: String, Sendable, CaseIterable {
        /// No TLS: the default for a unix socket and loopback addresses only.
        case disabled
        /// TLS required, the server's certificate not checked: the default for other hosts.
        case required
        /// TLS required and the server's certificate chain checked against `ssl_ca` (or the
        /// system's CAs), whatever host name it names.
        case verifyCA = "verify_ca"
        /// TLS required, the chain checked, and the certificate must name the host connected to.
        case verifyIdentity = "verify_identity"

        /// True for the modes that check the server's certificate.
        public var verifiesCertificate: Bool { self == .verifyCA || self == .verifyIdentity }
    }

    /// Where the system keeps its trusted CA certificates (Debian's `ca-certificates`): used by the
    /// verifying modes when no `ssl_ca` is given.
    public static let systemCertificateDirectory = "/etc/ssl/certs"

    /// One server a URL names: a host and a TCP port.
    public struct Member: Sendable, Hashable, CustomStringConvertible {
        public var host: String
        public var port: Int

        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }

        /// `host:port`, an IPv6 address in brackets.
        public var description: String {
            host.contains(":") && !host.hasPrefix("[") ? "[\(host)]:\(port)" : "\(host):\(port)"
        }
    }

    /// The servers to try, in the URL's order: one for a single server, each member of a cluster.
    public var members: [Member]
    /// The first member's host.
    public var host: String { members[0].host }
    /// The first member's port.
    public var port: Int { members[0].port }
    public var user: String
    public var password: String?
    public var database: String
    /// A unix socket path; when set, `host` and `port` are not used.
    public var socket: String?
    public var tls: TLSMode
    /// The CA certificates the verifying modes check the server against (nil: the system's).
    public var certificateAuthorityFile: String?
    /// Seconds.
    public var connectTimeout: Int
    public var readTimeout: Int
    /// The URL named `read_timeout` (a caller with a shorter default of its own keeps the URL's).
    public var readTimeoutGiven: Bool
    public var writeTimeout: Int
    /// Seconds a statement waits for a row lock before failing with 1205 (server default: 50).
    public var lockWaitTimeout: Int
    /// Seconds the server keeps a transaction whose client went silent (a frozen network, a
    /// killed process) before ending it and releasing its locks (server default: hours).
    public var idleTransactionTimeout: Int

    /// The environment variables that name central and its password, spelled once for every tool
    /// (the node's and central's settings list the same names; a test holds them equal).
    public enum Setting: String, CaseIterable, Sendable {
        case url = "CENTRAL_URL"
        case password = "CENTRAL_PASSWORD"
        case passwordFile = "CENTRAL_PASSWORD_FILE"
    }

    /// The central URL given on the command line, else `CENTRAL_URL`, parsed, with the password
    /// from the environment: the one resolver of `CENTRAL_URL` for every tool.
    public static func resolve(url given: String?, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws -> MySQLConfiguration
    {
        guard let url = given ?? environment[Setting.url.rawValue].flatMap({ $0.isEmpty ? nil : $0 }) else {
            throw MySQLError(code: 0, message: "no central URL: give one, or set CENTRAL_URL")
        }
        return try MySQLConfiguration(url: url, environment: environment)
    }

    /// Parses `url` and reads the password from `environment`.
    public init(url text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let (single, otherHosts) = Self.splitHosts(text)
        guard let url = URLComponents(string: single), url.scheme == "mysql" else {
            throw MySQLError(
                code: 0,
                message:
                    "central URL must look like mysql://user@host:3306/database, not '\(Self.redacted(text).prefix(80))'"
            )
        }
        guard url.password == nil else {
            throw MySQLError(
                code: 0, message: "do not put the password in the URL; set CENTRAL_PASSWORD or CENTRAL_PASSWORD_FILE")
        }
        guard let user = url.user, !user.isEmpty else {
            throw MySQLError(code: 0, message: "the central URL needs a user (mysql://user@host/db)")
        }
        let database = String(url.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, database.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
            throw MySQLError(
                code: 0,
                message: "the central URL needs a database name of letters, digits and _ (mysql://user@host/central)")
        }
        var query = [String: String]()
        for item in url.queryItems ?? [] { query[item.name] = item.value ?? "" }
        let known: Set = [
            "socket", "tls", "ssl_ca", "connect_timeout", "read_timeout", "write_timeout", "lock_wait_timeout",
            "idle_transaction_timeout",
        ]
        if let unknown = query.keys.sorted().first(where: { !known.contains($0) }) {
            throw MySQLError(
                code: 0,
                message:
                    "unknown central URL option '\(unknown.prefix(40))'; known: \(known.sorted().joined(separator: ", "))"
            )
        }
        func seconds(_ name: String, default value: Int) throws -> Int {
            guard let given = query[name] else { return value }
            guard let number = Int(given), (1...3600).contains(number) else {
                throw MySQLError(code: 0, message: "\(name) must be 1 to 3600 seconds, not '\(given.prefix(20))'")
            }
            return number
        }
        if !otherHosts.isEmpty, (url.host ?? "").isEmpty {
            throw MySQLError(code: 0, message: "the central URL lists an empty host")
        }
        var members = [Member(host: url.host ?? "127.0.0.1", port: url.port ?? 3306)]
        for other in otherHosts {
            guard let parsed = URLComponents(string: "mysql://u@\(other)/d"), let host = parsed.host, !host.isEmpty,
                parsed.user == "u", parsed.path == "/d"
            else {
                throw MySQLError(
                    code: 0,
                    message: "the central URL lists a host that is not HOST or HOST:PORT: '\(other.prefix(80))'")
            }
            members.append(Member(host: host, port: parsed.port ?? 3306))
        }
        if let twice = members.first(where: { member in members.filter { $0 == member }.count > 1 }) {
            throw MySQLError(code: 0, message: "the central URL lists \(twice) twice")
        }
        guard members.count <= Self.maximumMembers else {
            throw MySQLError(code: 0, message: "the central URL lists more than \(Self.maximumMembers) hosts")
        }
        self.members = members
        self.user = user
        self.database = database
        self.socket = query["socket"]
        if socket != nil, members.count > 1 {
            throw MySQLError(
                code: 0, message: "socket= names one server: give one host with it, or several hosts without it")
        }
        let local = socket != nil || members.allSatisfy { Self.isLoopback($0.host) }
        if let mode = query["tls"] {
            guard let given = TLSMode(rawValue: mode) else {
                throw MySQLError(
                    code: 0,
                    message:
                        "tls must be one of \(TLSMode.allCases.map(\.rawValue).joined(separator: ", ")), not '\(mode.prefix(20))'"
                )
            }
            tls = given
        } else {
            tls = local ? .disabled : .required
        }
        if let file = query["ssl_ca"] {
            guard tls.verifiesCertificate else {
                throw MySQLError(
                    code: 0,
                    message: "ssl_ca is used by tls=verify_ca or tls=verify_identity only; with tls=\(tls.rawValue) "
                        + "the server's certificate would not be checked against it")
            }
            guard access(file, R_OK) == 0 else {
                throw MySQLError(code: 0, message: "cannot read ssl_ca \(file): \(String(cString: strerror(errno)))")
            }
        }
        self.certificateAuthorityFile = query["ssl_ca"]
        self.connectTimeout = try seconds("connect_timeout", default: 5)
        self.readTimeout = try seconds("read_timeout", default: 30)
        self.readTimeoutGiven = query["read_timeout"] != nil
        self.writeTimeout = try seconds("write_timeout", default: 30)
        self.lockWaitTimeout = try seconds("lock_wait_timeout", default: 10)
        self.idleTransactionTimeout = try seconds("idle_transaction_timeout", default: 60)
        self.password = try Self.password(from: environment)
    }

    /// The most hosts a URL may list.
    public static let maximumMembers = 16

    /// The URL with only its first host, and the other hosts of a list (`h1:3306,h2:3306`), which
    /// URLComponents cannot read as one authority.
    static func splitHosts(_ text: String) -> (url: String, otherHosts: [String]) {
        guard let scheme = text.range(of: "://") else { return (text, []) }
        let rest = text[scheme.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let hostsStart = authority.lastIndex(of: "@").map { authority.index(after: $0) } ?? authority.startIndex
        let hosts = authority[hostsStart...].split(separator: ",", omittingEmptySubsequences: false)
        guard hosts.count > 1 else { return (text, []) }
        return (
            String(text[..<hostsStart]) + hosts[0] + String(text[authorityEnd...]),
            hosts.dropFirst().map(String.init)
        )
    }

    /// The members in the order a connection tries them: from `first` (when it is one of them) to
    /// the end, then from the start.
    public func members(startingWith first: Member?) -> [Member] {
        guard let first, let index = members.firstIndex(of: first) else { return members }
        return Array(members[index...] + members[..<index])
    }

    /// The member after `member` in the URL's order (wrapping), where a client goes when it lost `member`.
    public func member(after member: Member) -> Member? {
        guard members.count > 1, let index = members.firstIndex(of: member) else { return nil }
        return members[(index + 1) % members.count]
    }

    /// 127.0.0.0/8, ::1 and `localhost`: traffic that never leaves the machine. An address is
    /// read as an address: a name such as `127.0.0.1.nip.io` may point anywhere, so it is not.
    static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" { return true }
        let address = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        var v4 = in_addr()
        if inet_pton(AF_INET, address, &v4) == 1 { return UInt32(bigEndian: v4.s_addr) >> 24 == 127 }
        var v6 = in6_addr()
        return inet_pton(AF_INET6, address, &v6) == 1
            && withUnsafeBytes(of: v6) { Array($0) } == Array(repeating: 0, count: 15) + [1]
    }

    /// `CENTRAL_PASSWORD`, or the first line of the file named by `CENTRAL_PASSWORD_FILE`; a file
    /// other users may read or write is refused (``SecretFile``).
    static func password(from environment: [String: String]) throws -> String? {
        switch (environment[Setting.password.rawValue], environment[Setting.passwordFile.rawValue]) {
        case (let password?, nil):
            return password
        case (nil, let path?):
            let bytes: [UInt8]
            do {
                bytes = try SecretFile.read(path, named: "CENTRAL_PASSWORD_FILE")
            } catch let error as SecretFileError {
                throw MySQLError(code: 0, message: error.message)
            }
            return String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).first
                .map(String.init)
        case (nil, nil):
            return nil
        case (.some, .some):
            throw MySQLError(code: 0, message: "set CENTRAL_PASSWORD or CENTRAL_PASSWORD_FILE, not both")
        }
    }

    /// `text` with any password between `user:` and `@` replaced by `***`, for messages.
    public static func redacted(_ text: String) -> String {
        guard let scheme = text.range(of: "://"), let at = text[scheme.upperBound...].firstIndex(of: "@") else {
            return text
        }
        let userInfo = text[scheme.upperBound..<at]
        guard let colon = userInfo.firstIndex(of: ":") else { return text }
        return String(text[..<colon]) + ":***" + String(text[at...])
    }

    /// The URL without any secret, with the TLS mode in use: safe for logs and health output.
    public var description: String {
        var options = socket.map { ["socket=\($0)"] } ?? []
        options.append("tls=\(tls.rawValue)")
        if let certificateAuthorityFile { options.append("ssl_ca=\(certificateAuthorityFile)") }
        return "mysql://\(user)@\(members.map(\.description).joined(separator: ","))/\(database)?"
            + options.joined(separator: "&")
    }
}
