public import Kafka

/// The producer settings every writer of press events uses: the workers and the generator.
///
/// One place, so that generated traffic is batched, acknowledged and retried exactly as the
/// workers' is and a benchmark of one says something about the other. `KafkaProducer` adds
/// what no caller may change (`enable.idempotence=true`, hence `acks=all`).
public enum PressProducerSettings {
    /// The default `linger.ms`. Half a millisecond lets presses that arrive together share
    /// a produce request: in bench/run it cut p99 at 32 connections from 6.1 ms to 3.3 ms at
    /// the same throughput (BENCHMARKS.md). `KAFKA_LINGER_MS` overrides it.
    public static let defaultLingerMilliseconds = "0.5"

    /// The librdkafka properties from `KAFKA_*` variables (see
    /// `KafkaConfiguration.fromEnvironment`), with the press path's defaults added.
    /// - Parameter environment: the process environment.
    /// - Returns: the configuration, not yet checked for brokers (callers name their own
    ///   option or variable in that error).
    public static func configuration(environment: [String: String]) -> KafkaConfiguration {
        var kafka = KafkaConfiguration.fromEnvironment(environment)
        if kafka["linger.ms"] == nil && kafka["queue.buffering.max.ms"] == nil {
            kafka["linger.ms"] = defaultLingerMilliseconds
        }
        return kafka
    }
}
