/// The command line does not fit the command: printed with the usage line, exit code 2.
public struct UsageError: Error, Equatable, CustomStringConvertible {
    /// What is wrong, in one sentence.
    public let message: String

    /// A usage error with its message.
    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
