-- The Kafka consumer: reads the Avro topic directly, each value framed the Confluent way
-- (zero byte, 4-byte schema id, Avro body). ClickHouse fetches the writer schema by that id
-- from the registry, so events written under any registered version decode. The columns are
-- the original workshop integration's; `timestamp` is a plain long of µs since the epoch,
-- which DateTime64(6) takes as it is (exact µs), `session_id` a string holding a UUID.
--
-- The placeholders are filled by deploy/clickhouse/render (see README.md there).
-- TLS to the brokers (Aiven: client certificates) is set in the server's <kafka> config,
-- not here; registry credentials go into the URL (https://user:password@host:port).
CREATE TABLE IF NOT EXISTS button_presses_queue
(
    session_id UUID,
    timestamp DateTime64(6, 'UTC'),
    action String,
    country_name String,
    country_code String,
    subdivision_name String,
    subdivision_code String,
    city_name String,
    cohort Nullable(Int16)
)
ENGINE = Kafka
SETTINGS
    kafka_broker_list = '{{KAFKA_BROKERS}}',
    kafka_topic_list = '{{KAFKA_TOPIC}}',
    kafka_group_name = '{{KAFKA_GROUP}}',
    kafka_format = 'AvroConfluent',
    format_avro_schema_registry_url = '{{SCHEMA_REGISTRY_URL}}',
    -- a message that does not parse becomes a row with _error and _raw_message set, which
    -- 07-button_presses_queue_mv.sql passes on to button_presses_errors
    kafka_handle_error_mode = 'stream',
    -- a block is written at least every second, so presses show within seconds
    kafka_flush_interval_ms = 1000,
    kafka_num_consumers = 1
