import Synchronization

/// Where this process's connections report a commit they refused because files of their
/// database were deleted or replaced under them (``Database/detachedFiles()``): a long-running
/// process learns of it from whichever thread writes first, and starts again.
public enum DetachedCommits {
    /// Called with the database's name and its detached files.
    public typealias Handler = @Sendable (_ database: String, _ files: [Database.DetachedFile]) -> Void

    private static let handler = Mutex<Handler?>(nil)

    /// Has `handler` called at each refused commit (nil: nobody). It runs on the refusing
    /// connection's thread, inside SQLite's commit: it must not use a connection nor wait for one.
    public static func notify(_ handler: Handler?) { self.handler.withLock { $0 = handler } }

    static func report(database: String, files: [Database.DetachedFile]) {
        handler.withLock { $0 }?(database, files)
    }
}
