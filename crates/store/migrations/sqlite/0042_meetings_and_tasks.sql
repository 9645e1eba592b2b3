-- 议事会 and 决议落实: meetings of a street, community or grid with their agenda (topics or
-- items of their own), participants by role (no names), attendance and minutes; the tasks
-- that carry out a meeting's decisions or a vote's result, their milestones and progress.
CREATE TABLE meetings (
    id TEXT PRIMARY KEY,
    region_code TEXT NOT NULL,
    title TEXT NOT NULL,
    place TEXT NOT NULL,
    starts_at INTEGER NOT NULL,
    state TEXT NOT NULL, -- planned | held
    minutes TEXT,
    held_at INTEGER,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX meetings_by_region ON meetings (region_code, starts_at);
CREATE TABLE meeting_items (
    meeting_id TEXT NOT NULL REFERENCES meetings (id),
    position INTEGER NOT NULL,
    topic_id TEXT,
    title TEXT NOT NULL,
    PRIMARY KEY (meeting_id, position)
);
CREATE INDEX meeting_items_by_topic ON meeting_items (topic_id);
CREATE TABLE meeting_participants (
    meeting_id TEXT NOT NULL REFERENCES meetings (id),
    position INTEGER NOT NULL,
    kind TEXT NOT NULL,
    label TEXT NOT NULL,
    attended INTEGER NOT NULL,
    PRIMARY KEY (meeting_id, position)
);
CREATE TABLE tasks (
    id TEXT PRIMARY KEY,
    region_code TEXT NOT NULL,
    title TEXT NOT NULL,
    source_kind TEXT NOT NULL, -- meeting | vote
    source_id TEXT NOT NULL,
    owner_kind TEXT NOT NULL, -- unit | committee | organisation
    owner TEXT NOT NULL,
    deadline INTEGER NOT NULL,
    percent INTEGER NOT NULL,
    done_at INTEGER,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX tasks_by_region ON tasks (region_code, deadline);
CREATE INDEX tasks_by_source ON tasks (source_id);
CREATE INDEX tasks_by_deadline ON tasks (deadline);
CREATE TABLE task_milestones (
    task_id TEXT NOT NULL REFERENCES tasks (id),
    position INTEGER NOT NULL,
    title TEXT NOT NULL,
    due INTEGER NOT NULL,
    done_at INTEGER,
    PRIMARY KEY (task_id, position)
);
-- Progress reported, with a photo kept as a content-addressed file like case attachments.
CREATE TABLE task_updates (
    id TEXT PRIMARY KEY,
    task_id TEXT NOT NULL REFERENCES tasks (id),
    at INTEGER NOT NULL,
    by_user TEXT NOT NULL,
    note TEXT NOT NULL,
    percent INTEGER NOT NULL,
    photo_digest TEXT,
    photo_type TEXT
);
CREATE INDEX task_updates_by_task ON task_updates (task_id, at);
CREATE INDEX task_updates_by_photo ON task_updates (photo_digest);
