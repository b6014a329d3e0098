import CLinux
import CWriterQueue

#if canImport(Glibc)
    import Glibc
#endif

/// Opening a `-writer` file for a connection, making a new one, and telling what is wrong with one.
///
/// A queue file is used only when it is a regular file with one name, of the database's owner,
/// and, when other connections use it, whole (``WriterQueueLayout/size``) with a queue's header.
/// Anything else at its path is never written through (a second name of another file would have
/// that file overwritten): the caller puts a new file in its place (``replace(path:owner:reason:)``),
/// renamed over the name, which leaves whatever file had it untouched.
///
/// Its bytes are trusted only while a connection uses them: each connection holds a read lock on
/// ``WriterQueueLayout/inUseByte`` from its open to its close, which the kernel drops with its
/// process and which no boot keeps. The first connection to find none (it gets the write lock)
/// starts the queue afresh, so that nothing a power cut or a copied file left there (tickets
/// nobody will take) holds the writers up. A `flock` on the file is not one of these locks and
/// holds up nobody.
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
        let device: UInt64
        let inode: UInt64
    }

    /// Why the file at a queue's path cannot serve.
    struct Problem: Error {
        let reason: String
        /// True when a new file in its place would serve; false when none would help (the disk
        /// is full, the folder cannot be written).
        let replaceable: Bool
    }

    private static let size = WriterQueueLayout.size

    /// How long a connection waits for another to finish starting the queue afresh (a write lock
    /// on ``WriterQueueLayout/inUseByte`` held for microseconds): a longer hold is another program's.
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
        return .failure(Problem(reason: "its name kept going to other files while it was opened", replaceable: false))
    }

    private static func attachOnce(path: String, owner: Owner?) -> Result<Attached?, Problem> {
        var named = stat()
        let descriptor: Int32
        if lstat(path, &named) == 0 {
            if let problem = unsuitable(named, owner: owner) { return .failure(problem) }
            descriptor = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
            guard descriptor >= 0 else {
                let failure = errno
                if failure == ENOENT || failure == ELOOP { return .success(nil) }
                return .failure(
                    Problem(
                        reason: "cannot open it: \(errorText(failure))",
                        replaceable: failure == EACCES || failure == EPERM))
            }
        } else {
            guard errno == ENOENT else {
                return .failure(Problem(reason: "cannot look at it: \(errorText())", replaceable: false))
            }
            descriptor = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
            guard descriptor >= 0 else {
                if errno == EEXIST { return .success(nil) }
                return .failure(Problem(reason: "cannot make it: \(errorText())", replaceable: false))
            }
            give(descriptor, to: owner)
        }
        let attached = attach(descriptor, path: path, owner: owner)
        if case .success(nil) = attached { close(descriptor) }
        if case .failure = attached { close(descriptor) }
        return attached
    }

    /// Maps the queue in the file open at `descriptor` (named `path`) and marks it used by this
    /// connection; nil when the name went to another file meanwhile. The descriptor is the
    /// caller's to close unless attached.
    private static func attach(_ descriptor: Int32, path: String, owner: Owner?) -> Result<Attached?, Problem> {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            return .failure(Problem(reason: "cannot look at it: \(errorText())", replaceable: false))
        }
        if let problem = unsuitable(info, owner: owner) { return .failure(problem) }
        let alone = clinux_ofd_lock(descriptor, Int16(F_WRLCK), WriterQueueLayout.inUseByte) == 0
        if !alone, !waitForReadLock(descriptor) {
            let holder = lockHolder(of: info, byte: WriterQueueLayout.inUseByte, writeOnly: true) ?? "another program"
            return .failure(
                Problem(reason: "\(holder) kept a lock on it over \(setUpWait / 1_000_000_000) s", replaceable: true))
        }
        // Locked: the name must still be this file's, or the lock says nothing about the queue there.
        var named = stat()
        guard lstat(path, &named) == 0, named.st_dev == info.st_dev, named.st_ino == info.st_ino,
            fstat(descriptor, &info) == 0
        else { return .success(nil) }
        if info.st_size < size {
            guard alone else {
                return .failure(
                    Problem(
                        reason: "it is \(info.st_size) bytes, not \(size): it shrank while in use", replaceable: true))
            }
            // Blocks really allocated, so that a full disk fails here and not as SIGBUS in the mapping.
            let failure = posix_fallocate(descriptor, 0, off_t(size))
            guard failure == 0 else {
                return .failure(Problem(reason: "cannot make room for it: \(errorText(failure))", replaceable: false))
            }
        }
        guard let mapped = map(descriptor) else {
            return .failure(Problem(reason: "cannot map it: \(errorText())", replaceable: false))
        }
        let slot = writer_queue_guard(mapped, size)
        let layout = WriterQueueLayout(base: mapped)
        var problem: Problem?
        if slot < 0 {
            problem = Problem(reason: "too many queue files mapped in this process", replaceable: false)
        } else if alone {
            reset(layout)
            if clinux_ofd_lock(descriptor, Int16(F_RDLCK), WriterQueueLayout.inUseByte) != 0 {
                problem = Problem(reason: "cannot lock it: \(errorText())", replaceable: false)
            }
        } else if clinux_atomic_load64(layout.magic) != WriterQueueLayout.magic {
            problem = Problem(
                reason: "its header is not a writer queue's: it was written over while in use", replaceable: true)
        } else if clinux_atomic_load(layout.retired) != 0 {
            problem = Problem(reason: "it is a queue file that was replaced, put back while in use", replaceable: true)
        }
        if let problem {
            writer_queue_unguard(slot)
            munmap(mapped, size)
            return .failure(problem)
        }
        return .success(
            Attached(
                descriptor: descriptor, mapping: mapped, guardSlot: slot, device: UInt64(info.st_dev),
                inode: UInt64(info.st_ino)))
    }

    /// Makes a new queue file, started afresh and noting `reason`, and renames it over `path`:
    /// the connections of the file that had the name move to it at their next write, and that
    /// file, whatever it is, is left as it was.
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
        WriterQueueNote(reason: reason).store(in: layout)
        guard slot >= 0, clinux_ofd_lock(descriptor, Int16(F_RDLCK), WriterQueueLayout.inUseByte) == 0,
            rename(temporary, path) == 0
        else {
            let failure = errorText()
            writer_queue_unguard(slot)
            munmap(mapped, size)
            close(descriptor)
            unlink(temporary)
            return .failure(Problem(reason: "no new queue file could take its name: \(failure)", replaceable: false))
        }
        return .success(
            Attached(
                descriptor: descriptor, mapping: mapped, guardSlot: slot, device: UInt64(info.st_dev),
                inode: UInt64(info.st_ino)))
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

    /// Starts the queue afresh: a new generation, no ticket taken, every slot of the mailbox
    /// empty. The note is kept (the process that made the file may be gone before another uses
    /// it). Only for a queue no connection uses.
    private static func reset(_ layout: WriterQueueLayout) {
        layout.base.initializeMemory(as: UInt8.self, repeating: 0, count: WriterQueueLayout.noteMagicOffset)
        layout.generation.pointee = UInt64.random(in: 1...UInt64.max)
        // A slot's state and ticket (its first 8 bytes); written only where set, so that a queue
        // left clean costs no page written.
        for slot in 0..<Int(WriterQueueLayout.slotCount) where layout.slotHeader(slot).pointee != 0 {
            layout.slotHeader(slot).pointee = 0
        }
        clinux_atomic_store64(layout.magic, WriterQueueLayout.magic)
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

    /// A read lock on ``WriterQueueLayout/inUseByte``, waited for at most ``setUpWait`` (while
    /// another connection starts the queue afresh), on the monotonic clock.
    private static func waitForReadLock(_ descriptor: Int32) -> Bool {
        let deadline = BusyWait.monotonicNanoseconds() + setUpWait
        var pause: UInt32 = 50
        while clinux_ofd_lock(descriptor, Int16(F_RDLCK), WriterQueueLayout.inUseByte) != 0 {
            guard errno == EAGAIN || errno == EACCES || errno == EINTR, BusyWait.monotonicNanoseconds() < deadline
            else { return false }
            usleep(pause)
            pause = min(pause * 2, 10_000)
        }
        return true
    }

    /// The process holding a POSIX lock on byte `byte` of the file with status `info` (only a
    /// write lock when `writeOnly`), from `/proc/locks`; nil when none does (an open file
    /// description lock, whose holder `/proc/locks` does not name, or none at all).
    static func lockHolder(of info: stat, byte: Int64, writeOnly: Bool) -> String? {
        let device = UInt64(info.st_dev)
        let major = ((device >> 8) & 0xfff) | ((device >> 32) & ~0xfff)
        let minor = (device & 0xff) | ((device >> 12) & ~0xff)
        let file = hex(major) + ":" + hex(minor) + ":\(info.st_ino)"
        for line in (procFile("/proc/locks") ?? "").split(separator: "\n") {
            // "1: POSIX  ADVISORY  WRITE 1234 fe:00:5678 64 64" (a waiter's line has "->" after the number)
            let fields = line.split(separator: " ")
            guard fields.count >= 8, fields[1] == "POSIX", fields[5] == file, !writeOnly || fields[3] == "WRITE",
                let pid = Int32(fields[4]), let start = Int64(fields[6])
            else { continue }
            let end = fields[7] == "EOF" ? Int64.max : Int64(fields[7]) ?? -1
            if start <= byte, byte <= end { return describe(process: pid) }
        }
        return nil
    }

    /// "process 1234 (venue-syncd)": a process and its command name.
    static func describe(process: pid_t) -> String {
        let name = procFile("/proc/\(process)/comm").map { String($0.prefix { $0 != "\n" }) }
        return "process \(process)" + (name.map { " (\($0))" } ?? "")
    }

    /// "thread 1235 of process 1234 (venue-syncd)", or "thread 1235 (gone)".
    static func describe(thread: UInt32) -> String {
        guard let status = procFile("/proc/\(thread)/status"),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Tgid:") }),
            let process = pid_t(String(line.dropFirst(5).filter(\.isNumber)))
        else { return "thread \(thread) (gone)" }
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

    /// `value` in lower-case hexadecimal, at least two digits (as `/proc/locks` writes devices).
    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return digits.count < 2 ? "0" + digits : digits
    }

    private static func errorText(_ number: Int32 = errno) -> String { String(cString: strerror(number)) }
}
