import CLinux
import CWriterQueue

#if canImport(Glibc)
    import Glibc
#endif

/// Opening a `-writer` file for a connection, making a new one, and telling what is wrong with one.
///
/// A queue file is used only when it is a regular file with one name, of the database's owner,
/// whole (``WriterQueueLayout/size``) and with a queue's header. Anything else at its path is
/// never written through (a second name of another file would have that file overwritten): the
/// caller puts a new file in its place (``replace(path:owner:reason:)``), renamed over the name,
/// which leaves whatever file had it untouched.
///
/// Its bytes are trusted only while a connection uses them: each connection holds an open file
/// description lock on the file from its open to its close, which the kernel drops with its
/// process and which no boot keeps. The first connection to find none starts the queue afresh,
/// so that nothing a power cut or a copied file left there (a mutex locked by a writer long gone,
/// tickets nobody will take) can wedge the writers.
enum WriterQueueFile {
    /// Who owns the database: its queue file must be theirs.
    struct Owner {
        let user: uid_t
        let group: gid_t
    }

    /// A queue file open, mapped, guarded and marked used by this connection.
    struct Attached {
        let descriptor: Int32
        let mapping: UnsafeMutableRawPointer
        let guardSlot: Int32
        let info: stat
    }

    /// Why the file at a queue's path cannot serve.
    struct Problem: Error {
        let reason: String
        /// True when a new file in its place would serve; false when none would help (the disk
        /// is full, the folder cannot be written).
        let replaceable: Bool
    }

    private static let size = WriterQueueLayout.size

    /// How long a connection waits for another to finish setting the file up (`flock`), which
    /// takes microseconds: a longer hold is another program's.
    static let setUpWait: UInt64 = 1_000_000_000  // 1 s

    /// Opens (creating when missing) the queue file at `path` for a connection. A queue no other
    /// connection uses is started afresh, whatever its bytes say.
    static func attach(path: String, owner: Owner?) -> Result<Attached, Problem> {
        for _ in 0..<4 {
            switch attachOnce(path: path, owner: owner) {
            case .success(let attached?): return .success(attached)
            case .success(nil): continue  // the name went to another file meanwhile: look again
            case .failure(let problem): return .failure(problem)
            }
        }
        return Problem.failure("its name kept going to other files while it was opened", replaceable: false)
    }

    private static func attachOnce(path: String, owner: Owner?) -> Result<Attached?, Problem> {
        var named = stat()
        guard lstat(path, &named) == 0 else {
            guard errno == ENOENT else { return Problem.failure("cannot look at it: \(errorText())", replaceable: false) }
            let made = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
            guard made >= 0 else {
                return errno == EEXIST ? .success(nil) : Problem.failure("cannot make it: \(errorText())", replaceable: false)
            }
            give(made, to: owner)
            close(made)
            return .success(nil)  // opened below like any other
        }
        if let problem = unsuitable(named, owner: owner) { return .failure(problem) }
        let descriptor = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard descriptor >= 0 else {
            let failure = errno
            if failure == ENOENT || failure == ELOOP { return .success(nil) }
            return Problem.failure(
                "cannot open it: \(errorText(failure))", replaceable: failure == EACCES || failure == EPERM)
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_dev == named.st_dev, info.st_ino == named.st_ino else {
            close(descriptor)
            return .success(nil)
        }
        if let problem = unsuitable(info, owner: owner) {
            close(descriptor)
            return .failure(problem)
        }
        let attached = attach(descriptor, path: path)
        if case .success(nil) = attached { close(descriptor) }
        if case .failure = attached { close(descriptor) }
        return attached
    }

    /// Maps the queue in the file open at `descriptor` (named `path`) and marks it used by this
    /// connection (a read lock on its first byte, until the descriptor is closed); nil when the
    /// name went to another file meanwhile. The descriptor is the caller's to close unless attached.
    private static func attach(_ descriptor: Int32, path: String) -> Result<Attached?, Problem> {
        // One connection at a time sets the file up; the others wait here for a moment.
        guard lockForSetUp(descriptor) else {
            var info = stat()
            let holder = fstat(descriptor, &info) == 0 ? flockHolder(of: info) : nil
            return Problem.failure(
                "its lock (flock) was held for more than \(setUpWait / 1_000_000_000) s by "
                    + (holder ?? "another process"), replaceable: true)
        }
        defer { flock(descriptor, LOCK_UN) }
        var info = stat()
        var named = stat()
        guard fstat(descriptor, &info) == 0, lstat(path, &named) == 0, named.st_dev == info.st_dev,
            named.st_ino == info.st_ino
        else { return .success(nil) }
        if info.st_mode & 0o077 != 0 { fchmod(descriptor, 0o600) }
        // The write lock is had only when no connection holds its read lock: nobody uses the queue.
        let unused = clinux_ofd_lock(descriptor, Int16(F_WRLCK)) == 0
        if !unused, info.st_size < size {
            return Problem.failure("it is \(info.st_size) bytes, not \(size): it shrank while in use", replaceable: true)
        }
        // Blocks really allocated, so that a full disk fails here and not as SIGBUS in the mapping.
        if info.st_size < size {
            let failure = posix_fallocate(descriptor, 0, off_t(size))
            guard failure == 0 else {
                return Problem.failure("cannot make room for it: \(errorText(failure))", replaceable: false)
            }
        }
        guard let mapped = map(descriptor) else {
            return Problem.failure("cannot map it: \(errorText())", replaceable: false)
        }
        let slot = writer_queue_guard(mapped, size)
        let layout = WriterQueueLayout(base: mapped)
        if slot >= 0, unused { reset(layout) }
        let header = slot < 0 || unused ? nil : problem(with: layout)
        guard slot >= 0, header == nil, clinux_ofd_lock(descriptor, Int16(F_RDLCK)) == 0 else {
            writer_queue_unguard(slot)
            munmap(mapped, size)
            if let header { return header }
            return Problem.failure("cannot guard or lock it", replaceable: false)
        }
        return .success(Attached(descriptor: descriptor, mapping: mapped, guardSlot: slot, info: info))
    }

    /// Makes a new queue file, started afresh and noting `reason`, and renames it over `path`:
    /// the connections of the file that had the name move to it (``WriterTurnstile/retire()``),
    /// and that file, whatever it is, is left as it was.
    static func replace(path: String, owner: Owner?, reason: String) -> Result<Attached, Problem> {
        let temporary = path + ".new-" + String(UInt64.random(in: 1...UInt64.max), radix: 16)
        let descriptor = open(temporary, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else {
            return .failure(Problem(reason: "no new queue file could be made: \(errorText())", replaceable: false))
        }
        give(descriptor, to: owner)
        var info = stat()
        let allocated = posix_fallocate(descriptor, 0, off_t(size))
        guard allocated == 0, fstat(descriptor, &info) == 0, let mapped = map(descriptor) else {
            let failure = errorText(allocated == 0 ? errno : allocated)
            close(descriptor)
            unlink(temporary)
            return .failure(Problem(reason: "no new queue file could be made: \(failure)", replaceable: false))
        }
        let slot = writer_queue_guard(mapped, size)
        let layout = WriterQueueLayout(base: mapped)
        reset(layout)
        WriterQueueNote(kind: .replaced, reason: "\(reason); replaced by \(describe(process: getpid()))").store(
            in: layout)
        clinux_atomic_store(layout.noteSequence, 2)
        guard slot >= 0, clinux_ofd_lock(descriptor, Int16(F_RDLCK)) == 0, rename(temporary, path) == 0 else {
            let failure = errorText()
            writer_queue_unguard(slot)
            munmap(mapped, size)
            close(descriptor)
            unlink(temporary)
            return .failure(Problem(reason: "no new queue file could take its name: \(failure)", replaceable: false))
        }
        return .success(Attached(descriptor: descriptor, mapping: mapped, guardSlot: slot, info: info))
    }

    /// Why a file with status `info` cannot serve as a queue file, if it cannot.
    static func unsuitable(_ info: stat, owner: Owner?) -> Problem? {
        let type = info.st_mode & S_IFMT
        guard type == S_IFREG else {
            let kind =
                switch type {
                case S_IFDIR: "a directory"
                case S_IFLNK: "a symbolic link"
                case S_IFIFO: "a FIFO"
                case S_IFSOCK: "a socket"
                default: "a device"
                }
            return Problem(reason: "it is \(kind), not a regular file", replaceable: true)
        }
        if info.st_nlink > 1 {
            return Problem(
                reason: "it has \(info.st_nlink) names (hard links): writing it would change another file",
                replaceable: true)
        }
        if let owner, info.st_uid != owner.user {
            return Problem(
                reason: "it belongs to user \(info.st_uid), not to the database's owner (user \(owner.user))",
                replaceable: true)
        }
        return nil
    }

    /// What is wrong with the header of a queue some connection uses, if anything.
    private static func problem(with layout: WriterQueueLayout) -> Result<Attached?, Problem>? {
        if clinux_atomic_load(layout.retired) != 0 { return .success(nil) }  // replaced: its name is another's now
        guard clinux_atomic_load64(layout.turnMagic) == WriterQueueLayout.turnMagic,
            clinux_atomic_load64(layout.checkpointMagic) == WriterQueueLayout.checkpointMagic
        else { return Problem.failure("its header is not a writer queue's: it was written over", replaceable: true) }
        return nil
    }

    /// Starts the queue afresh: a new generation, both mutexes free, no ticket taken, every slot
    /// of the mailbox empty; the note is kept (the process that wrote it may be gone before
    /// another attaches). Only for a queue no connection uses.
    private static func reset(_ layout: WriterQueueLayout) {
        layout.base.initializeMemory(as: UInt8.self, repeating: 0, count: WriterQueueLayout.noteOffset)
        if layout.noteSequence.pointee & 1 != 0 { layout.noteSequence.pointee = 0 }  // half written
        initialize(layout.turnMutex)
        initialize(layout.checkpointMutex)
        layout.generation.pointee = UInt64.random(in: 1...UInt64.max)
        layout.turnMagic.pointee = WriterQueueLayout.turnMagic
        layout.checkpointMagic.pointee = WriterQueueLayout.checkpointMagic
        // A slot's state and ticket (its first 8 bytes); written only where set, so that a queue
        // left clean costs no page written.
        for slot in 0..<Int(WriterQueueLayout.slotCount) where layout.slotHeader(slot).pointee != 0 {
            layout.slotHeader(slot).pointee = 0
        }
    }

    /// Makes `mutex` robust and shared between processes.
    private static func initialize(_ mutex: UnsafeMutablePointer<pthread_mutex_t>) {
        var attributes = pthread_mutexattr_t()
        pthread_mutexattr_init(&attributes)
        pthread_mutexattr_setpshared(&attributes, Int32(PTHREAD_PROCESS_SHARED))
        pthread_mutexattr_setrobust(&attributes, Int32(PTHREAD_MUTEX_ROBUST))
        pthread_mutex_init(mutex, &attributes)
        pthread_mutexattr_destroy(&attributes)
    }

    private static func map(_ descriptor: Int32) -> UnsafeMutableRawPointer? {
        guard let mapped = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, descriptor, 0), mapped != MAP_FAILED
        else { return nil }
        return mapped
    }

    /// Gives a file this process made to the database's owner, as SQLite does its `-wal` and
    /// `-shm` when run by root.
    private static func give(_ descriptor: Int32, to owner: Owner?) {
        guard let owner, geteuid() == 0, owner.user != 0 else { return }
        fchown(descriptor, owner.user, owner.group)
    }

    /// `flock(LOCK_EX)` waited for at most ``setUpWait``, on the monotonic clock.
    private static func lockForSetUp(_ descriptor: Int32) -> Bool {
        let deadline = BusyWait.monotonicNanoseconds() + setUpWait
        var pause: UInt32 = 50
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR, BusyWait.monotonicNanoseconds() < deadline else {
                return false
            }
            usleep(pause)
            pause = min(pause * 2, 10_000)
        }
        return true
    }

    /// The process holding a `flock` on the file with status `info`, from `/proc/locks`.
    static func flockHolder(of info: stat) -> String? {
        let device = UInt64(info.st_dev)
        let major = ((device >> 8) & 0xfff) | ((device >> 32) & ~0xfff)
        let minor = (device & 0xff) | ((device >> 12) & ~0xff)
        let file = String(format2: major) + ":" + String(format2: minor) + ":\(info.st_ino)"
        for line in (procFile("/proc/locks") ?? "").split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count > 5, fields[1] == "FLOCK", fields[5] == file, let pid = Int32(fields[4]) else { continue }
            return describe(process: pid)
        }
        return nil
    }

    /// "process 1234 (venue-syncd)": a process and its command name.
    static func describe(process: pid_t) -> String {
        let name = procFile("/proc/\(process)/comm")?.trimmingNewline
        return "process \(process)" + (name.map { " (\($0))" } ?? "")
    }

    /// "thread 1235 of process 1234 (venue-syncd)", or "thread 1235, gone".
    static func describe(thread: UInt32) -> String {
        guard let status = procFile("/proc/\(thread)/status"),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Tgid:") }),
            let process = pid_t(String(line.dropFirst(5).filter(\.isNumber)))
        else { return "thread \(thread), gone" }
        return "thread \(thread) of \(describe(process: process))"
    }

    /// A small file of /proc read whole; nil when it cannot be read.
    private static func procFile(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(descriptor, &buffer, buffer.count)
            guard count > 0 else { break }
            bytes += buffer[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func errorText(_ number: Int32 = errno) -> String { String(cString: strerror(number)) }
}

extension WriterQueueFile.Problem {
    static func failure<T>(_ reason: String, replaceable: Bool) -> Result<T, Self> {
        .failure(Self(reason: reason, replaceable: replaceable))
    }
}

extension String {
    /// `value` in lower-case hexadecimal, at least two digits (as `/proc/locks` writes devices).
    fileprivate init(format2 value: UInt64) {
        let digits = String(value, radix: 16)
        self = digits.count < 2 ? "0" + digits : digits
    }
}

extension StringProtocol {
    fileprivate var trimmingNewline: String { String(self.prefix { $0 != "\n" }) }
}
