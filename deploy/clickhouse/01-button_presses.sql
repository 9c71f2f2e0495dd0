-- The table the stats read: one row per event of the topic, exact to the microsecond.
--
-- ReplacingMergeTree collapses rows with equal sorting keys. The key ends with the Kafka
-- position (topic, partition, offset), and everything before it is decoded from the message
-- at that position, so two rows share a key exactly when they are the same message read twice
-- (a consumer restarted before committing): duplicates collapse on the position, and two
-- presses with the same content at different offsets stay two rows. Merges collapse them
-- eventually; the stats read with FINAL to get the collapsed view at any moment. A message
-- always lands in the partition of its own month, so its duplicates share a partition and
-- `do_not_merge_across_partitions_select_final = 1` is safe for FINAL queries.
--
-- Sorting: country, then time, serves the per-country and per-period aggregates; the bloom
-- filter on session_id lets one session's events be found without reading every granule.
CREATE TABLE IF NOT EXISTS button_presses
(
    session_id UUID,
    timestamp DateTime64(6, 'UTC'),
    action LowCardinality(String),
    country_name LowCardinality(String),
    country_code LowCardinality(String),
    subdivision_name LowCardinality(String),
    subdivision_code LowCardinality(String),
    city_name String,
    -- null marks fake data, as in the original app
    cohort Nullable(Int16),
    -- where the event was read: what duplicates collapse on
    source_topic LowCardinality(String),
    source_partition UInt32,
    source_offset UInt64,
    INDEX session_id_bloom session_id TYPE bloom_filter GRANULARITY 1
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(timestamp)
ORDER BY (country_code, timestamp, session_id, source_topic, source_partition, source_offset)
