import ButtonCLI
import Foundation
import Testing

/// Every executable but button-fcgi, run as built: `--help`, `--version`, an unknown option, a
/// bad value. No servers: where one is needed, a closed loopback port stands for it.
@Suite struct CommandLineTests {
    /// An executable, the variables its help must name, and a bad value with the option named.
    struct Case: Sendable, CustomStringConvertible {
        let name: String
        let variables: [String]
        let badValue: [String]
        let named: String
        /// What the configuration needs before it reaches the bad value.
        var environment: [String: String] = [:]
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "button-broker",
            variables: ["KAFKA_BOOTSTRAP", "BROKER_CONTROL"],
            badValue: ["--brokers", "10", "--control", "/tmp/x"],
            named: "--brokers"
        ),
        Case(
            name: "button-consume",
            variables: ["KAFKA_BOOTSTRAP", "SCHEMA_REGISTRY_URL"],
            badValue: ["--max", "many"],
            named: "--max"
        ),
        Case(
            name: "button-sink",
            variables: [
                "PG_DSN", "KAFKA_BOOTSTRAP", "SCHEMA_REGISTRY_URL", "SINK_TOPIC", "SINK_GROUP", "SINK_BATCH_MAX",
                "SINK_BATCH_WAIT_MS", "SINK_LAG_INTERVAL_MS", "SINK_STATUS_FILE", "SINK_WRITE_METHOD",
                "SINK_START_TIMEOUT_MS",
            ],
            badValue: ["--batch-max", "0"],
            named: "--batch-max",
            environment: ["PG_DSN": "x", "KAFKA_BOOTSTRAP": "a:1", "SCHEMA_REGISTRY_URL": "http://a"]
        ),
        Case(
            name: "button-enrich",
            variables: [
                "KAFKA_BOOTSTRAP", "SCHEMA_REGISTRY_URL", "ENRICH_SOURCE_TOPIC", "ENRICH_TARGET_TOPIC",
                "ENRICH_DEAD_LETTER_TOPIC", "ENRICH_GROUP", "ENRICH_COMMIT_INTERVAL_MS", "ENRICH_MAX_IN_FLIGHT",
                "ENRICH_DELIVERY_TIMEOUT_MS", "ENRICH_LAG_INTERVAL_MS", "ENRICH_STATUS_FILE", "ENRICH_ZONE_TAB",
                "ENRICH_START_TIMEOUT_MS",
            ],
            badValue: ["--commit-interval-ms", "5"],
            named: "--commit-interval-ms",
            environment: ["KAFKA_BOOTSTRAP": "a:1", "SCHEMA_REGISTRY_URL": "http://a"]
        ),
        Case(
            name: "button-registry",
            variables: [
                "REGISTRY_LISTEN", "REGISTRY_LISTEN_MODE", "REGISTRY_LISTEN_GROUP", "REGISTRY_PG_DSN", "PG_DSN",
                "REGISTRY_PROCESSES", "REGISTRY_THREADS",
            ],
            badValue: ["--processes", "0", "--pg-dsn", "postgresql://127.0.0.1:1/x"],
            named: "--processes"
        ),
        Case(
            name: "button-stats",
            variables: [
                "STATS_LISTEN", "STATS_LISTEN_MODE", "STATS_LISTEN_GROUP", "STATS_PROCESSES", "STATS_THREADS", "PG_DSN",
                "CLICKHOUSE_URL", "STATS_QUERY_TIMEOUT_MS", "STATS_LOAD_TIMEOUT_MS", "STATS_CACHE_MS",
                "STATS_CLICKHOUSE_FINAL", "STATS_STREAM_SIZE", "STATS_MAP_FILE", "KAFKA_BOOTSTRAP", "BUTTON_TOPIC",
                "SCHEMA_REGISTRY_URL", "BUTTON_SESSION_SECRET_FILE",
            ],
            badValue: ["--threads", "many"],
            named: "--threads"
        ),
        Case(name: "button-topics", variables: [], badValue: ["apply", "--partitions", "many"], named: "--partitions"),
    ]

    @Test(arguments: cases)
    func helpNamesTheEnvironmentVariables(_ item: Case) throws {
        var result = try BuiltExecutable(name: item.name).run(["--help"])
        #expect(result.status == 0, "\(result.errors)")
        if item.name == "button-broker" {
            // The control subcommand's fallback is in its own help.
            let control = try BuiltExecutable(name: item.name).run(["ctl", "--help"])
            result = BuiltExecutable.Result(
                status: result.status,
                output: result.output + control.output,
                errors: "",
                seconds: 0,
                timedOut: false
            )
        }
        if item.name == "button-topics" {
            result = try BuiltExecutable(name: item.name).run(["apply", "--help"])
            #expect(result.output.contains("KAFKA_BOOTSTRAP_SERVERS"))
        }
        for variable in item.variables {
            #expect(result.output.contains(variable), "\(item.name) --help names \(variable)")
        }
        #expect(result.output.contains("--version"))
    }

    @Test(arguments: cases)
    func versionIsTheRelease(_ item: Case) throws {
        let result = try BuiltExecutable(name: item.name).run(["--version"])
        #expect(result.status == 0)
        #expect(result.output.trimmingCharacters(in: .whitespacesAndNewlines) == ButtonVersion.current)
    }

    @Test(arguments: cases)
    func anUnknownOptionIsAUsageErrorNamingIt(_ item: Case) throws {
        let result = try BuiltExecutable(name: item.name).run(["--no-such-option"])
        #expect(result.status == 64, "\(result.errors)")
        #expect(result.errors.contains("--no-such-option"), "\(result.errors)")
    }

    @Test(arguments: cases)
    func aBadValueIsAUsageErrorNamingTheOption(_ item: Case) throws {
        let result = try BuiltExecutable(name: item.name).run(
            item.badValue,
            environment: item.environment,
            timeLimit: .seconds(15)
        )
        #expect(result.status == 64, "\(item.badValue): \(result.errors)")
        #expect(result.errors.contains(item.named), "\(result.errors)")
    }

    /// A bad value in the environment (how the stack starts them) names the variable: one line, exit 78.
    @Test(arguments: [
        (
            "button-sink",
            ["PG_DSN": "x", "KAFKA_BOOTSTRAP": "a:1", "SCHEMA_REGISTRY_URL": "http://a", "SINK_BATCH_MAX": "lots"],
            "SINK_BATCH_MAX"
        ),
        (
            "button-enrich", ["KAFKA_BOOTSTRAP": "a:1", "SCHEMA_REGISTRY_URL": "http://a", "ENRICH_GROUP": "a b"],
            "ENRICH_GROUP"
        ),
        ("button-registry", ["REGISTRY_PG_DSN": "x", "REGISTRY_THREADS": "0"], "REGISTRY_THREADS"),
        ("button-stats", ["STATS_PROCESSES": "none"], "STATS_PROCESSES"),
    ])
    func aBadVariableIsNamedOnOneLine(name: String, environment: [String: String], variable: String) throws {
        let result = try BuiltExecutable(name: name).run([], environment: environment, timeLimit: .seconds(15))
        #expect(result.status == 78, "\(result.errors)")
        #expect(result.errors.hasPrefix("\(name): \(variable)"), "\(result.errors)")
        #expect(result.errors.split(separator: "\n").count == 1, "\(result.errors)")
    }

    /// An option wins over its variable, and its bad value is told as the option's.
    @Test func anOptionOverridesItsVariable() throws {
        let result = try BuiltExecutable(name: "button-sink").run(
            ["--batch-wait-ms", "900"],
            environment: [
                "PG_DSN": "x", "KAFKA_BOOTSTRAP": "a:1", "SCHEMA_REGISTRY_URL": "http://a", "SINK_BATCH_WAIT_MS": "100",
            ]
        )
        #expect(result.status == 64)
        #expect(result.errors.contains("--batch-wait-ms (SINK_BATCH_WAIT_MS)"), "\(result.errors)")
        #expect(result.errors.contains("'900'"), "the option's value was read, not the variable's: \(result.errors)")
    }

    @Test func consumeGivesUpOnAnAbsentBroker() throws {
        let port = try BuiltExecutable.closedPort()
        let result = try BuiltExecutable(name: "button-consume").run(
            [
                "--bootstrap", "127.0.0.1:\(port)", "--registry", "http://127.0.0.1:\(port)", "--connect-timeout-ms",
                "3000",
            ],
            timeLimit: .seconds(30)
        )
        #expect(!result.timedOut && result.seconds < 15, "\(result.seconds) s")
        #expect(result.status == 69, "\(result.errors)")
        #expect(
            result.errors.contains("button-consume: no Kafka broker answered at 127.0.0.1:\(port)"),
            "\(result.errors)"
        )
        #expect(!result.errors.contains("Fatal error"), "no stack trace")
    }

    @Test func sinkGivesUpOnAnAbsentDatabaseWithinItsStartTimeout() throws {
        let envPort = try BuiltExecutable.closedPort()
        let port = try BuiltExecutable.closedPort()
        let result = try BuiltExecutable(name: "button-sink").run(
            ["--pg-dsn", "postgresql://button:secret-word@127.0.0.1:\(port)/button"],
            environment: [
                "PG_DSN": "postgresql://button@127.0.0.1:\(envPort)/button",
                "KAFKA_BOOTSTRAP": "127.0.0.1:\(port)", "SCHEMA_REGISTRY_URL": "http://127.0.0.1:\(port)",
            ],
            timeLimit: .seconds(30)
        )
        // The default start timeout is 10 s; the backoff gives up before passing it.
        #expect(!result.timedOut && result.seconds < 15, "\(result.seconds) s")
        #expect(result.status == 69, "\(result.errors)")
        let last = result.errors.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.hasPrefix("button-sink: PostgreSQL did not answer within"), "\(result.errors)")
        #expect(last.contains("127.0.0.1:\(port)"), "the option's database, not PG_DSN's: \(last)")
        #expect(!result.errors.contains("secret-word"), "no password in the output")
    }

    @Test func enrichGivesUpOnAnAbsentBroker() throws {
        let port = try BuiltExecutable.closedPort()
        let result = try BuiltExecutable(name: "button-enrich").run(
            ["--bootstrap", "127.0.0.1:\(port)", "--start-timeout-ms", "2000"],
            environment: ["KAFKA_BOOTSTRAP": "127.0.0.1:1", "SCHEMA_REGISTRY_URL": "http://127.0.0.1:\(port)"],
            timeLimit: .seconds(30)
        )
        #expect(!result.timedOut && result.seconds < 15, "\(result.seconds) s")
        #expect(result.status == 69, "\(result.errors)")
        #expect(
            result.errors.contains("button-enrich: no Kafka broker answered at 127.0.0.1:\(port)"),
            "\(result.errors)"
        )
    }

    @Test func registryGivesUpOnAnAbsentDatabase() throws {
        let port = try BuiltExecutable.closedPort()
        let socket = FileManager.default.temporaryDirectory.appendingPathComponent("cli-registry-\(port).sock").path
        let result = try BuiltExecutable(name: "button-registry").run(
            ["--pg-dsn", "postgresql://button@127.0.0.1:\(port)/button", "--listen", "unix:\(socket)"],
            timeLimit: .seconds(30)
        )
        #expect(!result.timedOut && result.seconds < 15, "\(result.seconds) s")
        #expect(result.status == 1, "\(result.errors)")
        #expect(result.errors.contains("button-registry: cannot start:"), "\(result.errors)")
    }

    @Test func brokerControlWithoutABrokerSaysSo() throws {
        let result = try BuiltExecutable(name: "button-broker").run(
            ["ctl", "ping"],
            environment: ["BROKER_CONTROL": "/tmp/no-such-broker-\(UUID().uuidString).ctl"],
            timeLimit: .seconds(30)
        )
        #expect(result.status == 69, "\(result.errors)")
        #expect(result.errors.hasPrefix("button-broker ctl:"), "\(result.errors)")
    }
}
