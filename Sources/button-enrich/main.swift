import ConsumerSupport
import Enricher
import Foundation
import Logging

// button_presses (Avro) → button_presses_enriched (JSON, one object per event).
// Runs until SIGTERM/SIGINT, then waits for the acknowledgements, commits and exits 0.
LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
let logger = Logger(label: "button-enrich")
guard CommandLine.arguments.count == 1 else {
    FileHandle.standardError.write(Data("usage: button-enrich (settings from the environment, see README)\n".utf8))
    exit(2)
}
let configuration: EnricherConfiguration
do {
    configuration = try EnricherConfiguration(environment: ProcessInfo.processInfo.environment)
} catch {
    FileHandle.standardError.write(Data("button-enrich: \(error)\n".utf8))
    exit(2)
}

let stop = StopFlag()
let sources = stop.setOnTerminationSignals()
do {
    try await PressEnricher(configuration: configuration, logger: logger).run(shouldStop: { stop.isSet })
    withExtendedLifetime(sources) {}
    exit(0)
} catch {
    logger.error("enricher failed: \(error)")
    exit(1)
}
