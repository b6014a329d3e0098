import CLinux
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// An HTTP/1.1 server on POSIX sockets: one thread reads and writes every connection (epoll), and
/// pools of worker threads run the handler on requests read whole. A client that is slow to send
/// or to read holds a connection, never a worker; health checks have workers of their own
/// (``HTTPLane/probe``), so they are answered while every other worker waits on a slow sale;
/// password checks have workers of their own too (``HTTPLane/credentials``), so that a flood of
/// sign-ins delays no sale.
///
/// Limits: ``Configuration``. Keep-alive and pipelining (answers in order); `Content-Length` and
/// `chunked` bodies; `Expect: 100-continue`. At the connection limit the longest-idle kept-alive
/// connection is closed for a new one; with none idle, the new one takes one of the few connections
/// kept for probes (``Configuration/reservedForProbes``), else is answered 503. So does a new one
/// from an address at its own limit (``Configuration/maximumConnectionsPerClient``), else it is
/// answered 429: a prober on the same address as many clients is still answered. ``stop(grace:)``
/// closes the listening socket (new connections are refused), answers further requests on open
/// connections 503, lets every request already read finish, and returns once all are answered.
public final class HTTPServer: Sendable {
    /// The server's limits.
    public struct Configuration: Sendable {
        /// Connections open at once.
        public var maximumConnections = 1024
        /// Connections past ``maximumConnections`` for health checks alone (``HTTPLane/probe``): one
        /// let in over the limit is answered 503 unless its first request is a probe, and closed
        /// after that; the oldest of them still waiting for its request makes room for a newcomer.
        public var reservedForProbes = 16
        /// Connections open at once from one address, except ``unlimitedPeers``. One more is let in
        /// on a connection kept for probes (``reservedForProbes``): answered if it is a probe, else
        /// told 429.
        public var maximumConnectionsPerClient = 64
        /// Addresses the per-client limit does not apply to (a reverse proxy in front).
        public var unlimitedPeers: Set<String> = []
        /// Bytes of a request's head (request line and fields).
        public var maximumHeaderBytes = 16 * 1024
        /// Bytes of a request's body.
        public var maximumBodyBytes = 1024 * 1024
        /// Seconds from a request's first byte to its last: a client slower than that is answered
        /// 408 and cut off.
        public var requestDeadline: Double = 10
        /// Seconds a kept-alive connection may wait for its next request.
        public var idleTimeout: Double = 60
        /// Seconds to send an answer to a client that reads it slowly.
        public var writeDeadline: Double = 30
        /// Workers for ``HTTPLane/work`` and ``HTTPLane/probe``.
        public var workers = 16
        public var probeWorkers = 2
        /// Requests waiting for a worker, per lane, before the server answers 503 at once.
        public var maximumQueuedRequests = 256
        /// Workers for ``HTTPLane/credentials``: one per core, so that password hashes never hold
        /// more than the machine has, run at a lower priority than the other workers.
        public var credentialWorkers = max(1, ProcessInfo.processInfo.activeProcessorCount)
        /// Password checks waiting for a worker before the server answers 503 at once: a few per
        /// worker, so that a sign-in in a queue waits about a second at most.
        public var maximumQueuedCredentialChecks = 4 * max(1, ProcessInfo.processInfo.activeProcessorCount)

        public init() {}
    }

    /// The address and port actually bound (a port 0 asked for is the one the system chose).
    public let address: ListenAddress
    private let loop: EventLoop
    private let stopped = DispatchSemaphore(value: 0)
    private let started = Atomic<Bool>(false)

    /// Binds `address` at once, so that a busy port is reported at start-up; serves after ``start()``.
    public init(
        listening address: ListenAddress, configuration: Configuration = Configuration(), handler: any HTTPHandler
    ) throws {
        ListeningSocket.raiseDescriptorLimit(
            to: configuration.maximumConnections + configuration.reservedForProbes + 256)
        let (descriptor, port) = try ListeningSocket.open(address, backlog: 1024)
        self.address = ListenAddress(host: address.host, port: port)
        do {
            loop = try EventLoop(listener: descriptor, configuration: configuration, handler: handler)
        } catch {
            close(descriptor)
            throw error
        }
    }

    deinit { stop(grace: 0) }

    /// The port bound.
    public var port: Int { address.port }

    /// Starts serving on threads of its own.
    public func start() {
        guard !started.exchange(true, ordering: .relaxed) else { return }
        let thread = Thread { [loop, stopped] in
            loop.run()
            stopped.signal()
        }
        thread.name = "http"
        thread.start()
    }

    /// Stops as described above, waiting at most `grace` seconds for the requests in hand; then
    /// closes what is left. Returns once the server is stopped; harmless to call twice.
    public func stop(grace: Double = 10) {
        guard started.load(ordering: .relaxed) else { return loop.closeUnstarted() }
        guard loop.requestStop(grace: grace) else { return }
        stopped.wait()
        loop.stopWorkers()
    }
}

/// The thread that owns every connection: accepts, reads, hands requests to the lanes, writes
/// their answers, and enforces the deadlines.
final class EventLoop: @unchecked Sendable {
    // @unchecked: everything but `completions`, `stopRequest` and `wake` is touched by the loop's
    // thread only (and by `closeUnstarted` when that thread never ran).
    private let configuration: HTTPServer.Configuration
    private let handler: any HTTPHandler
    private var listener: Int32
    private let poll: Int32
    /// Written to wake the loop: an answer is ready, or a stop was asked for.
    private let wake: Int32
    private var connections: [Int32: Connection] = [:]
    private var perClient: [String: Int] = [:]
    /// Connections let in past the limit, for probes (``HTTPServer/Configuration/reservedForProbes``).
    private var forProbes = 0
    private var serial: UInt64 = 0
    private let completions = Mutex<[(ConnectionID, HTTPResponse)]>([])
    /// The grace period asked for, once a stop is.
    private let stopRequest = Mutex<Double?>(nil)
    private var stoppingUntil: UInt64?
    private var listenerPausedUntil: UInt64?
    private var lastSweep: UInt64 = 0
    private var lanes: [HTTPLane: WorkerLane] = [:]
    private let date = HTTPDate()

    init(listener: Int32, configuration: HTTPServer.Configuration, handler: any HTTPHandler) throws {
        self.listener = listener
        self.configuration = configuration
        self.handler = handler
        poll = epoll_create1(Int32(EPOLL_CLOEXEC))
        wake = eventfd(0, Int32(EFD_NONBLOCK) | Int32(EFD_CLOEXEC))
        guard poll >= 0, wake >= 0 else {
            throw HTTPServerError(message: "cannot set up epoll: \(String(cString: strerror(errno)))")
        }
        register(listener, events: EPOLLIN.rawValue, operation: EPOLL_CTL_ADD)
        register(wake, events: EPOLLIN.rawValue, operation: EPOLL_CTL_ADD)
        lanes[.work] = WorkerLane(
            name: "http.work", threads: configuration.workers, maximumQueued: configuration.maximumQueuedRequests
        ) { [unowned self] job in serve(job) }
        lanes[.credentials] = WorkerLane(
            name: "http.auth", threads: configuration.credentialWorkers,
            maximumQueued: configuration.maximumQueuedCredentialChecks, niceness: 10
        ) { [unowned self] job in serve(job) }
        lanes[.probe] = WorkerLane(
            name: "http.probe", threads: configuration.probeWorkers,
            maximumQueued: configuration.maximumQueuedRequests
        ) { [unowned self] job in serve(job) }
    }

    /// Runs a job on a worker and hands its answer to the loop.
    private func serve(_ job: WorkerLane.Job) {
        let response = handler.respond(to: job.request)
        completions.withLock { $0.append((job.connection, response)) }
        signalWake()
    }

    private func signalWake() {
        var one: UInt64 = 1
        _ = write(wake, &one, 8)
    }

    /// Asks the loop to stop; false when it was asked already.
    func requestStop(grace: Double) -> Bool {
        let first = stopRequest.withLock { request -> Bool in
            guard request == nil else { return false }
            request = grace
            return true
        }
        if first { signalWake() }
        return first
    }

    func stopWorkers() {
        for lane in lanes.values { lane.stop() }
    }

    /// Closes the sockets of a server that was never started.
    func closeUnstarted() {
        guard listener >= 0 else { return }
        close(listener)
        listener = -1
        stopWorkers()
        close(poll)
        close(wake)
    }

    func run() {
        var events = [epoll_event](repeating: epoll_event(), count: 256)
        while true {
            let count = epoll_wait(poll, &events, Int32(events.count), 100)
            let now = Monotonic.nanoseconds()
            for index in 0..<max(0, Int(count)) {
                let descriptor = Int32(truncatingIfNeeded: events[index].data.u64)
                let flags = events[index].events
                if descriptor == listener {
                    acceptAll(now: now)
                } else if descriptor == wake {
                    var value: UInt64 = 0
                    _ = read(wake, &value, 8)
                    deliverCompletions(now: now)
                } else if let connection = connections[descriptor] {
                    handle(connection, flags: flags, now: now)
                }
            }
            if stoppingUntil == nil, let grace = stopRequest.withLock({ $0 }) { beginStopping(grace: grace, now: now) }
            if now &- lastSweep >= 100_000_000 {
                lastSweep = now
                sweep(now: now)
            }
            if let until = stoppingUntil, connections.isEmpty || now >= until { break }
        }
        for connection in Array(connections.values) { closeConnection(connection) }
        if listener >= 0 { close(listener) }
        close(poll)
        close(wake)
    }

    // MARK: Accepting

    private func acceptAll(now: UInt64) {
        while listener >= 0 {
            guard let (descriptor, peer) = ListeningSocket.accept(listener) else {
                if errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM {
                    // Out of descriptors: stop listening for a moment instead of spinning.
                    register(listener, events: 0, operation: EPOLL_CTL_MOD)
                    listenerPausedUntil = now + 100_000_000
                }
                return
            }
            admit(descriptor, peer: peer, now: now)
        }
    }

    private func admit(_ descriptor: Int32, peer: String, now: UInt64) {
        // Set when the connection is let in for a probe only: what any other request on it is told.
        var othersRefused: HTTPRefusal?
        if connections.count - forProbes >= configuration.maximumConnections, !evictIdleConnection() {
            guard makeRoomForProbe() else { return refuseAtOnce(descriptor, .tooManyConnections) }
            othersRefused = .tooManyConnections
        }
        if othersRefused == nil, !configuration.unlimitedPeers.contains(peer),
            perClient[peer, default: 0] >= configuration.maximumConnectionsPerClient
        {
            guard makeRoomForProbe() else { return refuseAtOnce(descriptor, .clientConnections) }
            othersRefused = .clientConnections
        }
        serial += 1
        let connection = Connection(
            id: ConnectionID(descriptor: descriptor, serial: serial), peer: peer, now: now,
            maximumHeaderBytes: configuration.maximumHeaderBytes, maximumBodyBytes: configuration.maximumBodyBytes)
        if let othersRefused {
            connection.probesOnly = true
            connection.othersRefused = othersRefused
            forProbes += 1
        }
        connections[descriptor] = connection
        perClient[peer, default: 0] += 1
        listen(to: connection, events: EPOLLIN.rawValue | EPOLLRDHUP.rawValue, operation: EPOLL_CTL_ADD)
    }

    /// True when a connection kept for probes is free, or was made free by closing the oldest one
    /// still waiting for its request (a slow client holds nothing a probe needs).
    private func makeRoomForProbe() -> Bool {
        guard configuration.reservedForProbes > 0 else { return false }
        if forProbes < configuration.reservedForProbes { return true }
        let waiting = connections.values.filter { $0.probesOnly && $0.phase == .reading }
        guard let oldest = waiting.min(by: { $0.id.serial < $1.id.serial }) else { return false }
        closeConnection(oldest)
        return true
    }

    /// Closes the kept-alive connection idle the longest (one kept for probes makes room only for
    /// another probe); false when none is idle.
    private func evictIdleConnection() -> Bool {
        guard
            let oldest = connections.values.filter({ $0.isIdle && !$0.probesOnly }).min(by: {
                ($0.idleSince, $0.id.serial) < ($1.idleSince, $1.id.serial)
            })
        else {
            return false
        }
        closeConnection(oldest)
        return true
    }

    /// Answers a connection that is not taken on and closes it: as a request whose head has
    /// arrived whole already reads it (a refused probe gets the handler's probe refusal), without
    /// waiting for more.
    private func refuseAtOnce(_ descriptor: Int32, _ refusal: HTTPRefusal) {
        var buffer = [UInt8](repeating: 0, count: configuration.maximumHeaderBytes)
        let count = recv(descriptor, &buffer, buffer.count, Int32(MSG_DONTWAIT))
        var parser = RequestParser(
            maximumHeaderBytes: configuration.maximumHeaderBytes, maximumBodyBytes: 0, peer: "")
        var head: HTTPRequestHead?
        if count > 0, case .request(let request, _) = parser.parse(Array(buffer[0..<count])) { head = request.head }
        let bytes = handler.refusal(refusal, for: head).serialized(
            keepAlive: false, omitBody: head?.method == "HEAD", date: date.now())
        _ = bytes.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        close(descriptor)
    }

    // MARK: Reading and writing

    private func handle(_ connection: Connection, flags: UInt32, now: UInt64) {
        switch connection.phase {
        case .dispatched:
            // The client went away while a worker has its request: stop watching; the answer
            // closes the connection when it comes.
            if flags & (EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0 {
                connection.peerClosed = true
                listen(to: connection, events: 0, operation: EPOLL_CTL_DEL)
            }
        case .writing:
            if flags & (EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0 { return closeConnection(connection) }
            sendAnswer(connection, now: now)
        case .reading:
            if flags & (EPOLLIN.rawValue | EPOLLRDHUP.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0 {
                let wasEmpty = connection.input.isEmpty
                if !connection.receive(limit: 256 * 1024) { connection.peerClosed = true }
                if wasEmpty, !connection.input.isEmpty, connection.requestStartedAt == nil {
                    connection.requestStartedAt = now
                }
            }
            readRequests(connection, now: now)
        }
    }

    /// Turns what a reading connection holds into a request for a worker, a refusal, or a wait.
    private func readRequests(_ connection: Connection, now: UInt64) {
        guard connection.phase == .reading else { return }
        if connection.isIdle {
            if connection.peerClosed || stoppingUntil != nil { closeConnection(connection) }
            return
        }
        if connection.requestStartedAt == nil { connection.requestStartedAt = now }
        switch connection.parser.parse(connection.input) {
        case .needMore:
            if connection.peerClosed { return closeConnection(connection) }
            if connection.parser.wantsContinue, !connection.sentContinue {
                connection.sentContinue = true
                let bytes = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
                _ = bytes.withUnsafeBytes {
                    send(connection.id.descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
                }
            }
        case .refused(let refusal):
            answer(connection, handler.refusal(refusal, for: nil), head: nil, keepAlive: false, now: now)
        case .request(let request, let consumed):
            connection.input.removeFirst(consumed)
            connection.parser.reset()
            connection.sentContinue = false
            connection.requestStartedAt = connection.input.isEmpty ? nil : now
            let keepAlive = request.head.keepsAlive && !connection.peerClosed
            if stoppingUntil != nil {
                return answer(
                    connection, handler.refusal(.stopping, for: request.head), head: request.head, keepAlive: false,
                    now: now)
            }
            let chosen = handler.lane(for: request.head)
            if connection.probesOnly, chosen != .probe {
                return answer(
                    connection, handler.refusal(connection.othersRefused, for: request.head), head: request.head,
                    keepAlive: false, now: now)
            }
            if let refused = handler.admit(request.head, to: chosen) {
                return answer(connection, refused, head: request.head, keepAlive: keepAlive, now: now)
            }
            let lane = lanes[chosen]!
            connection.closeAfterWrite = !keepAlive || connection.probesOnly
            connection.phase = .dispatched
            listen(to: connection, events: 0, operation: EPOLL_CTL_MOD)
            if !lane.submit(WorkerLane.Job(connection: connection.id, request: request)) {
                connection.phase = .reading
                answer(
                    connection, handler.refusal(chosen == .credentials ? .credentialsBusy : .busy, for: request.head),
                    head: request.head, keepAlive: keepAlive, now: now)
            } else {
                pending[connection.id] = request.head
            }
        }
    }

    /// Heads of the requests the workers have, for HEAD's bodiless answers.
    private var pending: [ConnectionID: HTTPRequestHead] = [:]

    private func deliverCompletions(now: UInt64) {
        let done = completions.withLock { completions -> [(ConnectionID, HTTPResponse)] in
            defer { completions.removeAll(keepingCapacity: true) }
            return completions
        }
        for (id, response) in done {
            let head = pending.removeValue(forKey: id)
            guard let connection = connections[id.descriptor], connection.id == id, connection.phase == .dispatched
            else {
                continue
            }
            if connection.peerClosed {
                closeConnection(connection)
                continue
            }
            answer(
                connection, response, head: head, keepAlive: !connection.closeAfterWrite && stoppingUntil == nil,
                now: now)
        }
    }

    /// Starts sending `response` on `connection`.
    private func answer(
        _ connection: Connection, _ response: HTTPResponse, head: HTTPRequestHead?, keepAlive: Bool, now: UInt64
    ) {
        connection.phase = .writing
        connection.closeAfterWrite = !keepAlive
        connection.output = response.serialized(
            keepAlive: keepAlive, omitBody: head?.method == "HEAD", date: date.now())
        connection.sent = 0
        connection.writeStartedAt = now
        sendAnswer(connection, now: now)
    }

    private func sendAnswer(_ connection: Connection, now: UInt64) {
        switch connection.flush() {
        case nil: closeConnection(connection)
        case false?:
            if connection.events != EPOLLOUT.rawValue {
                listen(to: connection, events: EPOLLOUT.rawValue, operation: EPOLL_CTL_MOD)
            }
        case true?:
            if connection.closeAfterWrite || stoppingUntil != nil { return closeConnection(connection) }
            connection.output = []
            connection.sent = 0
            connection.phase = .reading
            connection.idleSince = now
            listen(to: connection, events: EPOLLIN.rawValue | EPOLLRDHUP.rawValue, operation: EPOLL_CTL_MOD)
            readRequests(connection, now: now)
        }
    }

    private func closeConnection(_ connection: Connection) {
        guard connections[connection.id.descriptor] === connection else { return }
        connections[connection.id.descriptor] = nil
        pending[connection.id] = nil
        if connection.probesOnly { forProbes -= 1 }
        if let count = perClient[connection.peer] {
            perClient[connection.peer] = count > 1 ? count - 1 : nil
        }
        close(connection.id.descriptor)
    }

    // MARK: Deadlines and stopping

    /// Enforces the deadlines: 408 for a request slower than its deadline, closing for a
    /// kept-alive connection idle too long or an answer not taken in time.
    private func sweep(now: UInt64) {
        if let until = listenerPausedUntil, now >= until, listener >= 0 {
            listenerPausedUntil = nil
            register(listener, events: EPOLLIN.rawValue, operation: EPOLL_CTL_MOD)
        }
        let requestDeadline = UInt64(configuration.requestDeadline * 1e9)
        let idleTimeout = UInt64(configuration.idleTimeout * 1e9)
        let writeDeadline = UInt64(configuration.writeDeadline * 1e9)
        for connection in Array(connections.values) {
            switch connection.phase {
            case .reading:
                if connection.isIdle {
                    if now &- connection.idleSince >= idleTimeout || stoppingUntil != nil {
                        closeConnection(connection)
                    }
                } else if let started = connection.requestStartedAt, now &- started >= requestDeadline {
                    answer(
                        connection, handler.refusal(.timedOut(configuration.requestDeadline), for: nil), head: nil,
                        keepAlive: false, now: now)
                }
            case .writing:
                if now &- connection.writeStartedAt >= writeDeadline { closeConnection(connection) }
            case .dispatched: break
            }
        }
    }

    private func beginStopping(grace: Double, now: UInt64) {
        stoppingUntil = now + UInt64(max(0, grace) * 1e9)
        if listener >= 0 {
            register(listener, events: 0, operation: EPOLL_CTL_DEL)
            close(listener)
            listener = -1
        }
        for connection in Array(connections.values) where connection.isIdle { closeConnection(connection) }
    }

    // MARK: epoll

    private func listen(to connection: Connection, events: UInt32, operation: Int32) {
        connection.events = events
        register(connection.id.descriptor, events: events, operation: operation)
    }

    private func register(_ descriptor: Int32, events: UInt32, operation: Int32) {
        var event = epoll_event()
        event.events = events
        event.data.u64 = UInt64(UInt32(bitPattern: descriptor))
        _ = epoll_ctl(poll, operation, descriptor, &event)
    }
}

/// CLOCK_MONOTONIC in nanoseconds: deadlines that a step of the wall clock does not move.
enum Monotonic {
    static func nanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }
}

/// The `Date` header's value (IMF-fixdate, RFC 9110 §5.6.7), made once a second.
final class HTTPDate {
    private var second = 0
    private var text = ""
    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    func now() -> String {
        var seconds = time(nil)
        guard seconds != second else { return text }
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        text =
            "\(Self.days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(Self.months[Int(parts.tm_mon)]) \(1900 + parts.tm_year) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
        second = seconds
        return text
    }
}
