import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What the kernel shows of processes and threads in /proc: where a thread sleeps, whether it is
/// gone. Tests wait on these events instead of sleeping and hoping the other side got there.
public enum ThreadState {
    /// futex(2)'s number on x86-64, as /proc/PID/task/TID/syscall shows it.
    public static let futexCall = 202
    /// poll(2)'s number on x86-64.
    public static let pollCall = 7

    /// The calling thread's id (gettid(2)), read from /proc/thread-self (`PID/task/TID`).
    public static func currentID() -> Int32 {
        let link = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self")) ?? ""
        return link.split(separator: "/").last.flatMap { Int32($0) } ?? 0
    }

    /// True once thread `thread` of this process has exited: the kernel has released what it held
    /// (robust mutexes included) before its entry leaves /proc.
    public static func isGone(_ thread: Int32) -> Bool {
        access("/proc/\(getpid())/task/\(thread)", F_OK) != 0
    }

    /// True when a thread of process `pid` (any of them, or only `thread`) is in the futex(2)
    /// call on `address` (any, when nil), an address in that process.
    public static func sleepsInFutex(_ pid: Int32, thread: Int32? = nil, at address: UInt? = nil) -> Bool {
        isInSystemCall(pid, thread: thread, futexCall, arguments: [address])
    }

    /// True when a thread of process `pid` (any of them, or only `thread`) is in the futex(2)
    /// call on byte `offset` of file `path`, through any mapping of that file in the process:
    /// each connection of a process maps a file such as `-writer` at an address of its own.
    public static func sleepsInFutex(_ pid: Int32, thread: Int32? = nil, onFile path: String, offset: Int) -> Bool {
        mappings(of: path, in: pid).contains { mapping in
            offset >= mapping.offset && offset < mapping.offset + mapping.length
                && sleepsInFutex(pid, thread: thread, at: mapping.start + UInt(offset - mapping.offset))
        }
    }

    /// True when a thread of process `pid` is in the futex(2) call on any byte of file `path`
    /// (a writer waiting in the `-writer` queue for its turn, whatever its ticket).
    public static func sleepsInFutex(_ pid: Int32, onFile path: String) -> Bool {
        !threadsInFutex(pid, onFile: path).isEmpty
    }

    /// The names (`comm`) of the threads of process `pid` in the futex(2) call on any byte of
    /// file `path`.
    public static func threadsInFutex(_ pid: Int32, onFile path: String) -> [String] {
        let mapped = mappings(of: path, in: pid)
        guard !mapped.isEmpty, let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")
        else { return [] }
        return tasks.compactMap { task in
            guard let line = procFile("/proc/\(pid)/task/\(task)/syscall") else { return nil }
            let fields = line.split(separator: " ")
            guard fields.count > 1, fields[0] == "\(futexCall)", let address = UInt(fields[1].dropFirst(2), radix: 16),
                mapped.contains(where: { address >= $0.start && address < $0.start + UInt($0.length) })
            else { return nil }
            return procFile("/proc/\(pid)/task/\(task)/comm")?.trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    /// True when a thread of process `pid` (any of them, or only `thread`) is in the system call
    /// numbered `call` (``futexCall``, ``pollCall``) with these leading `arguments` (nil: any value).
    public static func isInSystemCall(_ pid: Int32, thread: Int32? = nil, _ call: Int, arguments: [UInt?] = [])
        -> Bool
    {
        let tasks =
            thread.map { [String($0)] }
            ?? ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? [])
        return tasks.contains { task in
            guard let line = procFile("/proc/\(pid)/task/\(task)/syscall") else { return false }
            let fields = line.split(separator: " ")
            guard fields.count > arguments.count, fields[0] == "\(call)" else { return false }
            return arguments.indices.allSatisfy {
                arguments[$0] == nil || UInt(fields[$0 + 1].dropFirst(2), radix: 16) == arguments[$0]
            }
        }
    }

    /// The byte of file `path` that `address`, in this process, maps; nil when it maps none of it.
    public static func fileOffset(of address: UInt, in path: String) -> Int? {
        mappings(of: path, in: getpid()).first { address >= $0.start && address < $0.start + UInt($0.length) }
            .map { $0.offset + Int(address - $0.start) }
    }

    /// Every mapping of `path` in process `pid`: its start address, the offset in the file it
    /// begins at, and its length.
    public static func mappings(of path: String, in pid: Int32) -> [(start: UInt, offset: Int, length: Int)] {
        guard let maps = procFile("/proc/\(pid)/maps") else { return [] }
        let real = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        return maps.split(separator: "\n").filter { $0.hasSuffix(" " + real) }.compactMap { line in
            // 7f1c…000-7f1c…000 rw-s 00000000 fe:01 1234   /path
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            let range = fields[0].split(separator: "-")
            guard fields.count > 2, range.count == 2, let start = UInt(range[0], radix: 16),
                let end = UInt(range[1], radix: 16), let offset = Int(fields[2], radix: 16)
            else { return nil }
            return (start, offset, Int(end - start))
        }
    }

    /// A file of /proc read to its end (`String(contentsOfFile:)` stops at the size `stat` gives, 0 or a page).
    public static func procFile(_ path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        return String(decoding: (try? handle.readToEnd()) ?? Data(), as: UTF8.self)
    }
}
