// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "TalkVault",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "talkvault", targets: ["talkvault"]),
        .executable(name: "line-simulator", targets: ["line-simulator"]),
        .library(name: "LINESimulator", targets: ["LINESimulator"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/yaslab/CSV.swift", from: "2.5.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
    ],
    targets: [
        // C libraries, each behind a small Swift wrapper of its own.
        .systemLibrary(
            name: "CTalkVaultSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .systemLibrary(
            name: "CTalkVaultZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .target(name: "SQLiteDB", dependencies: ["CTalkVaultSQLite"]),
        .target(name: "Gzip", dependencies: ["CTalkVaultZlib"]),
        // Zip archives from outside (the OA Manager's chat backups): every entry checked before one is read.
        .target(name: "Zip", dependencies: ["CTalkVaultZlib", "Gzip"]),
        // Files made durable: written under a temporary name, fsynced, published, the directory fsynced.
        .target(name: "DurableFile", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        // JSON: a strict RFC 8259 parser and the canonical writer that fingerprints and archive records use.
        .target(name: "JSON", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        // CSV text: RFC 4180 fields and records that open safely in spreadsheets (the export and `find --csv`).
        .target(name: "CSVText"),

        // Domain: kinds, chats, states, windows, deadlines. No I/O.
        .target(name: "TalkVaultDomain"),

        // Adapters.
        .target(name: "RetentionConfig", dependencies: [
            "TalkVaultDomain",
            .product(name: "Yams", package: "Yams"),
        ]),
        // LINE's webhooks: parsing into captured events, the request path's shape check, signatures.
        .target(name: "LINE", dependencies: [
            "JSON", "TalkVaultDomain",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // The OA Manager's chat backup CSV: its layout, read a row at a time with yaslab/CSV.swift.
        .target(name: "ChatBackup", dependencies: [
            "TalkVaultDomain",
            .product(name: "CSV", package: "CSV.swift"),
        ]),
        // The webhook inbox: acknowledged bodies in preallocated, checksummed segment files.
        .target(name: "InboxLog", dependencies: ["TalkVaultDomain", "Gzip", "DurableFile"]),
        // The store's protocols, one per concern, in domain types: what any ledger backend implements.
        .target(name: "Store", dependencies: ["TalkVaultDomain", "InboxLog", "ArchiveRecord"]),
        // The ledger: the SQLite backend of the store's protocols.
        .target(name: "Ledger", dependencies: ["TalkVaultDomain", "SQLiteDB", "InboxLog", "ArchiveRecord", "Store"]),
        // Intake: webhook bodies from the inbox log to the ledger, and what `serve` runs to get them there.
        .target(name: "Intake", dependencies: [
            "TalkVaultDomain", "LINE", "LINEClient", "InboxLog", "Ledger", "Store",
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The archive record: one message as a segment keeps it, versioned, and its one codec (docs/archive-record.md).
        .target(name: "ArchiveRecord", dependencies: ["JSON", "TalkVaultDomain"]),
        // Segments: tar entries in gzip members, manifest, hash chain, random-access reads.
        .target(name: "Archive", dependencies: [
            "Gzip", "DurableFile", "TalkVaultDomain",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // Purge and erasure: the keep rules, the unsent policy and the holds applied, every copy removed.
        .target(name: "Purging", dependencies: [
            "Archive", "DurableFile", "Export", "InboxLog", "Packing", "Store", "TalkVaultDomain",
        ]),
        // Packing the ledger into segments, recovery, verify and reindex.
        .target(name: "Packing", dependencies: [
            "Archive", "ArchiveRecord", "AuditTrail", "DurableFile", "Gzip", "Store", "TalkVaultDomain",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),

        // LINE's content API, streamed to disk.
        .target(name: "LINEClient", dependencies: [
            "TalkVaultDomain",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),

        // The relay: every acknowledged webhook body, from the inbox log, to the tools behind TalkVault.
        .target(name: "Relay", dependencies: [
            "InboxLog", "LINE", "Ledger", "Store", "TalkVaultDomain",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),

        // `talkvault sweep`: plan, download, record, pack.
        .target(name: "Sweep", dependencies: [
            "Archive", "Ledger", "Store", "LINEClient", "Packing", "ReadReceipts", "TalkVaultDomain",
            .product(name: "Logging", package: "swift-log"),
        ]),

        // `talkvault demo`: simulator, receiver and sweeps in one process.
        .target(name: "Demo", dependencies: [
            "Export", "Intake", "LINEClient", "LINESimulator", "Ledger", "Store", "Packing", "ReadReceipts", "Server", "Sweep", "TalkVaultDomain",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),

        // Read state: marking messages read (the CLI and HTTP share it) and telling LINE.
        .target(name: "ReadReceipts", dependencies: [
            "Ledger", "Store", "LINEClient", "TalkVaultDomain",
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // The weekly compliance export.
        .target(name: "Export", dependencies: ["ChatBackup", "CSVText", "DurableFile", "LINE", "Store", "TalkVaultDomain"]),
        // `find` and `show`: looking messages up in the ledger, and how they print.
        .target(name: "Lookup", dependencies: ["CSVText", "JSON", "LINE", "Store", "TalkVaultDomain"]),
        // `talkvault disclose`: everything held about one person, for a disclosure request.
        .target(name: "Disclosure", dependencies: [
            "CSVText", "DurableFile", "JSON", "LINE", "Lookup", "Packing", "Store", "TalkVaultDomain",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // The audit trail: an append-only, hash-chained log of who read or changed what.
        .target(name: "AuditTrail", dependencies: [
            "DurableFile", "JSON", "TalkVaultDomain", .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // `talkvault import`: the OA Manager's chat backups merged with what webhooks captured.
        .target(name: "BackupImport", dependencies: [
            "ChatBackup", "DurableFile", "JSON", "Store", "TalkVaultDomain", "Zip",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),

        // The console's users: names, roles and bcrypt password hashes in one file of the data dir.
        .target(name: "Accounts", dependencies: [
            "DurableFile", "TalkVaultDomain",
            .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
        ]),
        // The last run of each scheduled command (sweep, pack, export, verify, purge) and its outcome.
        .target(name: "LastRuns", dependencies: ["DurableFile", "TalkVaultDomain"]),
        // `talkvault console`: the archive in a browser, for compliance managers and support staff.
        .target(name: "Console", dependencies: [
            "Accounts", "AuditTrail", "DurableFile", "Export", "InboxLog", "Intake", "LastRuns", "Ledger", "LINE", "Lookup", "Packing", "ReadReceipts", "Relay", "Store",
            "TalkVaultDomain",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Mustache", package: "swift-mustache"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),

        // The webhook receiver behind `talkvault serve`.
        .target(name: "Server", dependencies: [
            "AuditTrail",
            "TalkVaultDomain", "LINE", "InboxLog", "Ledger", "Store", "Intake", "LINEClient", "ReadReceipts", "Relay",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
        ]),

        // The LINE platform simulator: LINE's real paths, headers and faults, for tests, the demo
        // and benchmarks.
        .target(name: "LINESimulator", dependencies: [
            "ChatBackup", "CSVText", "TalkVaultDomain", "JSON", "LINE", "Gzip",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // The archive benchmark's helper (scripts/bench-archive); not installed.
        .executableTarget(name: "archive-bench", dependencies: [
            "Archive", "DurableFile", "LINESimulator", "TalkVaultDomain", "Ledger", "Store", "Intake", "Packing",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "line-simulator", dependencies: [
            "LINESimulator", "TalkVaultDomain",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        .executableTarget(name: "talkvault", dependencies: [
            "TalkVaultDomain", "RetentionConfig", "InboxLog", "Ledger", "Store", "Intake", "LINE", "Server", "Archive", "Packing", "ReadReceipts", "Relay", "Sweep", "LINEClient", "Demo", "CSVText", "Export", "Lookup", "BackupImport", "AuditTrail", "Disclosure", "Purging", "Accounts", "Console", "LastRuns",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // Tests: one target per module under test, the end-to-end tests that run the built binaries in
        // EndToEndTests, and their shared helpers in small support targets (no product ships them).
        .target(name: "TestSupport", dependencies: [
            .product(name: "Logging", package: "swift-log"), .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
        ], path: "Tests/TestSupport"),
        .target(name: "LedgerTestSupport", dependencies: [
            "Intake", "Store", "LINE", "Ledger", "SQLiteDB", "TalkVaultDomain", "TestSupport"
        ], path: "Tests/LedgerTestSupport"),
        .target(name: "PackingTestSupport", dependencies: [
            "JSON", "Archive", "DurableFile", "LINE", "Ledger", "Store", "LedgerTestSupport", "Packing", "SQLiteDB", "TalkVaultDomain", "TestSupport",
            .product(name: "Crypto", package: "swift-crypto")
        ], path: "Tests/PackingTestSupport"),
        .target(name: "SweepTestSupport", dependencies: [
            "Intake", "Store", "LINEClient", "LINESimulator", "Ledger", "LedgerTestSupport", "Packing", "SQLiteDB", "Sweep", "TalkVaultDomain", "TestSupport",
            .product(name: "Logging", package: "swift-log")
        ], path: "Tests/SweepTestSupport"),
        .target(name: "ServerTestSupport", dependencies: [
            "Intake", "Store", "LINE", "LINESimulator", "Ledger", "LedgerTestSupport", "Server", "TalkVaultDomain", "TestSupport",
            .product(name: "AsyncHTTPClient", package: "async-http-client"), .product(name: "Hummingbird", package: "hummingbird"), .product(name: "HummingbirdTesting", package: "hummingbird"), .product(name: "HTTPTypes", package: "swift-http-types"), .product(name: "Logging", package: "swift-log"), .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
        ], path: "Tests/ServerTestSupport"),
        .testTarget(name: "SQLiteDBTests", dependencies: [
            "SQLiteDB", "TestSupport"
        ], path: "Tests/SQLiteDBTests"),
        .testTarget(name: "JSONTests", dependencies: [
            "JSON", "LINESimulator", "TestSupport", .product(name: "Crypto", package: "swift-crypto")
        ], path: "Tests/JSONTests"),
        .testTarget(name: "CSVTextTests", dependencies: [
            "CSVText", "TestSupport"
        ], path: "Tests/CSVTextTests"),
        .testTarget(name: "DurableFileTests", dependencies: [
            "DurableFile", "TestSupport"
        ], path: "Tests/DurableFileTests"),
        .testTarget(name: "GzipTests", dependencies: [
            "Gzip", "TestSupport"
        ], path: "Tests/GzipTests"),
        .testTarget(name: "AuditTrailTests", dependencies: [
            "AuditTrail", "DurableFile", "TalkVaultDomain", "TestSupport", .product(name: "Crypto", package: "swift-crypto")
        ], path: "Tests/AuditTrailTests"),
        .testTarget(name: "BackupImportTests", dependencies: [
            "BackupImport", "ChatBackup", "DurableFile", "Export", "Ledger", "LedgerTestSupport", "SQLiteDB", "Store", "TalkVaultDomain", "TestSupport",
            .product(name: "ZIPFoundation", package: "ZIPFoundation")
        ], path: "Tests/BackupImportTests"),
        .testTarget(name: "ZipTests", dependencies: [
            "CTalkVaultZlib", "Gzip", "Zip", "TestSupport",
            // Only to write valid zips as another tool would.
            .product(name: "ZIPFoundation", package: "ZIPFoundation")
        ], path: "Tests/ZipTests"),
        .testTarget(name: "TalkVaultDomainTests", dependencies: [
            "TalkVaultDomain"
        ], path: "Tests/TalkVaultDomainTests"),
        .testTarget(name: "RetentionConfigTests", dependencies: [
            "RetentionConfig", "TalkVaultDomain", "TestSupport"
        ], path: "Tests/RetentionConfigTests"),
        .testTarget(name: "LINETests", dependencies: [
            "JSON", "LINE", "LINESimulator", "LedgerTestSupport", "TalkVaultDomain", "TestSupport",
            .product(name: "Crypto", package: "swift-crypto")
        ], path: "Tests/LINETests"),
        .testTarget(name: "InboxLogTests", dependencies: [
            "InboxLog", "Intake", "Store", "Ledger", "LedgerTestSupport", "TalkVaultDomain", "TestSupport"
        ], path: "Tests/InboxLogTests"),
        .testTarget(name: "LedgerTests", dependencies: [
            "CTalkVaultSQLite", "Intake", "Store", "LINE", "Ledger", "LedgerTestSupport", "Lookup", "SQLiteDB", "TalkVaultDomain", "TestSupport"
        ], path: "Tests/LedgerTests"),
        .testTarget(name: "IntakeTests", dependencies: [
            "InboxLog", "Intake", "Store", "LINE", "LINESimulator", "Ledger", "LedgerTestSupport", "SQLiteDB", "Server", "TalkVaultDomain", "TestSupport",
            .product(name: "Logging", package: "swift-log")
        ], path: "Tests/IntakeTests"),
        .testTarget(name: "ArchiveTests", dependencies: [
            "Archive", "DurableFile", "TalkVaultDomain", "TestSupport"
        ], path: "Tests/ArchiveTests"),
        .testTarget(name: "PurgingTests", dependencies: [
            "Archive", "Gzip", "Ledger", "LedgerTestSupport", "Packing", "PackingTestSupport", "Purging", "Store", "TalkVaultDomain", "TestSupport",
        ], path: "Tests/PurgingTests"),
        .testTarget(name: "PackingTests", dependencies: [
            "ArchiveRecord", "AuditTrail", "JSON", "Archive", "DurableFile", "LINE", "Ledger", "Store", "LedgerTestSupport", "Packing", "PackingTestSupport", "SQLiteDB", "TalkVaultDomain", "TestSupport",
            .product(name: "Crypto", package: "swift-crypto")
        ], path: "Tests/PackingTests"),
        .testTarget(name: "LINESimulatorTests", dependencies: [
            "ChatBackup", "Gzip", "LINE", "LINESimulator", "TalkVaultDomain", "TestSupport", .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"), .product(name: "Crypto", package: "swift-crypto"), .product(name: "Hummingbird", package: "hummingbird"), .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio")
        ], path: "Tests/LINESimulatorTests"),
        .testTarget(name: "SweepTests", dependencies: [
            "Export", "Store", "Intake", "LINEClient", "LINESimulator", "Ledger", "LedgerTestSupport", "Packing", "PackingTestSupport", "SQLiteDB", "Sweep", "SweepTestSupport", "TalkVaultDomain", "TestSupport",
            .product(name: "AsyncHTTPClient", package: "async-http-client"), .product(name: "Crypto", package: "swift-crypto"), .product(name: "Logging", package: "swift-log"), .product(name: "NIOCore", package: "swift-nio")
        ], path: "Tests/SweepTests"),
        .testTarget(name: "ReadReceiptsTests", dependencies: [
            "LINE", "LINEClient", "LINESimulator", "Ledger", "Store", "LedgerTestSupport", "ReadReceipts", "Server", "Sweep", "SweepTestSupport", "TalkVaultDomain", "TestSupport",
            .product(name: "AsyncHTTPClient", package: "async-http-client"), .product(name: "Logging", package: "swift-log"), .product(name: "NIOCore", package: "swift-nio"), .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
        ], path: "Tests/ReadReceiptsTests"),
        .testTarget(name: "ExportTests", dependencies: [
            "Archive", "ChatBackup", "Export", "Store", "Ledger", "LedgerTestSupport", "TalkVaultDomain", "TestSupport",
            .product(name: "Crypto", package: "swift-crypto")
        ], path: "Tests/ExportTests"),
        .testTarget(name: "AccountsTests", dependencies: ["Accounts", "TestSupport"], path: "Tests/AccountsTests"),
        .testTarget(name: "LastRunsTests", dependencies: ["LastRuns", "TalkVaultDomain", "TestSupport"], path: "Tests/LastRunsTests"),
        .testTarget(name: "ConsoleTests", dependencies: [
            "Accounts", "AuditTrail", "Console", "DurableFile", "Export", "LastRuns", "Ledger", "LedgerTestSupport", "Packing", "PackingTestSupport", "Store", "TalkVaultDomain", "TestSupport",
            .product(name: "Crypto", package: "swift-crypto"), .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"), .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Logging", package: "swift-log"), .product(name: "NIOCore", package: "swift-nio")
        ], path: "Tests/ConsoleTests"),
        .testTarget(name: "ChatBackupTests", dependencies: ["ChatBackup", "TalkVaultDomain", "TestSupport"], path: "Tests/ChatBackupTests"),
        .testTarget(name: "LookupTests", dependencies: [
            "Ledger", "Store", "LedgerTestSupport", "Lookup", "Packing", "PackingTestSupport", "TalkVaultDomain", "TestSupport"
        ], path: "Tests/LookupTests"),
        .testTarget(name: "DisclosureTests", dependencies: [
            "CSVText", "Disclosure", "DurableFile", "JSON", "Ledger", "LedgerTestSupport", "Lookup", "Packing", "PackingTestSupport", "Store", "TalkVaultDomain", "TestSupport",
            .product(name: "Crypto", package: "swift-crypto")
        ], path: "Tests/DisclosureTests"),
        .testTarget(name: "ServerTests", dependencies: [
            "AuditTrail",
            "InboxLog", "Intake", "Store", "LINE", "LINEClient", "LINESimulator", "Ledger", "LedgerTestSupport", "ReadReceipts", "SQLiteDB", "Server", "ServerTestSupport", "Sweep", "TalkVaultDomain", "TestSupport",
            .product(name: "AsyncHTTPClient", package: "async-http-client"), .product(name: "Hummingbird", package: "hummingbird"), .product(name: "HTTPTypes", package: "swift-http-types"), .product(name: "Logging", package: "swift-log"), .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
        ], path: "Tests/ServerTests"),
        .testTarget(name: "RelayTests", dependencies: [
            "InboxLog", "Intake", "LINE", "Ledger", "LedgerTestSupport", "Relay", "Store", "TalkVaultDomain", "TestSupport",
            .product(name: "AsyncHTTPClient", package: "async-http-client"), .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"), .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
        ], path: "Tests/RelayTests"),
        // The module map of docs/architecture.md against Package.swift and the sources' imports.
        .testTarget(name: "ArchitectureTests", dependencies: ["TestSupport"], path: "Tests/ArchitectureTests"),
        .testTarget(name: "EndToEndTests", dependencies: [
            "ArchiveRecord", "Archive", "DurableFile", "Export", "Store", "InboxLog", "Intake", "LINE", "LINEClient", "LINESimulator", "Ledger", "LedgerTestSupport", "Lookup", "Packing", "PackingTestSupport", "SQLiteDB", "Server", "ServerTestSupport", "Sweep", "SweepTestSupport", "TalkVaultDomain", "TestSupport",
            .product(name: "AsyncHTTPClient", package: "async-http-client"), .product(name: "Crypto", package: "swift-crypto"), .product(name: "Hummingbird", package: "hummingbird"), .product(name: "Logging", package: "swift-log"), .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
        ], path: "Tests/EndToEndTests"),

    ],
    swiftLanguageModes: [.v6]
)
