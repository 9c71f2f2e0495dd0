import ButtonFCGI
import Foundation
import Logging

// The press worker pool: FastCGI behind nginx, one Kafka event per press.
LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
var logger = Logger(label: "button-fcgi")
logger.logLevel = .info
do {
    let configuration = try ButtonConfiguration(environment: ProcessInfo.processInfo.environment)
    try ButtonApp.run(configuration: configuration, logger: logger)
} catch {
    logger.critical("button-fcgi cannot start: \(error)")
    exit(1)
}
