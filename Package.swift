// swift-tools-version:6.0
import PackageDescription

/// Compiler settings shared by every Swift target: Swift 6 language mode plus the two
/// upcoming features that make the compiler enforce our layering rules (C modules are
/// imported only where declared, existentials are spelled `any`).
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("ExistentialAny"),
]

let log: Target.Dependency = .product(name: "Logging", package: "swift-log")
let argumentParser: Target.Dependency = .product(name: "ArgumentParser", package: "swift-argument-parser")

let package = Package(
    name: "Button",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "button-broker", targets: ["button-broker"]),
        .executable(name: "button-registry", targets: ["button-registry"]),
        .executable(name: "button-fcgi", targets: ["button-fcgi"]),
        .executable(name: "button-consume", targets: ["button-consume"]),
        .executable(name: "button-sink", targets: ["button-sink"]),
        .executable(name: "button-topics", targets: ["button-topics"]),
        .executable(name: "button-enrich", targets: ["button-enrich"]),
        .executable(name: "button-stats", targets: ["button-stats"]),
        .executable(name: "button-generate", targets: ["button-generate"]),
        // For fuzz/Package.swift, which depends on this package by path and can only import
        // its products. Nothing here builds them unless asked.
        .library(name: "Avro", targets: ["Avro"]),
        .library(name: "ButtonEvents", targets: ["ButtonEvents"]),
        .library(name: "Session", targets: ["Session"]),
        .library(name: "Geolocation", targets: ["Geolocation"]),
        .library(name: "FastCGI", targets: ["FastCGI"]),
        .library(name: "SchemaRegistryServer", targets: ["SchemaRegistryServer"]),
        .library(name: "ButtonFCGI", targets: ["ButtonFCGI"]),
        .library(name: "Stats", targets: ["Stats"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        // HMAC-SHA256 for the session cookie: vetted crypto rather than our own.
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        // base64url for the session cookie.
        .package(url: "https://github.com/swift-extras/swift-extras-base64.git", from: "1.2.0"),
        // Options, help and --version of every executable but button-fcgi.
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        // The workers' metrics API; their backend is the shared scoreboard (PoolStatus).
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        // The Prometheus exposition of /status?openmetrics.
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // Atomic operations on the scoreboard's shared memory (`UnsafeAtomic(at:)`).
        .package(url: "https://github.com/apple/swift-atomics.git", from: "1.3.0"),
    ],
    targets: [
        // MARK: C libraries (Debian -dev packages), one system-library target each.
        .systemLibrary(name: "CFastCGI", pkgConfig: "fcgi", providers: [.apt(["libfcgi-dev"])]),
        .systemLibrary(name: "CRdKafka", pkgConfig: "rdkafka", providers: [.apt(["librdkafka-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CLibLoc", pkgConfig: "libloc", providers: [.apt(["libloc-dev"])]),
        .systemLibrary(name: "CMaxMindDB", pkgConfig: "libmaxminddb", providers: [.apt(["libmaxminddb-dev"])]),

        // MARK: One Swift wrapper per C library; their public APIs use Swift types only.
        .target(name: "FastCGI", dependencies: ["CFastCGI", "POSIXSupport", log], swiftSettings: strict),
        .target(name: "Kafka", dependencies: ["CRdKafka", log], swiftSettings: strict),
        .target(name: "Postgres", dependencies: ["CLibPQ", log], swiftSettings: strict),
        .target(name: "LibLoc", dependencies: ["CLibLoc", "POSIXSupport"], swiftSettings: strict),
        .target(name: "MaxMindDB", dependencies: ["CMaxMindDB"], swiftSettings: strict),

        // MARK: Pure Swift libraries.
        // The system calls the wrappers and servers share: one errno funnel, sockets, threads, signals.
        .target(name: "POSIXSupport", swiftSettings: strict),
        .target(name: "Avro", swiftSettings: strict),
        // The registry's client and wire models: Foundation only, so its users link no libpq or libfcgi.
        .target(name: "SchemaRegistry", swiftSettings: strict),
        .target(
            name: "SchemaRegistryServer",
            dependencies: ["SchemaRegistry", "Avro", "Postgres", "FastCGI", log],
            swiftSettings: strict
        ),
        // What every executable's command line shares: the release and environment fallbacks.
        .target(
            name: "ButtonCLI",
            dependencies: [.product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strict
        ),
        .target(
            name: "LocalBroker",
            dependencies: ["Kafka", "POSIXSupport", "ButtonCLI", argumentParser, log],
            swiftSettings: strict
        ),
        .target(name: "Geolocation", dependencies: ["LibLoc", "MaxMindDB"], swiftSettings: strict),
        .target(name: "ButtonEvents", dependencies: ["Avro", "SchemaRegistry"], swiftSettings: strict),
        // What every producer of press events shares with the workers: producer settings and
        // the schema registration.
        .target(
            name: "PressPublishing",
            dependencies: ["Kafka", "SchemaRegistry", "ButtonEvents", log],
            swiftSettings: strict
        ),
        // The pool's shared-memory scoreboard, its swift-metrics backend and the /status renderings.
        .target(
            name: "PoolStatus",
            dependencies: [
                "POSIXSupport",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Atomics", package: "swift-atomics"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "ButtonFCGI",
            dependencies: [
                "FastCGI", "Kafka", "Geolocation", "Session", "SchemaRegistry", "ButtonEvents", "PressPublishing",
                "PoolStatus", "POSIXSupport", .product(name: "CoreMetrics", package: "swift-metrics"), log,
            ],
            swiftSettings: strict
        ),
        .target(
            name: "Session",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ExtrasBase64", package: "swift-extras-base64"),
            ],
            swiftSettings: strict
        ),

        // MARK: Thin executables.
        .executableTarget(name: "button-broker", dependencies: ["LocalBroker", log], swiftSettings: strict),
        .executableTarget(name: "button-fcgi", dependencies: ["ButtonFCGI", log], swiftSettings: strict),
        .target(
            name: "ButtonConsole",
            dependencies: ["Kafka", "Avro", "SchemaRegistry", "ButtonEvents", "ButtonCLI", argumentParser, log],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "button-consume",
            dependencies: ["ButtonConsole", argumentParser, log],
            swiftSettings: strict
        ),
        // What the long-running consumers share: stop flag, backoff, lag and status file.
        .target(name: "ConsumerSupport", dependencies: ["Kafka"], swiftSettings: strict),
        .target(
            name: "PressSink",
            dependencies: ["Kafka", "Postgres", "SchemaRegistry", "ButtonEvents", "Avro", "ConsumerSupport", log],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "button-sink",
            dependencies: ["PressSink", "ConsumerSupport", "ButtonCLI", argumentParser, log],
            swiftSettings: strict
        ),
        // Offline places and local time (tzdata's zone.tab, Foundation's zone rules): the
        // enricher's enrichment and the generator's daily rhythm read the same tables.
        .target(name: "Places", swiftSettings: strict),
        .target(
            name: "Enricher",
            dependencies: ["Kafka", "SchemaRegistry", "ButtonEvents", "ConsumerSupport", "Places", log],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "button-enrich",
            dependencies: ["Enricher", "ConsumerSupport", "ButtonCLI", argumentParser, log],
            swiftSettings: strict
        ),
        // The stats page: queries (PostgreSQL point lookups, ClickHouse aggregates), panel
        // cache, live tail, server-rendered HTML and SVG; served by its own FastCGI pool.
        .target(
            name: "Stats",
            dependencies: [
                "FastCGI", "Kafka", "Postgres", "Session", "SchemaRegistry", "ButtonEvents", "ConsumerSupport", log,
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "button-stats",
            dependencies: ["Stats", "ButtonCLI", argumentParser, log],
            swiftSettings: strict
        ),
        // The fake-data generator (live sessions and the backfill story) and its CLI.
        .target(
            name: "Generator",
            dependencies: [
                "Kafka", "ButtonEvents", "Geolocation", "Places", "PressPublishing", "SchemaRegistry",
                "ConsumerSupport", log,
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "button-generate",
            dependencies: [
                "Generator", "ButtonCLI", "Kafka", "Geolocation", "Places", "ConsumerSupport", log,
                argumentParser,
            ],
            swiftSettings: strict
        ),
        // The production topic setup (CreateTopics, then DescribeConfigs) and its CLI.
        .target(name: "TopicSetup", dependencies: ["Kafka"], swiftSettings: strict),
        .executableTarget(
            name: "button-topics",
            dependencies: [
                "TopicSetup", "Kafka", "ButtonCLI", log, argumentParser,
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "button-registry",
            dependencies: ["SchemaRegistryServer", "ButtonCLI", argumentParser, log],
            swiftSettings: strict
        ),

        // MARK: Tests. Unit tests need no servers. IntegrationTests, BrowserTests and
        // DisruptiveTests read .run/stack.env; scripts/test runs each of those three alone:
        // DisruptiveTests break servers on purpose and count the whole topic.
        .target(
            name: "TestSupport",
            dependencies: ["Kafka", "LocalBroker", "Session", "Postgres", "ButtonEvents", log],
            path: "Tests/TestSupport",
            swiftSettings: strict
        ),
        .testTarget(name: "AvroTests", dependencies: ["Avro"], swiftSettings: strict),
        .testTarget(name: "FastCGITests", dependencies: ["FastCGI", "POSIXSupport", log], swiftSettings: strict),
        .testTarget(name: "SessionTests", dependencies: ["Session"], swiftSettings: strict),
        .testTarget(
            name: "PoolStatusTests",
            dependencies: ["PoolStatus", .product(name: "CoreMetrics", package: "swift-metrics")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ButtonEventsTests",
            dependencies: ["ButtonEvents", "Avro", "TestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ButtonFCGITests",
            dependencies: [
                "ButtonFCGI", "ButtonEvents", "FastCGI", "Geolocation", "Session", "TestSupport", "PoolStatus", log,
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "GeolocationTests",
            dependencies: ["Geolocation"],
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
        .testTarget(name: "SchemaRegistryTests", dependencies: ["SchemaRegistry"], swiftSettings: strict),
        .testTarget(
            name: "SchemaRegistryServerTests",
            dependencies: ["SchemaRegistryServer", "FastCGI", log],
            swiftSettings: strict
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "Kafka", "SchemaRegistry", "LocalBroker", "TestSupport", "Session", "ButtonEvents", "Avro", "Postgres",
                "PressSink", "Stats", "Generator", "Geolocation", "Places", log,
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "DisruptiveTests",
            dependencies: [
                "ButtonFCGI", "Kafka", "LocalBroker", "Postgres", "Session", "TestSupport", "ButtonEvents", "Stats",
                log,
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "BrowserTests", dependencies: ["Session", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres"], swiftSettings: strict),
        .testTarget(
            name: "ButtonConsoleTests",
            dependencies: ["ButtonConsole", "ButtonEvents", argumentParser],
            swiftSettings: strict
        ),
        .testTarget(name: "LocalBrokerTests", dependencies: ["LocalBroker", argumentParser], swiftSettings: strict),
        // Runs every built executable's command line (--help, --version, bad options, servers
        // that are not there); needs no servers.
        .testTarget(name: "CommandLineTests", dependencies: ["ButtonCLI", argumentParser], swiftSettings: strict),
        .testTarget(name: "TopicSetupTests", dependencies: ["TopicSetup", "Kafka"], swiftSettings: strict),
        .testTarget(name: "LibLocTests", dependencies: ["LibLoc"], swiftSettings: strict),
        // Checks the shipped deploy/ configuration files; needs no servers.
        .testTarget(name: "DeployTests", swiftSettings: strict),
        .testTarget(
            name: "EnricherTests",
            dependencies: ["Enricher", "ButtonEvents", "Kafka", "Places"],
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "GeneratorTests",
            dependencies: ["Generator", "ButtonEvents", "Geolocation", "Places", "Kafka", "PressPublishing"],
            swiftSettings: strict
        ),
        .testTarget(name: "StatsTests", dependencies: ["Stats", "FastCGI"], swiftSettings: strict),
        .testTarget(
            name: "PressSinkTests",
            dependencies: ["PressSink", "ButtonEvents", "Kafka", "Postgres", log],
            swiftSettings: strict
        ),
    ]
)
