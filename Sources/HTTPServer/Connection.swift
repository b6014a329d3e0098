#if canImport(Glibc)
    import Glibc
#endif

/// A connection as the workers name it: its descriptor and a serial number, so that an answer for
/// a connection that closed meanwhile never reaches another that got the same descriptor.
struct ConnectionID: Sendable, Hashable {
    let descriptor: Int32
    let serial: UInt64
}

/// One client connection, owned by the event loop's thread: what it sent that is not yet a
/// request, where it stands, and what is left to send it.
final class Connection {
    enum Phase {
        /// Reading a request (or waiting, kept alive, for the next).
        case reading
        /// A worker has the request; nothing is read meanwhile.
        case dispatched
        /// Sending the answer.
        case writing
    }

    let id: ConnectionID
    let peer: String
    var phase = Phase.reading
    var input: [UInt8] = []
    var parser: RequestParser
    /// When the first byte of the request being read arrived (monotonic nanoseconds).
    var requestStartedAt: UInt64?
    /// Since when the connection waits for a request, with nothing of one read.
    var idleSince: UInt64
    var output: [UInt8] = []
    var sent = 0
    var writeStartedAt: UInt64 = 0
    /// Close once the answer is sent.
    var closeAfterWrite = false
    /// The client closed its side: no more requests will come.
    var peerClosed = false
    /// `100 Continue` was sent for the request being read.
    var sentContinue = false
    /// The epoll events the connection is registered for.
    var events: UInt32 = 0
    /// Let in past the connection limit or its address's, for one probe
    /// (``HTTPServer/Configuration/reservedForProbes``); any other request is told `othersRefused`.
    var probesOnly = false
    var othersRefused = HTTPRefusal.tooManyConnections

    init(id: ConnectionID, peer: String, now: UInt64, maximumHeaderBytes: Int, maximumBodyBytes: Int) {
        self.id = id
        self.peer = peer
        idleSince = now
        parser = RequestParser(maximumHeaderBytes: maximumHeaderBytes, maximumBodyBytes: maximumBodyBytes, peer: peer)
    }

    /// Nothing of a request has arrived: the connection may be closed without losing one.
    var isIdle: Bool { phase == .reading && input.isEmpty && parser.isIdle }

    /// Reads what the socket holds, up to `limit` bytes; false once the client closed or the
    /// socket failed.
    func receive(limit: Int) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        var total = 0
        while total < limit {
            let count = read(id.descriptor, &buffer, buffer.count)
            if count > 0 {
                input += buffer[0..<count]
                total += count
                continue
            }
            if count == 0 { return false }
            return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR
        }
        return true
    }

    /// Sends what is left of `output`; true once all of it is sent, false when the socket is full;
    /// nil when the client is gone.
    func flush() -> Bool? {
        while sent < output.count {
            let count = output[sent...].withUnsafeBytes {
                send(id.descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if count > 0 {
                sent += count
                continue
            }
            if count < 0, errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return false }
            return nil
        }
        return true
    }
}
