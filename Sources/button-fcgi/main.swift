import ButtonFCGI
import Foundation
import Logging

// The press worker pool: FastCGI behind nginx, one Kafka event per press.
LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
var logger = Logger(label: "button-fcgi")
logger.logLevel = .info
do {
    let environment = try ButtonConfiguration.environment(overlaying: ProcessInfo.processInfo.environment)
    let configuration = try ButtonConfiguration(environment: environment)
    try ButtonApp.run(configuration: configuration, environment: environment, logger: logger)
} catch {
    logger.critical("button-fcgi cannot start: \(error)")
    exit(1)
}
