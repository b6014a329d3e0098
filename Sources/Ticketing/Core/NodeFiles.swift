import AtomicFiles

#if canImport(Glibc)
    import Glibc
#endif

/// The files a node keeps beside its database, which no file a command writes for an operator
/// may take the place of (``OutputFile``). Named after the database `venue.sqlite`:
///
/// - `venue.sqlite` and every `venue.sqlite-*`: SQLite's `-wal`, `-shm` and `-journal`, and the
///   writers' queue `-writer`;
/// - `venue.sqlite.ticket-key` and what starts so (the rotation's `.pending`);
/// - `venue.sqlite.syncd.lock` and `.syncd-DEVICE-INODE.lock` (``InstanceLock``);
/// - what a restore or migration keeps or stages: `.replaced-*`, `.pre-v*`, `.restoring*`,
///   `.resizing*`.
public enum NodeFiles {
    /// The suffixes after the database's name that are the node's, each with every name it starts.
    static let suffixes = ["-", ".ticket-key", ".syncd.lock", ".replaced-", ".pre-v", ".restoring", ".resizing"]

    /// True when `name`, in the database's folder, is one of the files of the database named
    /// `databaseName`.
    public static func owns(_ name: String, databaseName: String) -> Bool {
        guard name.hasPrefix(databaseName) else {
            return name.hasPrefix(".syncd-") && name.hasSuffix(".lock")
        }
        let rest = name.dropFirst(databaseName.count)
        return rest.isEmpty || suffixes.contains { rest.hasPrefix($0) }
    }

    /// The node's files for a command that writes a file an operator names: the database and
    /// everything beside it, and `others` (the session file, the settings file).
    /// A database reached through a symlink is protected under both names: SQLite keeps its
    /// side files beside the file the link leads to.
    public static func protected(database: String, others: [String] = []) -> ProtectedFiles {
        var databases = [database]
        if let resolved = realpath(database, nil) {
            let real = String(cString: resolved)
            free(resolved)
            if real != database { databases.append(real) }
        }
        return ProtectedFiles(
            "one of the node's own files (its database, the files beside it, its signing key, a session or "
                + "settings file)",
            files: databases.flatMap { [$0, SigningKeys.keyFile(forDatabase: $0)] } + others,
            names: databases.map { path in
                let (folder, name) = split(path)
                return .init(in: folder) { owns($0, databaseName: name) }
            })
    }

    private static func split(_ path: String) -> (String, String) {
        let folder = AtomicFile.folder(of: path)
        return (folder.isEmpty ? "." : folder, path.split(separator: "/").last.map(String.init) ?? path)
    }
}
