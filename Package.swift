// swift-tools-version:6.2
import PackageDescription

/// Every target of ours: Swift 6 language mode (complete concurrency checking) and no warnings.
let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .treatAllWarnings(as: .error),
]

/// The agent's release link, for its resident memory on every office server (docs/performance.md, "Agent
/// footprint"): lld with packed relative relocations (DT_RELR, glibc ≥ 2.36: a few kilobytes instead of 2.8 MB of
/// `.rela.dyn` read at every start) and no dynamic export of the program's own symbols (34,000 of them, which
/// `--static-swift-stdlib`'s `-export-dynamic` puts in `.dynsym`, `.dynstr` and `.gnu.hash` for the loader to page
/// through at start). The price: a crash backtrace of the stripped packaged program shows addresses only.
let agentReleaseLinking: [LinkerSetting] = [
    .unsafeFlags(["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs", "-Xlinker", "--no-export-dynamic"],
                 .when(configuration: .release)),
]

let package = Package(
    name: "sansang",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "sansang-agent", targets: ["sansang-agent"]),
        .executable(name: "sansang-collector", targets: ["sansang-collector"]),
        .executable(name: "sansang", targets: ["sansang"]),
        .executable(name: "sansang-lab", targets: ["sansang-lab"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        // HTTP client and server, services and signals, logs, metrics, TLS, token hashes, SQLite.
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.20.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),  // LogHandler.log(event:)
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.65.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.27.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.20.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.0.0"),
        // X.509 for `sansang-collector tls init` (a private CA and a server certificate) and certificate fingerprints.
        .package(url: "https://github.com/apple/swift-certificates", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.0.0"),
        .package(url: "https://github.com/adam-fowler/compress-nio", from: "1.0.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        // The PostgreSQL store (replicas sharing one database; docs/scale-out.md).
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.0"),
    ],
    targets: [
        // C libraries, imported through a shim header each (see docs/architecture.md).
        .systemLibrary(name: "CPcap", pkgConfig: "libpcap", providers: [.apt(["libpcap-dev"])]),
        .systemLibrary(name: "CNetSNMP", pkgConfig: "netsnmp", providers: [.apt(["libsnmp-dev"])]),
        .systemLibrary(name: "CLinuxNet"),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CTCPInfo"),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CCairo", pkgConfig: "cairo", providers: [.apt(["libcairo2-dev"])]),
        .systemLibrary(name: "CMalloc"),

        // The systems toolkit: the blocking-call thread pool and the dedicated-thread actor executor, withDeadline,
        // durable files (write, fsync, rename, fsync the directory), the backoff, Duration conversions.
        .target(name: "SystemSupport", swiftSettings: strict),

        // Safe Swift wrappers: one owner per C handle, blocking calls on dedicated threads.
        .target(name: "PacketCapture", dependencies: ["CPcap"], swiftSettings: strict),
        .target(name: "SNMP", dependencies: ["CNetSNMP", "SNMPTypes", "SystemSupport"], swiftSettings: strict),
        // E-mail for the collector: MIME rendering (pure), SMTP through libcurl, a durable outbox and its delivery service.
        .target(name: "Mail", dependencies: [
            "CCurl", "SystemSupport", "YAMLConfig", .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], swiftSettings: strict),

        // Pure logic, no I/O.
        .target(name: "LLDP", swiftSettings: strict),
        // SNMP values without libnetsnmp: OIDs, variable bindings, errors, session and notification-target settings
        // and their YAML keys. `SNMP` re-exports it.
        .target(name: "SNMPTypes", dependencies: ["YAMLConfig"], swiftSettings: strict),
        .target(name: "Presentation", dependencies: ["ReadinessModel"], swiftSettings: strict),
        // The JSON bodies of the collector's HTTP API, shared by collector, agent and NOC client.
        .target(name: "SansangAPI", dependencies: ["ReadinessModel"], swiftSettings: strict),
        // SansangVersion.current is generated from the VERSION file by the VersionFile plugin.
        .target(name: "ReadinessModel", swiftSettings: strict, plugins: ["VersionFile"]),
        // SANSANG-READINESS-MIB (mibs/): readiness notifications to SNMP variable bindings and back.
        .target(name: "ReadinessMIB", dependencies: ["ReadinessModel", "SNMPTypes"], swiftSettings: strict),
        // Sending readiness notifications (queued, retried until acknowledged) and their YAML keys; agent and collector.
        .target(name: "SNMPReporting", dependencies: [
            "SNMP", "SNMPTypes", "ReadinessMIB", "ReadinessModel", "SystemSupport", "YAMLConfig", .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: strict),

        // Alert rules, routes and silences (alerts/*.yaml) and the alert state machine: pure.
        .target(name: "Alerting", dependencies: [
            "ReadinessModel", "Presentation", "SansangAPI", "YAMLConfig", "SNMPTypes",
            .product(name: "Mustache", package: "swift-mustache"),
        ], swiftSettings: strict),
        // The weekly readiness summary for leadership: the summary and its HTML/text/CSV renderers (pure)…
        .target(name: "WeeklyReport", dependencies: ["ReadinessModel", "Presentation", "YAMLConfig"], swiftSettings: strict),
        // …and its PNG chart, drawn with cairo.
        .target(name: "WeeklyReportChart", dependencies: ["WeeklyReport", "Presentation", "CCairo"], swiftSettings: strict),

        // YAML files read by hand, so that every error names file, line, column and field.
        .target(name: "YAMLConfig", dependencies: [.product(name: "Yams", package: "Yams")], swiftSettings: strict),
        // Inventory files (YAML) → model.
        .target(name: "Inventory", dependencies: [
            "ReadinessModel", "YAMLConfig", .product(name: "Yams", package: "Yams"),
        ], swiftSettings: strict),

        // The province lab (docs/lab.md): its file, address plan, lab inventory and self-check. Pure.
        .target(name: "LabModel", dependencies: [
            "ReadinessModel", "YAMLConfig", .product(name: "Yams", package: "Yams"),
        ], swiftSettings: strict),

        // The agent's evidence gatherers, and the field check that combines them.
        .target(name: "AgentProbes", dependencies: ["ReadinessModel", "CLinuxNet", "SNMP", "PacketCapture", "LLDP", "SystemSupport"], swiftSettings: strict),
        .target(name: "FieldCheck", dependencies: ["ReadinessModel", "AgentProbes", "Inventory", "Presentation", "ServiceChecks"], swiftSettings: strict),
        // Service checks (dns, tcp, tls, http/https, icmp, ntp): one probe per kind, run concurrently and bounded.
        .target(name: "ServiceChecks", dependencies: [
            "ReadinessModel", "SystemSupport", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOTLS", package: "swift-nio"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ], swiftSettings: strict),

        // iperf3-protocol throughput client (blocking sockets on dedicated threads) and its window policy.
        .target(name: "Throughput", dependencies: ["ReadinessModel", "CTCPInfo", "SystemSupport"], swiftSettings: strict),

        // The NOC's client of the collector API.
        // The one HTTP client wrapper of the collector's API (URLs from SansangAPI routes, bearer token, size limits)
        // and its one error, HTTPResponseError; used by the NOC client and the agent.
        .target(name: "APIClient", dependencies: [
            "ReadinessModel", "SansangAPI", "SystemSupport", .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
        ], swiftSettings: strict),
        .target(name: "NOCClient", dependencies: [
            "APIClient", "ReadinessModel", "SansangAPI", .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
        ], swiftSettings: strict),
        // Certificates: a private CA and server certificate (`tls init`), fingerprints, the CA an agent pins.
        .target(name: "CertificateTools", dependencies: [
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
        ], swiftSettings: strict),
        // The agent's durable report spool (record format pure; file I/O at the edge) and its daemon.
        .target(name: "Spool", dependencies: ["ReadinessModel", "SansangAPI", "CZlib", "SystemSupport"], swiftSettings: strict),
        .target(name: "AgentDaemon", dependencies: [
            "Spool", "ReadinessModel", "SansangAPI", "APIClient", "AgentProbes", "SNMP", "YAMLConfig", "ReadinessMIB", "SNMPReporting",
            "ServiceChecks", "Throughput", "CertificateTools", "SystemSupport", "CMalloc",
            .product(name: "Yams", package: "Yams"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOFoundationCompat", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOTLS", package: "swift-nio"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "CompressNIO", package: "compress-nio"),
        ], swiftSettings: strict),
        // Collector: store behind one protocol (SQLite today), the backend the HTTP layer calls, the HTTP layer.
        .target(name: "CollectorStore", dependencies: [
            "ReadinessModel", "SansangAPI", "Alerting", .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Crypto", package: "swift-crypto"),
        ], swiftSettings: strict),
        // The PostgreSQL store behind the same protocols, and the alert leader's advisory lock (docs/scale-out.md).
        .target(name: "CollectorStorePostgres", dependencies: [
            "CollectorStore", "CollectorCore", "ReadinessModel", "SansangAPI", "Alerting", "SystemSupport",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "GRDB", package: "GRDB.swift"),  // migrate --from sqlite: reads the SQLite file
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], swiftSettings: strict),
        .target(name: "CollectorCore", dependencies: [
            "CollectorStore", "ReadinessModel", "SansangAPI", "Inventory", "YAMLConfig", "SNMP", "ReadinessMIB", "SNMPReporting",
            "Mail", "Presentation", "SystemSupport", "Alerting", "WeeklyReport",
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Crypto", package: "swift-crypto"),
        ], swiftSettings: strict),
        // The collector's SNMP notification receiver (notifications → site events) and forwarding to NOC managers.
        .target(name: "CollectorSNMP", dependencies: [
            "CollectorCore", "SNMP", "SNMPReporting", "ReadinessMIB", "ReadinessModel", "SansangAPI", "Inventory",
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
        ], swiftSettings: strict),
        // The alert engine (rules on every office, states and the notification log in the store) and delivery to
        // receivers: webhook, Alertmanager, SNMP, e-mail.
        .target(name: "CollectorAlerts", dependencies: [
            "Alerting", "CollectorCore", "CollectorStore", "ReadinessModel", "ReadinessMIB", "SNMP", "SNMPReporting", "SansangAPI",
            "Presentation", "YAMLConfig", "Mail", "SystemSupport",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOFoundationCompat", package: "swift-nio"),
        ], swiftSettings: strict),
        // The weekly readiness summary from the collector's database, its files and its mail.
        .target(name: "CollectorReports", dependencies: [
            "CollectorCore", "CollectorStore", "WeeklyReport", "WeeklyReportChart", "Mail", "Presentation", "ReadinessModel",
        ], swiftSettings: strict),
        .target(name: "CollectorHTTP", dependencies: [
            "CollectorCore", "CollectorAlerts", "CollectorReports", "WeeklyReport", "WeeklyReportChart", "SansangAPI", "ReadinessModel",
            "Presentation", "CertificateTools",
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "HummingbirdTLS", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "CompressNIO", package: "compress-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
        ], resources: [.copy("openapi.yaml")], swiftSettings: strict),
        // The NOC dashboard (docs/dashboard.md): pages' view models (pure), Mustache templates, embedded assets, users
        // and sessions (bcrypt from hummingbird-auth), live updates over Server-Sent Events; mounted on CollectorHTTP's router.
        .target(name: "CollectorDashboard", dependencies: [
            "CollectorHTTP", "CollectorCore", "CollectorStore", "CollectorAlerts", "CollectorReports", "WeeklyReport", "WeeklyReportChart",
            "SansangAPI", "ReadinessModel", "Presentation",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Mustache", package: "swift-mustache"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "CompressNIO", package: "compress-nio"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: strict),

        // The running collector: every service of `sansang-collector serve`, assembled from its configuration.
        .target(name: "CollectorDaemon", dependencies: [
            "CollectorCore", "CollectorStore", "CollectorHTTP", "CollectorSNMP", "CollectorAlerts", "CollectorReports", "Alerting",
            "CollectorDashboard", "Inventory", "Mail", "ReadinessModel",
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ], swiftSettings: strict),

        // What every command line program shares: exit codes, --lang.
        .target(name: "CommandLineSupport", dependencies: [
            "Presentation", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: strict),

        // VERSION → SansangVersion.swift (the one place the version is written; docs/packaging.md).
        .plugin(name: "VersionFile", capability: .buildTool()),

        // Thin executables.
        .executableTarget(name: "sansang-agent", dependencies: [
            "FieldCheck", "AgentProbes", "SNMP", "Inventory", "ReadinessModel", "Presentation", "CommandLineSupport",
            "AgentDaemon", "Spool", "Throughput", "ServiceChecks", "SansangAPI", "YAMLConfig",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: strict, linkerSettings: agentReleaseLinking),
        .executableTarget(name: "sansang-collector", dependencies: [
            "Inventory", "YAMLConfig", "ReadinessModel", "Presentation", "CommandLineSupport",
            "CollectorStore", "CollectorStorePostgres", "CollectorCore", "CollectorDaemon", "Alerting", "Mail", "CollectorReports", "WeeklyReport",
            "CertificateTools", "CollectorDashboard", "CollectorHTTP",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ], swiftSettings: strict),
        .executableTarget(name: "sansang", dependencies: [
            "NOCClient", "ReadinessModel", "SansangAPI", "Presentation", "CommandLineSupport", "YAMLConfig",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Yams", package: "Yams"),
        ], swiftSettings: strict),

        // The province lab's command: validates the lab file, writes its plan and inventory, checks the roll-up.
        .executableTarget(name: "sansang-lab", dependencies: [
            "LabModel", "Inventory", "ReadinessModel", "YAMLConfig", "CommandLineSupport", "Presentation",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: strict),
        .testTarget(name: "LabModelTests", dependencies: ["LabModel", "ReadinessModel", "YAMLConfig"], swiftSettings: strict),

        .testTarget(name: "SNMPTests", dependencies: ["SNMP", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "MailTests", dependencies: ["Mail", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "PacketCaptureTests", dependencies: ["PacketCapture", "LLDP", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "LLDPTests", dependencies: ["LLDP", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "SystemSupportTests", dependencies: ["SystemSupport"], swiftSettings: strict),
        .testTarget(name: "ReadinessModelTests", dependencies: ["ReadinessModel"],
                    resources: [.copy("Fixtures")], swiftSettings: strict),
        .testTarget(name: "SNMPReportingTests", dependencies: ["SNMPReporting", "SNMP", "YAMLConfig", "TestSupport"],
                    swiftSettings: strict),
        .testTarget(name: "ReadinessMIBTests", dependencies: ["ReadinessMIB", "ReadinessModel", "SNMP", "SNMPTypes", "TestSupport"],
                    swiftSettings: strict),
        .testTarget(name: "AlertingTests", dependencies: ["Alerting", "Presentation", "ReadinessModel", "SansangAPI", "YAMLConfig", "TestSupport"],
                    swiftSettings: strict),
        .testTarget(name: "InventoryTests", dependencies: ["Inventory", "YAMLConfig", "ReadinessModel", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "AgentProbesTests", dependencies: ["AgentProbes", "LLDP", "ReadinessModel", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "ThroughputTests", dependencies: ["Throughput", "ReadinessModel", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "SpoolTests", dependencies: ["Spool", "ReadinessModel", "SansangAPI"], swiftSettings: strict),
        .testTarget(name: "AgentDaemonTests", dependencies: [
            "AgentDaemon", "Spool", "ReadinessModel", "SansangAPI", "SystemSupport", "YAMLConfig", "TestSupport",
        ], swiftSettings: strict),
        .testTarget(name: "ServiceChecksTests", dependencies: ["ServiceChecks", "ReadinessModel", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "WeeklyReportTests", dependencies: ["WeeklyReport", "WeeklyReportChart", "CCairo", "Presentation", "ReadinessModel", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "FieldCheckTests", dependencies: ["FieldCheck", "AgentProbes", "Presentation", "ReadinessModel", "ServiceChecks", "TestSupport"], swiftSettings: strict),
        // The reporting pipeline end to end: real collector, real agents, the NOC client.
        .testTarget(name: "PipelineTests", dependencies: [
            "TestSupport", "ReadinessMIB", "ReadinessModel", "SansangAPI", "SNMP", "CollectorStore", "CollectorTestSupport", "Inventory",
            "CertificateTools",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ], swiftSettings: strict),
        // The four evidence sources end to end: office and switch namespaces, real snmpd and lldpd.
        .testTarget(name: "EvidenceLabTests", dependencies: ["TestSupport"], swiftSettings: strict),
        // Faults while a small province lab runs (lab/ci.yaml, scripts/lab.sh; docs/lab.md).
        .testTarget(name: "LabFaultTests", dependencies: ["TestSupport", .product(name: "GRDB", package: "GRDB.swift")],
                    swiftSettings: strict),
        // Replicas on one PostgreSQL behind HAProxy, with faults (docs/scale-out.md).
        .testTarget(name: "ScaleOutTests", dependencies: ["TestSupport", "ReadinessModel", "SansangAPI"], swiftSettings: strict),
        .testTarget(name: "CollectorStoreTests", dependencies: [
            "CollectorStore", "CollectorStorePostgres", "ReadinessModel", "Alerting", "SansangAPI", "TestSupport", .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: strict),
        .testTarget(name: "CollectorCoreTests", dependencies: [
            "CollectorCore", "CollectorStore", "CollectorTestSupport", "Inventory", "ReadinessModel", "TestSupport", "YAMLConfig", "Mail",
            "SansangAPI",
        ], swiftSettings: strict),
        .testTarget(name: "CollectorHTTPTests", dependencies: [
            "CollectorHTTP", "CollectorCore", "CollectorAlerts", "Alerting", "CollectorReports", "CertificateTools", "CollectorStore", "CollectorTestSupport", "Inventory", "ReadinessModel", "TestSupport",
            "SansangAPI",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "CompressNIO", package: "compress-nio"),
        ], swiftSettings: strict),
        .testTarget(name: "CollectorDashboardTests", dependencies: [
            "CollectorDashboard", "CollectorHTTP", "CollectorCore", "CollectorAlerts", "Alerting", "CollectorReports", "CollectorStore",
            "CollectorTestSupport", "Inventory", "ReadinessModel", "SansangAPI", "TestSupport", "Presentation",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ], swiftSettings: strict),
        .target(name: "CollectorTestSupport", dependencies: [
            "CollectorCore", "CollectorStore", "Inventory", "ReadinessModel", "TestSupport",
            .product(name: "Metrics", package: "swift-metrics"),
        ], path: "Tests/CollectorTestSupport", swiftSettings: strict),

        // Helpers for tests that start real daemons and network namespaces.
        .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: strict),
        .testTarget(name: "TestSupportTests", dependencies: ["TestSupport"], swiftSettings: strict),
    ]
)
