// button-broker: the local stack's Kafka (librdkafka's mock cluster) with a control socket.
// Thin on purpose: the command line and the service live in LocalBroker, which the tests use too.

import LocalBroker
import Logging

LoggingSystem.bootstrap(StreamLogHandler.standardError)
BrokerCommand.main()
