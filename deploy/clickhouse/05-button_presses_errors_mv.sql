-- Messages that did not parse into button_presses_errors.
CREATE MATERIALIZED VIEW IF NOT EXISTS button_presses_errors_mv TO button_presses_errors AS
SELECT source_topic, source_partition, source_offset, kafka_timestamp, error, raw_message
FROM button_presses_incoming
WHERE length(error) > 0
