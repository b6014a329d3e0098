import Foundation

/// Where and how to connect: parsed from a URL, with the password from the environment.
///
/// `mysql://USER@HOST[:PORT]/DATABASE[?socket=/run/mysqld/mysqld.sock&tls=required&ssl_ca=/etc/ca.pem&connect_timeout=5&read_timeout=30&write_timeout=30&lock_wait_timeout=10&idle_transaction_timeout=60]`
///
/// The password never comes from the URL (it would show in `ps` and in logs): it is read from
/// `CENTRAL_PASSWORD`, or from the file named by `CENTRAL_PASSWORD_FILE`.
public struct MySQLConfiguration: Sendable, Equatable, CustomStringConvertible {
    /// How the connection uses TLS.
    public enum TLSMode: String, Sendable, CaseIterable {
        /// No TLS (loopback and unix sockets).
        case disabled
        /// TLS required, certificate not checked.
        case required
        /// TLS required and the server certificate checked against `ssl_ca` and the host name.
        case verifyIdentity = "verify_identity"
    }

    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    /// A unix socket path; when set, `host` and `port` are not used.
    public var socket: String?
    public var tls: TLSMode
    public var certificateAuthorityFile: String?
    /// Seconds.
    public var connectTimeout: Int
    public var readTimeout: Int
    public var writeTimeout: Int
    /// Seconds a statement waits for a row lock before failing with 1205 (server default: 50).
    public var lockWaitTimeout: Int
    /// Seconds the server keeps a transaction whose client went silent (a frozen network, a
    /// killed process) before ending it and releasing its locks (server default: hours).
    public var idleTransactionTimeout: Int

    /// Parses `url` and reads the password from `environment`.
    public init(url text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard let url = URLComponents(string: text), url.scheme == "mysql" else {
            throw MySQLError(code: 0, message: "central URL must look like mysql://user@host:3306/database, not '\(text.prefix(80))'")
        }
        guard url.password == nil else {
            throw MySQLError(code: 0, message: "do not put the password in the URL; set CENTRAL_PASSWORD or CENTRAL_PASSWORD_FILE")
        }
        guard let user = url.user, !user.isEmpty else { throw MySQLError(code: 0, message: "the central URL needs a user (mysql://user@host/db)") }
        let database = String(url.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, database.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
            throw MySQLError(code: 0, message: "the central URL needs a database name of letters, digits and _ (mysql://user@host/central)")
        }
        var query = [String: String]()
        for item in url.queryItems ?? [] { query[item.name] = item.value ?? "" }
        let known: Set = ["socket", "tls", "ssl_ca", "connect_timeout", "read_timeout", "write_timeout", "lock_wait_timeout",
                          "idle_transaction_timeout"]
        if let unknown = query.keys.sorted().first(where: { !known.contains($0) }) {
            throw MySQLError(code: 0, message: "unknown central URL option '\(unknown)'; known: \(known.sorted().joined(separator: ", "))")
        }
        func seconds(_ name: String, default value: Int) throws -> Int {
            guard let given = query[name] else { return value }
            guard let number = Int(given), (1...3600).contains(number) else {
                throw MySQLError(code: 0, message: "\(name) must be 1 to 3600 seconds, not '\(given)'")
            }
            return number
        }
        guard let tls = TLSMode(rawValue: query["tls"] ?? "disabled") else {
            throw MySQLError(code: 0, message: "tls must be one of \(TLSMode.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self.host = url.host ?? "127.0.0.1"
        self.port = url.port ?? 3306
        self.user = user
        self.database = database
        self.socket = query["socket"]
        self.tls = tls
        self.certificateAuthorityFile = query["ssl_ca"]
        self.connectTimeout = try seconds("connect_timeout", default: 5)
        self.readTimeout = try seconds("read_timeout", default: 30)
        self.writeTimeout = try seconds("write_timeout", default: 30)
        self.lockWaitTimeout = try seconds("lock_wait_timeout", default: 10)
        self.idleTransactionTimeout = try seconds("idle_transaction_timeout", default: 60)
        self.password = try Self.password(from: environment)
    }

    /// `CENTRAL_PASSWORD`, or the first line of the file named by `CENTRAL_PASSWORD_FILE`.
    static func password(from environment: [String: String]) throws -> String? {
        switch (environment["CENTRAL_PASSWORD"], environment["CENTRAL_PASSWORD_FILE"]) {
        case (let password?, nil):
            return password
        case (nil, let path?):
            guard let data = FileManager.default.contents(atPath: path) else {
                throw MySQLError(code: 0, message: "cannot read CENTRAL_PASSWORD_FILE \(path)")
            }
            return String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init)
        case (nil, nil):
            return nil
        case (.some, .some):
            throw MySQLError(code: 0, message: "set CENTRAL_PASSWORD or CENTRAL_PASSWORD_FILE, not both")
        }
    }

    /// The URL without any secret: safe for logs and health output.
    public var description: String {
        var text = "mysql://\(user)@\(host):\(port)/\(database)"
        if let socket { text += "?socket=\(socket)" }
        return text
    }
}
