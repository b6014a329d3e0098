/// Why a head-office operation did not happen; the `central` tool maps cases to exit codes.
public enum CentralError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A malformed or out-of-range value.
    case invalidInput(String)
    /// No such event, category, node or file.
    case notFound(String)
    /// A rule refuses it (a proposal pending, a seat owned by another node, over capacity…).
    case rejected(code: String, message: String)

    /// The sentence for the operator.
    public var message: String {
        switch self {
        case .invalidInput(let text), .notFound(let text): text
        case .rejected(_, let text): text
        }
    }

    public var description: String { message }
}
