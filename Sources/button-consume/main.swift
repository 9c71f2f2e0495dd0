import ButtonConsole
import Foundation
import Logging

// Prints the button events in Kafka, one line each.
LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
var logger = Logger(label: "button-consume")
logger.logLevel = .warning
do {
    let options = try ConsoleOptions(arguments: Array(CommandLine.arguments.dropFirst()))
    let consumer = ConsoleConsumer(
        options: options,
        environment: ProcessInfo.processInfo.environment,
        logger: logger,
        output: { FileHandle.standardOutput.write(Data(($0 + "\n").utf8)) },
        problem: { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
    )
    try await consumer.run()
} catch let error as ConsoleError {
    FileHandle.standardError.write(Data((error.message + "\n").utf8))
    exit(error.isHelp ? 0 : 2)
} catch {
    FileHandle.standardError.write(Data("button-consume: \(error)\n".utf8))
    exit(1)
}
