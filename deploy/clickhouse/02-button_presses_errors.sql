-- Messages the Kafka engine could not parse (no Confluent framing, a schema id the registry
-- does not know, a value that does not fit a column), kept with ClickHouse's reason and the
-- raw bytes instead of vanishing or stopping the consumer (`kafka_handle_error_mode =
-- 'stream'` in the Kafka table). Watch it: `SELECT count() FROM button_presses_errors FINAL`.
-- Collapses on the Kafka position like button_presses, so a re-read bad message counts once.
CREATE TABLE IF NOT EXISTS button_presses_errors
(
    source_topic LowCardinality(String),
    source_partition UInt32,
    source_offset UInt64,
    kafka_timestamp Nullable(DateTime64(3, 'UTC')),
    error String,
    raw_message String,
    received_at DateTime('UTC') DEFAULT now()
)
ENGINE = ReplacingMergeTree
ORDER BY (source_topic, source_partition, source_offset)
