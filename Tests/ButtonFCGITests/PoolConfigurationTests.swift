import FastCGI
import Foundation
import Testing

@testable import ButtonFCGI

/// The pool's settings in `ButtonConfiguration`: scaling bounds, the keep-connection guard at
/// start, max requests, and the environment file a reload reads.
@Suite struct PoolConfigurationTests {
    /// A complete, valid environment (a real secret file in a temporary folder).
    static func environment(_ extra: [String: String] = [:]) throws -> ([String: String], URL) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pool-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let secret = folder.appendingPathComponent("secret")
        try Data(String(repeating: "s", count: 40).utf8).write(to: secret)
        let base = [
            "KAFKA_BOOTSTRAP": "127.0.0.1:9092", "SCHEMA_REGISTRY_URL": "http://127.0.0.1:8081",
            "BUTTON_SESSION_SECRET_FILE": secret.path,
        ]
        return (base.merging(extra) { $1 }, folder)
    }

    @Test func defaultsAreStaticWithNoGuardAndNoRecycling() throws {
        let (environment, folder) = try Self.environment()
        defer { try? FileManager.default.removeItem(at: folder) }
        let configuration = try ButtonConfiguration(environment: environment)
        #expect(configuration.limits == PoolLimits(minimum: 1, maximum: 64, threadsPerProcess: 128, keptConnections: 0))
        #expect(configuration.maxRequests == 0)
    }

    /// A draining worker waits for nginx to close its kept connections (nginx's
    /// keepalive_time 5 s + keepalive_timeout 5 s + a request): 15 s by default, and the
    /// master waits longer than that plus the Kafka flush (10 s) before killing a worker.
    @Test func theDrainTimeoutHasADefaultTheMasterWaitsBeyond() throws {
        let (environment, folder) = try Self.environment()
        defer { try? FileManager.default.removeItem(at: folder) }
        let configuration = try ButtonConfiguration(environment: environment)
        #expect(configuration.drainTimeout == .seconds(15))
        #expect(ButtonApp.poolSettings(configuration).drainTimeoutSeconds >= 15 + 10)

        let (long, other) = try Self.environment(["BUTTON_DRAIN_TIMEOUT_MS": "60000"])
        defer { try? FileManager.default.removeItem(at: other) }
        let patient = try ButtonConfiguration(environment: long)
        #expect(patient.drainTimeout == .seconds(60))
        #expect(ButtonApp.poolSettings(patient).drainTimeoutSeconds >= 60 + 10)

        for bad in ["-1", "soon", "600001"] {
            let (broken, folder) = try Self.environment(["BUTTON_DRAIN_TIMEOUT_MS": bad])
            defer { try? FileManager.default.removeItem(at: folder) }
            do {
                _ = try ButtonConfiguration(environment: broken)
                Issue.record("BUTTON_DRAIN_TIMEOUT_MS=\(bad) was accepted")
            } catch let error as ButtonConfigurationError {
                #expect(error.message.contains("BUTTON_DRAIN_TIMEOUT_MS"))
            }
        }
    }

    /// The read timeout (a half-sent request holds a thread no longer) defaults above nginx's
    /// keepalive_timeout of 5 s, and a bad value is named before anything starts.
    @Test func theReadTimeoutHasADefaultAndBadValuesAreNamed() throws {
        let (environment, folder) = try Self.environment()
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(try ButtonConfiguration(environment: environment).readTimeout == .seconds(15))
        let (short, other) = try Self.environment(["BUTTON_FCGI_READ_TIMEOUT_MS": "8000"])
        defer { try? FileManager.default.removeItem(at: other) }
        #expect(try ButtonConfiguration(environment: short).readTimeout == .seconds(8))
        for bad in ["0", "-5", "99", "soon", "3600001"] {
            let (broken, folder) = try Self.environment(["BUTTON_FCGI_READ_TIMEOUT_MS": bad])
            defer { try? FileManager.default.removeItem(at: folder) }
            do {
                _ = try ButtonConfiguration(environment: broken)
                Issue.record("BUTTON_FCGI_READ_TIMEOUT_MS=\(bad) was accepted")
            } catch let error as ButtonConfigurationError {
                #expect(error.message.contains("BUTTON_FCGI_READ_TIMEOUT_MS"))
                #expect(error.message.contains("'\(bad)'"))
            }
        }
    }

    @Test func theGuardCountsEveryNginxWorkersKeptConnections() throws {
        let (environment, folder) = try Self.environment([
            "BUTTON_PROCESSES": "2", "BUTTON_THREADS": "16", "BUTTON_KEEPALIVE": "8", "BUTTON_NGINX_WORKERS": "3",
            "BUTTON_PROCESSES_MIN": "2", "BUTTON_PROCESSES_MAX": "6", "BUTTON_MAX_REQUESTS": "1000",
        ])
        defer { try? FileManager.default.removeItem(at: folder) }
        let configuration = try ButtonConfiguration(environment: environment)
        #expect(configuration.limits == PoolLimits(minimum: 2, maximum: 6, threadsPerProcess: 16, keptConnections: 24))
        #expect(configuration.maxRequests == 1000)
    }

    @Test func aPoolInTheKeepConnectionTrapDoesNotStart() throws {
        let (environment, folder) = try Self.environment([
            "BUTTON_PROCESSES": "2", "BUTTON_THREADS": "8", "BUTTON_KEEPALIVE": "16",
        ])
        defer { try? FileManager.default.removeItem(at: folder) }
        do {
            _ = try ButtonConfiguration(environment: environment)
            Issue.record("2 × 8 threads for 16 kept connections started")
        } catch let error as ButtonConfigurationError {
            #expect(error.message.contains("must exceed nginx's 16 kept connections"))
        }
    }

    @Test func processesOutsideTheirBoundsAreNamed() throws {
        let (environment, folder) = try Self.environment(["BUTTON_PROCESSES": "5", "BUTTON_PROCESSES_MAX": "4"])
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(throws: ButtonConfigurationError.self) { try ButtonConfiguration(environment: environment) }
        let (bad, other) = try Self.environment(["BUTTON_MAX_REQUESTS": "-1"])
        defer { try? FileManager.default.removeItem(at: other) }
        do {
            _ = try ButtonConfiguration(environment: bad)
            Issue.record("a negative BUTTON_MAX_REQUESTS was accepted")
        } catch let error as ButtonConfigurationError {
            #expect(error.message.contains("BUTTON_MAX_REQUESTS"))
        }
    }

    @Test func staticIsTheDefaultAndDynamicTakesSpareThreadsRelativeToTheThreads() throws {
        let (plain, folder) = try Self.environment(["BUTTON_THREADS": "16"])
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(try ButtonConfiguration(environment: plain).dynamic == nil)
        #expect(try ButtonConfiguration(environment: plain.merging(["BUTTON_PM": "static"]) { $1 }).dynamic == nil)
        let dynamic = try ButtonConfiguration(environment: plain.merging(["BUTTON_PM": "dynamic"]) { $1 })
        #expect(dynamic.dynamic == DynamicPoolSettings(minSpareThreads: 8, maxSpareThreads: 32))
        let chosen = try ButtonConfiguration(
            environment: plain.merging([
                "BUTTON_PM": "dynamic", "BUTTON_MIN_SPARE_THREADS": "3", "BUTTON_MAX_SPARE_THREADS": "40",
            ]) { $1 }
        )
        #expect(chosen.dynamic == DynamicPoolSettings(minSpareThreads: 3, maxSpareThreads: 40))
    }

    @Test func badDynamicSettingsAreRefusedNamingTheVariable() throws {
        let cases: [([String: String], String)] = [
            (["BUTTON_PM": "ondemand"], "BUTTON_PM must be static or dynamic"),
            (["BUTTON_PM": "Dynamic "], "BUTTON_PM must be static or dynamic"),
            (
                ["BUTTON_PM": "dynamic", "BUTTON_MIN_SPARE_THREADS": "7", "BUTTON_MAX_SPARE_THREADS": "6"],
                "BUTTON_MIN_SPARE_THREADS (7) must not exceed BUTTON_MAX_SPARE_THREADS (6)"
            ),
            (
                ["BUTTON_PM": "dynamic", "BUTTON_PROCESSES_MAX": "2", "BUTTON_MAX_SPARE_THREADS": "17"],
                "BUTTON_MAX_SPARE_THREADS (17) is more idle threads than BUTTON_PROCESSES_MAX × BUTTON_THREADS"
            ),
            (["BUTTON_PM": "dynamic", "BUTTON_MIN_SPARE_THREADS": "0"], "BUTTON_MIN_SPARE_THREADS must be"),
            (["BUTTON_PM": "dynamic", "BUTTON_MAX_SPARE_THREADS": "many"], "BUTTON_MAX_SPARE_THREADS must be"),
        ]
        for (extra, message) in cases {
            let (environment, folder) = try Self.environment(
                ["BUTTON_PROCESSES": "1", "BUTTON_THREADS": "8"].merging(extra) { $1 }
            )
            defer { try? FileManager.default.removeItem(at: folder) }
            do {
                _ = try ButtonConfiguration(environment: environment)
                Issue.record("\(extra) was accepted")
            } catch let error as ButtonConfigurationError {
                #expect(error.message.contains(message), "\(error.message)")
            }
        }
    }

    @Test func theEnvironmentFileIsReadOverTheEnvironment() throws {
        let (environment, folder) = try Self.environment(["BUTTON_PROCESSES": "2", "BUTTON_TOPIC": "kept"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("workers.env")
        try Data("# edited\nBUTTON_PROCESSES=3\nBUTTON_RETRY_AFTER='7'\n".utf8).write(to: file)
        var withFile = environment
        withFile[EnvironmentFile.variable] = file.path
        let merged = try ButtonConfiguration.environment(overlaying: withFile)
        #expect(merged["BUTTON_PROCESSES"] == "3")
        #expect(merged["BUTTON_RETRY_AFTER"] == "7")
        #expect(merged["BUTTON_TOPIC"] == "kept", "what the file does not set stays")
        #expect(try ButtonConfiguration(environment: merged).processes == 3)
        #expect(try ButtonConfiguration.environment(overlaying: environment) == environment, "no file: unchanged")
    }

    @Test func aBrokenOrMissingFileIsNamed() throws {
        let (environment, folder) = try Self.environment()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("workers.env")
        try Data("BUTTON_PROCESSES=3\nnot a setting\n".utf8).write(to: file)
        do {
            _ = try ButtonConfiguration.environment(
                overlaying: environment.merging([EnvironmentFile.variable: file.path]) { $1 }
            )
            Issue.record("a broken file was read")
        } catch let error as ButtonConfigurationError {
            #expect(error.message.contains("line 2: expected KEY=value"))
        }
        let missing = folder.appendingPathComponent("none.env").path
        #expect(throws: ButtonConfigurationError.self) {
            try ButtonConfiguration.environment(
                overlaying: environment.merging([EnvironmentFile.variable: missing]) { $1 }
            )
        }
    }
}
