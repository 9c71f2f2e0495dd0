-- Attaching this view starts the Kafka table consuming; everything it feeds exists by now.
CREATE MATERIALIZED VIEW IF NOT EXISTS button_presses_queue_mv TO button_presses_incoming AS
SELECT
    session_id,
    timestamp,
    action,
    country_name,
    country_code,
    subdivision_name,
    subdivision_code,
    city_name,
    cohort,
    _topic AS source_topic,
    toUInt32(_partition) AS source_partition,
    _offset AS source_offset,
    _timestamp_ms AS kafka_timestamp,
    _error AS error,
    _raw_message AS raw_message
FROM button_presses_queue
