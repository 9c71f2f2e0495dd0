-- The bot mark: events of sessions that pressed faster than a person can (the event's
-- is_bot, 1 or 0 in the enriched JSON). Rows stored before it read 0. The stats leave
-- marked events out unless asked (?bots=1). Re-runnable (IF NOT EXISTS): ClickHouse has no
-- transactional DDL. The queue and its view (kafka.sql.template) carry the column too; they
-- are re-created after the migrations, so the view never writes a column the table lacks.
ALTER TABLE button_presses ADD COLUMN IF NOT EXISTS is_bot UInt8 DEFAULT 0 AFTER is_fake;
