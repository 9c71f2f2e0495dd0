import Foundation
import Logging
import Stats

// The stats pool: FastCGI behind nginx, panels from PostgreSQL and ClickHouse.
LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
var logger = Logger(label: "button-stats")
logger.logLevel = .info
guard CommandLine.arguments.count == 1 else {
    FileHandle.standardError.write(Data("usage: button-stats (settings from the environment, see README)\n".utf8))
    exit(2)
}
do {
    let configuration = try StatsConfiguration(environment: ProcessInfo.processInfo.environment)
    try StatsApp.run(configuration: configuration, logger: logger)
} catch {
    logger.critical("button-stats cannot start: \(error)")
    exit(1)
}
