-- The presses as ClickHouse keeps them, fed by the materialized view over the Kafka-engine
-- table (clickhouse/kafka.sql.template). The original integration's columns, then the exact
-- time, the enrichment and where the event was read.
--
-- ReplacingMergeTree collapses rows with the same sort key. The key orders the rows for the
-- stats queries (per country and time, then per session) and ends with the source position,
-- so it names one event: an event enriched twice (the enricher restarted, a stream of the
-- Kafka engine retried) collapses, two events never do. Merges collapse in the background;
-- read with FINAL to see every event exactly once.
CREATE TABLE IF NOT EXISTS button_presses
(
    session_id UUID,
    timestamp UInt64,
    event_time DateTime('UTC') DEFAULT toDateTime(intDiv(timestamp, 1000000), 'UTC'),
    action String,
    country_name String,
    country_code String,
    subdivision_name String,
    subdivision_code String,
    city_name String,
    cohort Nullable(Int16),
    is_fake UInt8,
    latitude Nullable(Float64),
    longitude Nullable(Float64),
    time_zone String,
    local_hour Nullable(UInt8),
    local_weekday Nullable(UInt8),
    source_topic String,
    source_partition Int32,
    source_offset Int64,
    ingested_at DateTime('UTC') DEFAULT now()
)
ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMM(event_time)
ORDER BY (country_code, event_time, session_id, timestamp, source_topic, source_partition, source_offset);
