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

    /// The default `reconnect.backoff.max.ms` (librdkafka's is 10 000). A press is answered
    /// only after Kafka's acknowledgement, so every second the producer waits before trying a
    /// returned broker again is a second of 503s: with librdkafka's default, presses stayed
    /// 503 for 2-8 s after the broker came back (`scripts/faults --quick broker-down`, four
    /// runs), with 1 s the first press was acknowledged 0.7-0.8 s after it (two runs).
    /// `KAFKA_RECONNECT_BACKOFF_MAX_MS` overrides it.
    public static let defaultReconnectBackoffMaxMilliseconds = "1000"

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
        if kafka["reconnect.backoff.max.ms"] == nil {
            kafka["reconnect.backoff.max.ms"] = defaultReconnectBackoffMaxMilliseconds
        }
        return kafka
    }
}
