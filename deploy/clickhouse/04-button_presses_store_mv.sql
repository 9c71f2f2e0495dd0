-- Decoded events into button_presses, with their Kafka position.
CREATE MATERIALIZED VIEW IF NOT EXISTS button_presses_store_mv TO button_presses AS
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
    source_topic,
    source_partition,
    source_offset
FROM button_presses_incoming
WHERE length(error) = 0
