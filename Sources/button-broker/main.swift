// button-broker: the local stack's Kafka (librdkafka's mock cluster) with a control socket.
// Thin on purpose: parsing and running live in LocalBroker, which the tests use too.

import Foundation
import LocalBroker
import Logging

LoggingSystem.bootstrap(StreamLogHandler.standardError)
var logger = Logger(label: "button-broker")

let commandLine: BrokerCommandLine
do {
    commandLine = try BrokerCommandLine.parse(Array(CommandLine.arguments.dropFirst()))
} catch {
    logger.error("button-broker: \(error) (see button-broker --help)")
    exit(2)
}

switch commandLine {
case .help:
    print(BrokerCommandLine.usage)
case .control(let path, let command):
    do {
        let reply = try BrokerControlClient(path: path).send(command)
        print(reply)
        exit(reply.hasPrefix("error:") ? 1 : 0)
    } catch {
        logger.error("button-broker ctl: \(error)")
        exit(1)
    }
case .serve(let options):
    exit(LocalBroker.run(options: options, logger: logger))
}
