import Glibc

/// Pipes each message to a sendmail-compatible command (`sendmail -i -f FROM -- TO`), as Postfix,
/// Exim, OpenSMTPD and msmtp provide. Exit 0 is taken; the sysexits codes for a bad address or
/// message (64–68) are permanent; anything else (75 EX_TEMPFAIL included) is retried.
public struct SendmailTransport: MailTransport {
    public let path: String

    public init(path: String) { self.path = path }

    public func send(_ message: EmailMessage) throws {
        for mailbox in [message.from, message.to] where !mailbox.isValid {
            throw MailError("'\(mailbox.address.prefix(60))' is not an address to hand to \(path)", permanent: true)
        }
        let child = try ChildProcess(path, ["-i", "-f", message.from.address, "--", message.to.address])
        child.write(Array(message.rendered().utf8))
        let said = String(decoding: child.readErrors(), as: UTF8.self)
        let status = child.wait()
        guard status == 0 else {
            let detail = said.split(separator: "\n").first.map { ": \($0.prefix(200))" } ?? ""
            let how = status > 128 ? "was killed by signal \(status - 128)" : "exited \(status)"
            throw MailError("\(path) \(how)\(detail)", permanent: (64...68).contains(status))
        }
    }

    /// The command exists and this user may run it; nothing is piped to it.
    public func check(sender: MailAddress, timeout: Int) throws -> String {
        guard access(path, X_OK) == 0 else {
            throw MailError("cannot run \(path): \(String(cString: strerror(errno)))")
        }
        return "\(path) can be run"
    }

    public var description: String { "sendmail:\(path)" }
}

/// A command started with `posix_spawn`: its input and error output are pipes held here, its
/// output goes to /dev/null.
private final class ChildProcess {
    let pid: pid_t
    private var input: Int32
    private let errors: Int32

    init(_ path: String, _ arguments: [String]) throws {
        var inputPipe: [Int32] = [-1, -1]
        var errorPipe: [Int32] = [-1, -1]
        guard pipe(&inputPipe) == 0 else { throw MailError("cannot run \(path): no pipe (errno \(errno))") }
        guard pipe(&errorPipe) == 0 else {
            close(inputPipe[0])
            close(inputPipe[1])
            throw MailError("cannot run \(path): no pipe (errno \(errno))")
        }
        // No end leaks into the command but the two it is given as 0 and 2 (dup2 clears the flag
        // on those): with the input's writing end open there, it would never see its input end.
        for descriptor in inputPipe + errorPipe { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inputPipe[0], 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, errorPipe[1], 2)
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var child = pid_t()
        let code = posix_spawn(&child, path, &actions, nil, argv, environ)
        close(inputPipe[0])
        close(errorPipe[1])
        guard code == 0 else {
            close(inputPipe[1])
            close(errorPipe[0])
            throw MailError("cannot run \(path): \(String(cString: strerror(code)))")
        }
        pid = child
        input = inputPipe[1]
        errors = errorPipe[0]
    }

    /// Writes `bytes` to the command's input and closes it; a command that stops reading gets
    /// what it read (SIGPIPE is ignored, so the write fails instead).
    func write(_ bytes: [UInt8]) {
        var offset = 0
        bytes.withUnsafeBytes { buffer in
            while offset < buffer.count {
                let written = Glibc.write(input, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { break }
                offset += written
            }
        }
        close(input)
        input = -1
    }

    /// Everything the command writes to its error output, until it closes it.
    func readErrors() -> [UInt8] {
        var collected = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(errors, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            collected += buffer[0..<count]
        }
        return collected
    }

    /// The exit status, or 128 + the signal that ended the command.
    func wait() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    deinit {
        if input >= 0 { close(input) }
        close(errors)
    }
}
