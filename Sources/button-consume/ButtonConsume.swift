import ArgumentParser
import ButtonConsole
import Logging

/// Prints the button events in Kafka, one line each. The command line and the consumer live in
/// ButtonConsole, which the tests use too.
@main
enum ButtonConsume {
    /// Parsed and run by hand: `ConsoleCommand.main()` called from here resolves to the
    /// synchronous entry point, which refuses an async command.
    static func main() async {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        do {
            let command = try ConsoleCommand.parse()
            try await command.run()
        } catch {
            ConsoleCommand.exit(withError: error)
        }
    }
}
