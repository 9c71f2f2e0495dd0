import Foundation
import Logging
import SchemaRegistryServer

// The schema registry (Confluent REST subset) as a FastCGI responder behind nginx.
LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
var logger = Logger(label: "button-registry")
logger.logLevel = .info
do {
    let configuration = try RegistryConfiguration(environment: ProcessInfo.processInfo.environment)
    try RegistryApp.run(configuration: configuration, logger: logger)
} catch {
    logger.critical("registry cannot start: \(error)")
    exit(1)
}
