// swift-tools-version:6.0
import PackageDescription

/// The venue edge ticketing node: a box office on one SQLite file, synced to central MySQL.
///
/// No package dependencies: Foundation, Dispatch, Swift Testing and the system C libraries only.
let package = Package(
    name: "VenueNode",
    products: [
        .executable(name: "boxoffice", targets: ["boxoffice"]),
        .executable(name: "venue-syncd", targets: ["venue-syncd"]),
        .executable(name: "central", targets: ["central"]),
    ],
    targets: [
        .systemLibrary(
            name: "CSQLite",
            path: "Sources/CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .systemLibrary(
            name: "CMySQL",
            path: "Sources/CMySQL",
            pkgConfig: "libmariadb",
            providers: [.apt(["libmariadb-dev"])]
        ),
        .systemLibrary(
            name: "COpenSSL",
            path: "Sources/COpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .systemLibrary(
            name: "CLibSSL",
            path: "Sources/CLibSSL",
            pkgConfig: "libssl",
            providers: [.apt(["libssl-dev"])]
        ),
        // Linux system calls Glibc's module map leaves out (epoll, eventfd, accept4).
        .systemLibrary(name: "CLinux", path: "Sources/CLinux"),
        .target(name: "EdgeCrypto", dependencies: ["COpenSSL"]),
        .target(name: "Mail", dependencies: ["CLibSSL", "AtomicFiles", "SyncWire"]),
        .target(name: "SQLValues"),
        // SQLite's unix VFS with each commit's WAL frames written in one call (EdgeStore opens through it).
        .target(name: "CBatchedWAL", dependencies: ["CSQLite"]),
        .target(name: "EdgeStore", dependencies: ["CSQLite", "CBatchedWAL", "EdgeCrypto", "SQLValues"]),
        .target(name: "MySQLClient", dependencies: ["CMySQL", "SQLValues", "AtomicFiles"]),
        .target(name: "SyncWire", dependencies: ["SQLValues", "EdgeCrypto"]),
        .target(name: "AtomicFiles"),
        // QR codes (written here), SVG, PDF, PNG and ESC/POS for printed tickets and emails.
        .target(name: "Printing"),
        .target(
            name: "Ticketing", dependencies: ["EdgeStore", "EdgeCrypto", "SyncWire", "AtomicFiles", "Mail", "Printing"]),
        .target(name: "CLIKit", dependencies: ["SyncWire"]),
        .target(name: "EventLog"),
        .executableTarget(
            name: "boxoffice", dependencies: ["Ticketing", "SyncWire", "CLIKit", "AtomicFiles", "Mail", "Printing"]),
        .executableTarget(
            name: "venue-syncd",
            dependencies: [
                "SyncEngine", "Central", "Ticketing", "MySQLClient", "CLIKit", "EventLog", "Mail", "HTTPServer",
            ]),
        // The `central` tool lives in `central-tool/`: a folder `central/` would be the same folder as the
        // `Central` library's on a case-insensitive file system (macOS's default).
        .executableTarget(
            name: "central",
            dependencies: ["Central", "Reconciliation", "MySQLClient", "SyncWire", "CLIKit", "AtomicFiles"],
            path: "Sources/central-tool"),
        .executableTarget(name: "EmbedFiles"),
        // The benchmark program: `swift run -c release bench SCENARIO [--quick]` (Scripts/bench runs them all).
        .executableTarget(
            name: "bench",
            dependencies: [
                "Ticketing", "CSQLite", "Central", "Reconciliation", "SyncEngine", "SyncWire", "MySQLClient",
            ]),
        .plugin(name: "EmbedCentralSchema", capability: .buildTool(), dependencies: ["EmbedFiles"]),
        .plugin(name: "EmbedNodeAPIFiles", capability: .buildTool(), dependencies: ["EmbedFiles"]),
        .target(
            name: "Central", dependencies: ["MySQLClient", "SyncWire", "EdgeCrypto"], plugins: ["EmbedCentralSchema"]),
        .target(name: "HTTPServer", dependencies: ["CLinux"]),
        .target(
            name: "NodeAPI", dependencies: ["Ticketing", "HTTPServer", "SyncWire", "Printing"],
            plugins: ["EmbedNodeAPIFiles"]),
        .target(name: "Reconciliation", dependencies: ["Central", "MySQLClient", "SyncWire", "EdgeCrypto"]),
        .target(
            name: "SyncEngine",
            dependencies: ["Ticketing", "EdgeStore", "SyncWire", "HTTPServer", "NodeAPI", "EventLog", "Mail"]),
        .target(name: "TestSupport", dependencies: ["SQLValues"], path: "Tests/TestSupport"),
        .testTarget(name: "EdgeCryptoTests", dependencies: ["EdgeCrypto"]),
        .testTarget(name: "SyncWireTests", dependencies: ["SyncWire", "TestSupport"]),
        .testTarget(name: "AtomicFilesTests", dependencies: ["AtomicFiles"]),
        .testTarget(name: "PrintingTests", dependencies: ["Printing", "TestSupport"]),
        .testTarget(name: "EdgeStoreTests", dependencies: ["EdgeStore", "SQLValues", "TestSupport"]),
        .testTarget(name: "MySQLClientTests", dependencies: ["MySQLClient", "TestSupport"]),
        .testTarget(name: "TicketingTests", dependencies: ["Ticketing", "SyncWire", "TestSupport", "Mail"]),
        .testTarget(name: "MailTests", dependencies: ["Mail", "TestSupport"]),
        .testTarget(name: "CLIKitTests", dependencies: ["CLIKit"]),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "TestSupport"]),
        .testTarget(
            name: "NodeAPITests",
            dependencies: ["NodeAPI", "SyncEngine", "TestSupport", "venue-syncd", "boxoffice"]),
        .testTarget(name: "BoxOfficeCLITests", dependencies: ["EdgeStore", "Ticketing", "TestSupport", "boxoffice"]),
        .testTarget(
            name: "SyncTests",
            dependencies: [
                "Ticketing", "Central", "Reconciliation", "SyncEngine", "MySQLClient", "EdgeStore", "SyncWire",
                "TestSupport", "venue-syncd", "central", "boxoffice",
            ]),
    ],
    swiftLanguageModes: [.v6]
)
