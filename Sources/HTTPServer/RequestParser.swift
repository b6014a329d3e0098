/// Reads HTTP/1.1 requests (RFC 9112) out of the bytes a connection received, a piece at a time:
/// the head, then a body of `Content-Length` bytes or `chunked`. Strict where leniency lets two
/// parsers disagree about where a request ends (request smuggling): both `Content-Length` and
/// `Transfer-Encoding`, differing lengths, folded or space-padded field names are refused.
struct RequestParser {
    /// What reading the bytes so far gave.
    enum Step: Equatable {
        /// More bytes are needed.
        case needMore
        /// A whole request, and how many bytes of the buffer it took.
        case request(HTTPRequest, consumed: Int)
        case refused(HTTPRefusal)
    }

    private enum State {
        /// Looking for the end of the head; bytes before `scanned` hold none.
        case head(scanned: Int)
        case fixed(HTTPRequestHead, bodyStart: Int, length: Int)
        case chunked(HTTPRequestHead, ChunkedBody)
    }

    let maximumHeaderBytes: Int
    let maximumBodyBytes: Int
    /// The peer's address, for the requests read.
    let peer: String
    private var state = State.head(scanned: 0)
    /// True once a head asking `Expect: 100-continue` is read and its body is not: the connection
    /// says `100 Continue` once.
    private(set) var wantsContinue = false
    /// Header fields at most.
    static let maximumFields = 100

    init(maximumHeaderBytes: Int, maximumBodyBytes: Int, peer: String) {
        self.maximumHeaderBytes = maximumHeaderBytes
        self.maximumBodyBytes = maximumBodyBytes
        self.peer = peer
    }

    /// True while nothing of a request has been read.
    var isIdle: Bool {
        if case .head(0) = state { return true }
        return false
    }

    /// Starts on the next request; the caller has dropped the bytes the last one took.
    mutating func reset() {
        state = .head(scanned: 0)
        wantsContinue = false
    }

    /// Reads as far as `buffer` allows.
    mutating func parse(_ buffer: [UInt8]) -> Step {
        while true {
            switch state {
            case .head(let scanned):
                var start = 0
                while start + 1 < buffer.count, buffer[start] == 13, buffer[start + 1] == 10 { start += 2 }
                let from = max(scanned, start)
                let found = Self.headEnd(in: buffer, from: from)
                if Self.hasBareLineFeed(buffer, from: from, to: found.map { $0 + 4 } ?? buffer.count) {
                    return .refused(.badRequest("a line of the head ends without a carriage return"))
                }
                guard let end = found else {
                    if buffer.count - start > maximumHeaderBytes {
                        return .refused(.headersTooLarge(maximumHeaderBytes))
                    }
                    state = .head(scanned: max(start, buffer.count - 3))
                    return .needMore
                }
                guard end - start <= maximumHeaderBytes else { return .refused(.headersTooLarge(maximumHeaderBytes)) }
                let head: HTTPRequestHead
                let framing: Framing
                do {
                    head = try Self.head(Array(buffer[start..<end]), peer: peer)
                    framing = try Self.framing(of: head, maximumBodyBytes: maximumBodyBytes)
                } catch let refusal as HTTPRefusal {
                    return .refused(refusal)
                } catch {
                    return .refused(.badRequest("the request could not be read"))
                }
                let bodyStart = end + 4
                switch framing {
                case .none: return .request(HTTPRequest(head: head), consumed: bodyStart)
                case .length(let length): state = .fixed(head, bodyStart: bodyStart, length: length)
                case .chunked: state = .chunked(head, ChunkedBody(position: bodyStart))
                }
                wantsContinue = (head.headers["expect"] ?? "").lowercased() == "100-continue"
            case .fixed(let head, let bodyStart, let length):
                guard buffer.count >= bodyStart + length else { return .needMore }
                wantsContinue = false
                return .request(
                    HTTPRequest(head: head, body: Array(buffer[bodyStart..<bodyStart + length])),
                    consumed: bodyStart + length)
            case .chunked(let head, var body):
                let outcome = body.read(
                    buffer, maximumBodyBytes: maximumBodyBytes, maximumTrailerBytes: maximumHeaderBytes)
                switch outcome {
                case .needMore:
                    state = .chunked(head, body)
                    return .needMore
                case .refused(let refusal): return .refused(refusal)
                case .done:
                    wantsContinue = false
                    return .request(HTTPRequest(head: head, body: body.decoded), consumed: body.position)
                }
            }
        }
    }

    /// Where `\r\n\r\n` starts in `buffer`, at or after `from`.
    private static func headEnd(in buffer: [UInt8], from: Int) -> Int? {
        guard buffer.count >= 4 else { return nil }
        var index = from
        while index + 3 < buffer.count {
            if buffer[index] == 13, buffer[index + 1] == 10, buffer[index + 2] == 13, buffer[index + 3] == 10 {
                return index
            }
            index += 1
        }
        return nil
    }

    /// True when a line feed without a carriage return before it lies in `buffer[from..<to]`
    /// (HTTP/1.1 ends lines with CRLF; a bare LF would leave the request waiting for an end that
    /// never comes).
    private static func hasBareLineFeed(_ buffer: [UInt8], from: Int, to: Int) -> Bool {
        var index = from
        while index < to {
            if buffer[index] == 10, index == 0 || buffer[index - 1] != 13 { return true }
            index += 1
        }
        return false
    }

    /// How the body of a request is delimited.
    private enum Framing {
        case none
        case length(Int)
        case chunked
    }

    /// The request line and header fields of a head (without its final empty line).
    static func head(_ bytes: [UInt8], peer: String) throws -> HTTPRequestHead {
        var lines = [ArraySlice<UInt8>]()
        var lineStart = 0
        var index = 0
        while index < bytes.count {
            if bytes[index] == 13 {
                guard index + 1 < bytes.count, bytes[index + 1] == 10 else {
                    throw HTTPRefusal.badRequest("a carriage return in the head is not followed by a line feed")
                }
                lines.append(bytes[lineStart..<index])
                index += 2
                lineStart = index
                continue
            }
            if bytes[index] == 10 { throw HTTPRefusal.badRequest("a line of the head ends without a carriage return") }
            index += 1
        }
        lines.append(bytes[lineStart..<bytes.count])
        let requestLine = lines.removeFirst()
        let parts = requestLine.split(separator: 32, omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            throw HTTPRefusal.badRequest("the request line is not 'METHOD TARGET HTTP/1.1'")
        }
        guard !parts[0].isEmpty, parts[0].allSatisfy(isTokenCharacter) else {
            throw HTTPRefusal.badRequest("the method is not a token")
        }
        guard !parts[1].isEmpty, parts[1].allSatisfy({ $0 > 32 && $0 < 127 }) else {
            throw HTTPRefusal.badRequest("the request target is empty or holds spaces or control characters")
        }
        guard parts[1].first == UInt8(ascii: "/") || (parts[1].elementsEqual("*".utf8)) else {
            throw HTTPRefusal.badRequest("the request target must be a path starting with '/'")
        }
        let version = String(decoding: parts[2], as: UTF8.self)
        let minor: Int
        switch version {
        case "HTTP/1.1": minor = 1
        case "HTTP/1.0": minor = 0
        default:
            let digits = version.utf8.dropFirst(5)
            guard version.hasPrefix("HTTP/"), digits.count == 3,
                digits.allSatisfy({ $0 == 46 || (48...57).contains($0) })
            else { throw HTTPRefusal.badRequest("the request line does not end with an HTTP version") }
            throw HTTPRefusal(
                status: 505, code: "version_not_supported", message: "\(version) is not served; use HTTP/1.1")
        }
        guard lines.count <= maximumFields else {
            throw HTTPRefusal(
                status: 431, code: "headers_too_large", message: "more than \(maximumFields) header fields")
        }
        var headers = HTTPHeaders()
        for line in lines {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
                throw HTTPRefusal.badRequest("a header field has no ':'")
            }
            let name = line[line.startIndex..<colon]
            guard !name.isEmpty, name.allSatisfy(isTokenCharacter) else {
                throw HTTPRefusal.badRequest("a header field's name is empty, folded or holds spaces")
            }
            let value = line[(colon + 1)...]
            guard value.allSatisfy({ $0 == 9 || ($0 >= 32 && $0 != 127) }) else {
                throw HTTPRefusal.badRequest("a header field's value holds control characters")
            }
            headers.add(
                String(decoding: name, as: UTF8.self),
                String(decoding: value, as: UTF8.self).trimmingCharacters(in: " \t"))
        }
        let head = HTTPRequestHead(
            method: String(decoding: parts[0], as: UTF8.self), target: String(decoding: parts[1], as: UTF8.self),
            minorVersion: minor, headers: headers, peer: peer)
        if minor == 1, head.headers.values("host").count != 1 {
            throw HTTPRefusal.badRequest("an HTTP/1.1 request needs exactly one Host header field")
        }
        return head
    }

    private static func framing(of head: HTTPRequestHead, maximumBodyBytes: Int) throws -> Framing {
        let codings = head.headers.values("transfer-encoding")
        let lengths = head.headers.values("content-length")
        if !codings.isEmpty {
            guard lengths.isEmpty else {
                throw HTTPRefusal.badRequest("a request may not have both Content-Length and Transfer-Encoding")
            }
            guard head.minorVersion == 1 else {
                throw HTTPRefusal.badRequest("Transfer-Encoding needs HTTP/1.1")
            }
            let all = codings.joined(separator: ",").split(separator: ",").map {
                $0.trimmingCharacters(in: " \t").lowercased()
            }
            guard all == ["chunked"] else {
                throw HTTPRefusal(
                    status: 501, code: "not_implemented", message: "only the chunked transfer coding is understood")
            }
            return .chunked
        }
        guard let first = lengths.first else { return .none }
        let values = Set(lengths.joined(separator: ",").split(separator: ",").map { $0.trimmingCharacters(in: " \t") })
        guard values.count == 1, let text = values.first, !text.isEmpty, text.utf8.count <= 18,
            text.utf8.allSatisfy({ (48...57).contains($0) }), let length = Int(text)
        else {
            throw HTTPRefusal.badRequest("Content-Length '\(first)' is not one decimal number")
        }
        guard length <= maximumBodyBytes else { throw HTTPRefusal.bodyTooLarge(maximumBodyBytes) }
        return length == 0 ? .none : .length(length)
    }

    /// tchar (RFC 9110 §5.6.2).
    static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default: Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }
}

/// A chunked body being read (RFC 9112 §7.1): sizes in hex, each chunk followed by CRLF, a last
/// chunk of size 0, then trailer fields (skipped) and an empty line.
struct ChunkedBody {
    enum Outcome {
        case needMore
        case done
        case refused(HTTPRefusal)
    }

    private enum Phase {
        case size
        case data(remaining: Int)
        case dataEnd
        case trailers(bytes: Int)
    }

    /// Where reading stands in the connection's buffer.
    private(set) var position: Int
    private(set) var decoded = [UInt8]()
    private var phase = Phase.size
    /// A chunk-size line (with its extensions) longer than this is refused.
    static let maximumSizeLine = 1024

    init(position: Int) { self.position = position }

    mutating func read(_ buffer: [UInt8], maximumBodyBytes: Int, maximumTrailerBytes: Int) -> Outcome {
        while true {
            switch phase {
            case .size:
                guard let end = lineEnd(buffer) else {
                    return buffer.count - position > Self.maximumSizeLine
                        ? .refused(.badRequest("a chunk size line is too long")) : .needMore
                }
                let line = buffer[position..<end]
                let digits = line.prefix { Self.hexValue($0) != nil }
                let rest = line.dropFirst(digits.count)
                guard !digits.isEmpty, digits.count <= 8,
                    rest.isEmpty || rest.first == UInt8(ascii: ";")
                        || rest.first == 32 || rest.first == 9
                else { return .refused(.badRequest("a chunk size is not a hexadecimal number")) }
                let size = digits.reduce(0) { $0 * 16 + Self.hexValue($1)! }
                guard decoded.count + size <= maximumBodyBytes else { return .refused(.bodyTooLarge(maximumBodyBytes)) }
                position = end + 2
                phase = size == 0 ? .trailers(bytes: 0) : .data(remaining: size)
            case .data(let remaining):
                let available = min(remaining, buffer.count - position)
                decoded += buffer[position..<position + available]
                position += available
                guard available == remaining else {
                    phase = .data(remaining: remaining - available)
                    return .needMore
                }
                phase = .dataEnd
            case .dataEnd:
                guard buffer.count - position >= 2 else { return .needMore }
                guard buffer[position] == 13, buffer[position + 1] == 10 else {
                    return .refused(.badRequest("a chunk's data is not followed by CRLF"))
                }
                position += 2
                phase = .size
            case .trailers(let bytes):
                guard let end = lineEnd(buffer) else {
                    return bytes + buffer.count - position > maximumTrailerBytes
                        ? .refused(.headersTooLarge(maximumTrailerBytes)) : .needMore
                }
                let length = end - position
                position = end + 2
                if length == 0 { return .done }
                guard bytes + length <= maximumTrailerBytes else {
                    return .refused(.headersTooLarge(maximumTrailerBytes))
                }
                phase = .trailers(bytes: bytes + length + 2)
            }
        }
    }

    /// Where the CRLF ending the line at `position` starts.
    private func lineEnd(_ buffer: [UInt8]) -> Int? {
        var index = position
        while index + 1 < buffer.count {
            if buffer[index] == 13, buffer[index + 1] == 10 { return index }
            index += 1
        }
        return nil
    }

    private static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }
}
