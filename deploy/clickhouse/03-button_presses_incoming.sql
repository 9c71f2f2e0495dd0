-- Everything the Kafka table reads passes through here, then two views split it into
-- button_presses and button_presses_errors. Why a hop: a Kafka table starts consuming as soon
-- as one view reads it, so with two views on the Kafka table itself, messages read between
-- the first and the second CREATE would reach only one of them (good ones dropped by the
-- errors view, or bad ones by the other) and their offsets would be committed. A Null table
-- stores nothing; its views see every block inserted into it.
CREATE TABLE IF NOT EXISTS button_presses_incoming
(
    session_id UUID,
    timestamp DateTime64(6, 'UTC'),
    action String,
    country_name String,
    country_code String,
    subdivision_name String,
    subdivision_code String,
    city_name String,
    cohort Nullable(Int16),
    source_topic String,
    source_partition UInt32,
    source_offset UInt64,
    kafka_timestamp Nullable(DateTime64(3, 'UTC')),
    error String,
    raw_message String
)
ENGINE = Null
