import CLibSSL
import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

/// One SMTP connection: a TCP socket with a deadline on every read and write, upgraded in place to
/// TLS (OpenSSL, TLS 1.2 or later, the peer's certificate and host name verified) by STARTTLS.
final class SMTPConnection {
    private let descriptor: Int32
    private var context: OpaquePointer?
    private var ssl: OpaquePointer?
    private var buffered = [UInt8]()

    /// Connects to `host:port` within `timeout` seconds, which also bounds each read and write.
    init(host: String, port: Int, timeout: Int) throws {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(host, String(port), &hints, &list)
        guard resolved == 0, let first = list else {
            throw MailError("cannot resolve \(host): \(String(cString: gai_strerror(resolved)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        var connected: Int32 = -1
        while let address = candidate, connected < 0 {
            let socketDescriptor = socket(
                address.pointee.ai_family, address.pointee.ai_socktype, address.pointee.ai_protocol)
            if socketDescriptor >= 0 {
                var deadline = timeval(tv_sec: timeout, tv_usec: 0)
                setsockopt(socketDescriptor, SOL_SOCKET, SO_RCVTIMEO, &deadline, socklen_t(MemoryLayout<timeval>.size))
                setsockopt(socketDescriptor, SOL_SOCKET, SO_SNDTIMEO, &deadline, socklen_t(MemoryLayout<timeval>.size))
                if connect(socketDescriptor, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0 {
                    connected = socketDescriptor
                } else {
                    lastError = String(cString: strerror(errno))
                    close(socketDescriptor)
                }
            }
            candidate = address.pointee.ai_next
        }
        guard connected >= 0 else { throw MailError("cannot connect to \(host):\(port): \(lastError)") }
        descriptor = connected
    }

    deinit {
        if let ssl {
            SSL_shutdown(ssl)
            SSL_free(ssl)
        }
        if let context { SSL_CTX_free(context) }
        close(descriptor)
    }

    /// Starts TLS on the open connection, verifying the certificate against `caFile` (else the
    /// system's store) and that it names `host`.
    func startTLS(host: String, caFile: String?) throws {
        guard let context = SSL_CTX_new(TLS_client_method()) else { throw MailError("TLS: \(Self.openSSLError())") }
        self.context = context
        clibssl_set_min_tls12(context)
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        let loaded =
            caFile.map { SSL_CTX_load_verify_locations(context, $0, nil) } ?? SSL_CTX_set_default_verify_paths(context)
        guard loaded == 1 else { throw MailError("TLS: cannot load CA certificates: \(Self.openSSLError())") }
        guard let ssl = SSL_new(context) else { throw MailError("TLS: \(Self.openSSLError())") }
        self.ssl = ssl
        SSL_set_fd(ssl, descriptor)
        var ipv4 = in_addr()
        if inet_pton(AF_INET, host, &ipv4) == 1 || host.contains(":") {
            X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host)
        } else {
            clibssl_set_server_name(ssl, host)
            SSL_set1_host(ssl, host)
        }
        guard SSL_connect(ssl) == 1 else {
            let verification = SSL_get_verify_result(ssl)
            let reason =
                verification != X509_V_OK
                ? String(cString: X509_verify_cert_error_string(verification)) : Self.openSSLError()
            throw MailError("TLS handshake with \(host) failed: \(reason)")
        }
    }

    var isEncrypted: Bool { ssl != nil }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { buffer -> Int in
                if let ssl { return Int(SSL_write(ssl, buffer.baseAddress, Int32(buffer.count))) }
                return Glibc.send(descriptor, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL))
            }
            guard count > 0 else { throw MailError("the connection broke while sending") }
            sent += count
        }
    }

    /// One line without its CRLF.
    func readLine() throws -> String {
        while true {
            if let end = buffered.firstIndex(of: 10) {
                let line = buffered[..<end]
                buffered.removeSubrange(...end)
                return String(decoding: line.last == 13 ? line.dropLast() : line, as: UTF8.self)
            }
            guard buffered.count < 65_536 else { throw MailError("the server sent a line of over 64 KB") }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let count = chunk.withUnsafeMutableBytes { buffer -> Int in
                if let ssl { return Int(SSL_read(ssl, buffer.baseAddress, Int32(buffer.count))) }
                return read(descriptor, buffer.baseAddress, buffer.count)
            }
            guard count > 0 else { throw MailError("the server closed the connection or did not answer in time") }
            buffered += chunk[..<count]
        }
    }

    /// A whole reply (`250-…` lines up to `250 …`): its code and text.
    func readReply() throws -> (code: Int, text: String) {
        var lines = [String]()
        while true {
            let line = try readLine()
            guard line.count >= 3, let code = Int(line.prefix(3)) else {
                throw MailError("the server's reply is not SMTP: '\(line.prefix(60))'")
            }
            lines.append(String(line.dropFirst(4)))
            if line.count == 3 || line[line.index(line.startIndex, offsetBy: 3)] == " " {
                return (code, lines.joined(separator: "\n"))
            }
        }
    }

    static func openSSLError() -> String {
        let code = ERR_get_error()
        guard code != 0 else { return "unknown error" }
        var buffer = [UInt8](repeating: 0, count: 256)
        buffer.withUnsafeMutableBufferPointer { pointer in
            pointer.withMemoryRebound(to: CChar.self) { ERR_error_string_n(code, $0.baseAddress, $0.count) }
        }
        return String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self)
    }
}
