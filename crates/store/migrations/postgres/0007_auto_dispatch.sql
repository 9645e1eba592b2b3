-- A line of the responsibility matrix may dispatch on its own: cases it matches are
-- registered and dispatched by the platform as they arrive (自动派遣).
ALTER TABLE responsibilities ADD COLUMN auto_dispatch BIGINT NOT NULL DEFAULT 0;
