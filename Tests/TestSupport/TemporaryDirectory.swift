import Foundation

/// A fresh directory under the system temp folder, removed when the value is released.
public final class TemporaryDirectory: Sendable {
    public let path: String

    public init() {
        path = NSTemporaryDirectory() + "venuenode-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// A path inside the directory.
    public func file(_ name: String) -> String { path + "/" + name }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Errors collected from concurrent workers.
public final class Failures: @unchecked Sendable {  // all access goes through `lock`
    private let lock = NSLock()
    private var collected: [String] = []
    public init() {}
    public func record(_ error: Error) { lock.withLock { collected.append("\(error)") } }
    public var errors: [String] { lock.withLock { collected } }
}
