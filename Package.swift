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
        // For tests only: an LD_PRELOAD library that steps a process's wall clock (Tests/ClockStep).
        .library(name: "ClockStep", type: .dynamic, targets: ["ClockStep"]),
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
        // The writer queue's guard against a `-writer` file truncated under its mapping (SIGBUS).
        .target(name: "CWriterQueue"),
        .target(
            name: "EdgeStore",
            dependencies: ["CSQLite", "CLinux", "CBatchedWAL", "CWriterQueue", "EdgeCrypto", "SQLValues"]),
        .target(name: "MySQLClient", dependencies: ["CMySQL", "SQLValues", "AtomicFiles"]),
        // Timestamps and clocks, time zones and local time, durations, money.
        .target(name: "TimeAndMoney", dependencies: ["SQLValues"]),
        .target(name: "SyncWire", dependencies: ["SQLValues", "TimeAndMoney", "EdgeCrypto"]),
        .target(name: "AtomicFiles"),
        // QR codes (written here), SVG, PDF, PNG and ESC/POS for printed tickets and emails.
        .target(name: "Printing"),
        .target(
            name: "Ticketing",
            dependencies: ["EdgeStore", "EdgeCrypto", "SyncWire", "AtomicFiles", "Mail", "SQLValues", "Printing"]),
        .target(name: "CLIKit", dependencies: ["SyncWire"]),
        .target(name: "EventLog"),
        .executableTarget(
            name: "boxoffice", dependencies: ["Ticketing", "SyncWire", "CLIKit", "AtomicFiles", "Mail", "Printing"]),
        .executableTarget(
            name: "venue-syncd",
            dependencies: [
                "SyncEngine", "CentralSync", "Ticketing", "MySQLClient", "CLIKit", "EventLog", "Mail", "HTTPServer",
            ]),
        // The `central` tool lives in `central-tool/`: a folder `central/` would be the same folder as the
        // `Central` library's on a case-insensitive file system (macOS's default).
        .executableTarget(
            name: "central",
            dependencies: [
                "Central", "Reconciliation", "MySQLClient", "SyncWire", "CLIKit", "AtomicFiles", "FleetMetrics",
                "HTTPServer", "EventLog",
            ],
            path: "Sources/central-tool"),
        .executableTarget(name: "EmbedFiles"),
        // The benchmark program: `swift run -c release bench SCENARIO [--quick]` (Scripts/bench runs them all).
        .executableTarget(
            name: "bench",
            dependencies: [
                "Ticketing", "CSQLite", "Central", "Reconciliation", "SyncEngine", "SyncWire", "MySQLClient",
                "EdgeCrypto",
            ]),
        .plugin(name: "EmbedCentralSchema", capability: .buildTool(), dependencies: ["EmbedFiles"]),
        .plugin(name: "EmbedNodeAPIFiles", capability: .buildTool(), dependencies: ["EmbedFiles"]),
        .target(
            name: "Central", dependencies: ["CentralSync", "MySQLClient", "SyncWire", "EdgeCrypto"],
            plugins: ["EmbedCentralSchema"]),
        // What a node's daemon needs of central: receiving pushes, the change feed, `MySQLCentral`.
        .target(name: "CentralSync", dependencies: ["MySQLClient", "SyncWire", "EdgeCrypto", "SQLValues"]),
        .target(name: "HTTPServer", dependencies: ["CLinux"]),
        // The fleet as central sees it, as Prometheus metrics (`central metrics`).
        .target(name: "FleetMetrics", dependencies: ["Central", "MySQLClient", "SyncWire", "HTTPServer"]),
        // The pages for tills and doors (`Pages/`) are embedded by the plugin, not compiled.
        .target(
            name: "NodeAPI", dependencies: ["Ticketing", "HTTPServer", "SyncWire", "Printing"], exclude: ["Pages"],
            plugins: ["EmbedNodeAPIFiles"]),
        .target(
            name: "Reconciliation", dependencies: ["Central", "MySQLClient", "SyncWire", "EdgeCrypto", "SQLValues"]),
        .target(
            name: "SyncEngine",
            dependencies: ["Ticketing", "EdgeStore", "SyncWire", "HTTPServer", "NodeAPI", "EventLog", "Mail", "CLinux"]),
        .target(name: "TestSupport", dependencies: ["SQLValues"], path: "Tests/TestSupport"),
        .target(name: "ClockStep", path: "Tests/ClockStep"),
        .testTarget(name: "EdgeCryptoTests", dependencies: ["EdgeCrypto"]),
        .testTarget(name: "SyncWireTests", dependencies: ["SyncWire", "TestSupport", "EdgeCrypto"]),
        .testTarget(name: "TimeAndMoneyTests", dependencies: ["TimeAndMoney", "TestSupport"]),
        .testTarget(name: "AtomicFilesTests", dependencies: ["AtomicFiles"]),
        .testTarget(name: "PrintingTests", dependencies: ["Printing", "TestSupport"]),
        .testTarget(name: "EdgeStoreTests", dependencies: ["EdgeStore", "SQLValues", "TestSupport"]),
        .testTarget(name: "MySQLClientTests", dependencies: ["MySQLClient", "TestSupport"]),
        .testTarget(
            name: "TicketingTests",
            dependencies: ["Ticketing", "SyncWire", "TestSupport", "Mail", "EdgeStore", "EdgeCrypto"]),
        .testTarget(name: "MailTests", dependencies: ["Mail", "TestSupport"]),
        .testTarget(name: "CLIKitTests", dependencies: ["CLIKit"]),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "TestSupport"]),
        .testTarget(
            name: "NodeAPITests",
            dependencies: ["NodeAPI", "SyncEngine", "TestSupport", "venue-syncd", "boxoffice"]),
        .testTarget(
            name: "BoxOfficeCLITests", dependencies: ["EdgeStore", "Ticketing", "SyncWire", "TestSupport", "boxoffice"]),
        .testTarget(
            name: "SyncTests",
            dependencies: [
                "Ticketing", "Central", "Reconciliation", "SyncEngine", "MySQLClient", "EdgeStore", "SyncWire",
                "HTTPServer", "NodeAPI", "TestSupport", "CLIKit", "venue-syncd", "central", "boxoffice",
            ]),
    ],
    swiftLanguageModes: [.v6]
)
