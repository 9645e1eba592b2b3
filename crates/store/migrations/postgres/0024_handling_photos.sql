-- Photos belong to the event that brought them: the report (sequence 1, every photo so far), a
-- resident's addition, or the unit's report of the result; and a category may require a photo
-- of the result when its cases are reported handled.
ALTER TABLE attachments ADD COLUMN event_seq BIGINT NOT NULL DEFAULT 1;
ALTER TABLE categories ADD COLUMN photo_on_handling BIGINT NOT NULL DEFAULT 0;
