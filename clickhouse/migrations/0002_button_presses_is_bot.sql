-- The bot mark: events of sessions that pressed faster than a person can (the event's
-- is_bot, 1 or 0 in the enriched JSON). Rows stored before it read 0. The stats leave
-- marked events out unless asked (?bots=1). The queue and its view (kafka.sql.template)
-- carry the column too; they are re-created after the migrations, so the view never writes
-- a column the table lacks.
-- 18.16 has no ADD COLUMN IF NOT EXISTS: this is one statement, so it applies whole or not
-- at all; should it apply and its record in schema_migrations not be written, record
-- version 2 by hand rather than running it again.
ALTER TABLE button_presses ADD COLUMN is_bot UInt8 DEFAULT 0 AFTER is_fake;
