import ConsumerSupport
import Foundation
import Logging
import PressSink

// Kafka → PostgreSQL. `button-sink migrate` applies the migrations and exits;
// without arguments it runs until SIGTERM/SIGINT, then writes the batch in hand and exits 0.
LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
let logger = Logger(label: "button-sink")
let arguments = Array(CommandLine.arguments.dropFirst())

let configuration: SinkConfiguration
do {
    if arguments == ["migrate"] {
        guard let dsn = ProcessInfo.processInfo.environment["PG_DSN"], !dsn.isEmpty else {
            throw SinkConfigurationError.missingDSN
        }
        try PressSink.migrate(dsn: dsn, logger: logger)
        exit(0)
    }
    guard arguments.isEmpty else {
        FileHandle.standardError.write(Data("usage: button-sink [migrate]\n".utf8))
        exit(2)
    }
    configuration = try SinkConfiguration(environment: ProcessInfo.processInfo.environment)
} catch {
    FileHandle.standardError.write(Data("button-sink: \(error)\n".utf8))
    exit(2)
}

let stop = StopFlag()
let sources = stop.setOnTerminationSignals()
do {
    try await PressSink(configuration: configuration, logger: logger).run(shouldStop: { stop.isSet })
    withExtendedLifetime(sources) {}
    exit(0)
} catch {
    logger.error("sink failed: \(error)")
    exit(1)
}
