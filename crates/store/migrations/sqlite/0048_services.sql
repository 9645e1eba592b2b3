-- 为民服务中心: the catalogue of service items (事项) a street's centre handles; residents'
-- online applications (网上办、掌上办) with their moves, their materials in files named by their
-- digest and the limit each runs against (due_at: five working days to accept from
-- submission, the item's own limit from acceptance; NULL while waiting for the applicant or
-- once decided); and appointments at the centre, one seat of a half-hour slot each, so a
-- slot's capacity holds under concurrent bookings by the primary key.
CREATE TABLE service_items (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    department TEXT NOT NULL,
    who_may_apply TEXT NOT NULL,
    materials TEXT NOT NULL, -- one a line
    time_limit_days INTEGER NOT NULL,
    fee TEXT NOT NULL,
    place TEXT NOT NULL,
    online INTEGER NOT NULL,
    keywords TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE applications (
    id TEXT PRIMARY KEY,
    street_code TEXT NOT NULL,
    item_code TEXT NOT NULL REFERENCES service_items (code),
    resident_id TEXT NOT NULL,
    applicant_masked TEXT NOT NULL,
    applicant_enc BLOB NOT NULL,
    note TEXT,
    state TEXT NOT NULL,
    due_at INTEGER,
    received_at INTEGER NOT NULL,
    accepted_at INTEGER,
    decided_at INTEGER,
    updated_at INTEGER NOT NULL
);
CREATE INDEX applications_by_place ON applications (street_code, state, due_at);
CREATE INDEX applications_by_resident ON applications (resident_id);

CREATE TABLE application_moves (
    application_id TEXT NOT NULL REFERENCES applications (id),
    seq INTEGER NOT NULL,
    move TEXT NOT NULL,
    state_after TEXT NOT NULL,
    by_kind TEXT NOT NULL,
    by_id TEXT,
    note TEXT,
    at INTEGER NOT NULL,
    PRIMARY KEY (application_id, seq)
);

CREATE TABLE application_files (
    application_id TEXT NOT NULL REFERENCES applications (id),
    digest TEXT NOT NULL,
    media_type TEXT NOT NULL,
    added_at INTEGER NOT NULL,
    PRIMARY KEY (application_id, digest)
);
CREATE INDEX application_files_by_digest ON application_files (digest);

CREATE TABLE appointments (
    street_code TEXT NOT NULL,
    day TEXT NOT NULL, -- YYYY-MM-DD, Beijing
    slot TEXT NOT NULL, -- HH:MM
    seat INTEGER NOT NULL,
    id TEXT NOT NULL,
    resident_id TEXT NOT NULL,
    item_code TEXT REFERENCES service_items (code),
    booked_at INTEGER NOT NULL,
    PRIMARY KEY (street_code, day, slot, seat)
);
CREATE UNIQUE INDEX appointments_by_id ON appointments (id);
CREATE INDEX appointments_by_resident ON appointments (resident_id, day);
