import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

/// A tool's settings file: `KEY=VALUE` lines, `#` comments and blank lines, keys named like the
/// environment variables they stand for. Settings resolve in one order everywhere: a flag, else
/// the environment variable, else the file, else the default.
///
/// Strict, like the command line: an unknown key (with a "did you mean"), a key given twice, a
/// line that is not `KEY=VALUE`, a secret written into the file (`CENTRAL_PASSWORD`: secrets come
/// only by `*_FILE`) or a file other users may write are errors naming the file and line.
public enum ConfigFile {
    /// The file's settings; `known` are the keys the tool reads.
    public static func load(_ path: String, known: [String]) throws -> [String: String] {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw UsageError("config file \(path): \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & 0o022 == 0 else {
            throw UsageError(
                "config file \(path) may be written by other users (mode \(String(info.st_mode & 0o777, radix: 8))); "
                    + "chmod go-w it: it says where secrets are read from")
        }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
        else {
            throw UsageError("config file \(path) cannot be read as UTF-8 text")
        }
        var settings = [String: String]()
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingSpaces
            guard !line.isEmpty, !line.hasPrefix("#") else { continue }
            let place = "config file \(path) line \(index + 1)"
            guard let equals = line.firstIndex(of: "=") else { throw UsageError("\(place): expected KEY=VALUE") }
            let key = line[..<equals].trimmingSpaces
            let value = line[line.index(after: equals)...].trimmingSpaces
            if Self.isSecret(key) {
                throw UsageError(
                    "\(place): \(key) is a secret; put it in a file of its own and set \(key)_FILE to its path")
            }
            guard known.contains(key) else {
                let suggestion = Suggestion.sentence(for: key, among: known)
                throw UsageError(
                    "\(place): unknown key '\(key.prefix(40))'" + (suggestion.isEmpty ? "" : "." + suggestion))
            }
            guard settings[key] == nil else { throw UsageError("\(place): \(key) is set twice") }
            settings[key] = value
        }
        return settings
    }

    /// The settings a tool runs with: the environment over the file at `path` (when given).
    public static func settings(
        file path: String?, known: [String], environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> [String: String] {
        guard let path, !path.isEmpty else { return environment }
        return try load(path, known: known).merging(environment.filter { !$0.value.isEmpty }) { _, fromEnvironment in
            fromEnvironment
        }
    }

    /// A key that would hold a secret itself rather than the path of a file holding it.
    static func isSecret(_ key: String) -> Bool {
        !key.hasSuffix("_FILE") && ["PASSWORD", "SECRET", "TOKEN", "KEY"].contains { key.hasSuffix($0) }
    }
}

extension ParsedArguments {
    /// The option's value from the command line, else from `settings[key]` (the environment or
    /// the config file), read and checked the same way; a bad setting names its key.
    /// `key` is a closed type of the tool's settings (`NodeSetting`, `CentralSetting`), so a
    /// misspelt key does not compile.
    public func value<Value>(
        _ declared: TypedOption<Value>, orSetting key: some RawRepresentable<String>, in settings: [String: String]
    ) throws -> Value? {
        if let given = try value(declared) { return given }
        guard let text = settings[key.rawValue], !text.isEmpty else { return nil }
        return try declared.read(text, named: key.rawValue)
    }
}
