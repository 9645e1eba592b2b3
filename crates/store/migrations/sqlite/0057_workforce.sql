-- 队伍建设: staff profiles (post, community, start, birth year shown only as a band,
-- qualification, leaving), training and who attended with their certificates, the yearly
-- appraisal a supervisor completes, each district's staffing standard, cadres sent down or
-- attached (下沉、挂职) and the work they did. Workload is read from the platform's own records:
-- case events by who made them (the index below, staff events only), visits by worker.
CREATE TABLE staff_profiles (
    user_id TEXT PRIMARY KEY,
    community_code TEXT NOT NULL,
    post TEXT NOT NULL,
    started_on TEXT NOT NULL,
    birth_year INTEGER NOT NULL,
    qualification TEXT NOT NULL,
    left_on TEXT,
    left_reason TEXT,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL
);
CREATE INDEX staff_profiles_by_community ON staff_profiles (community_code);

CREATE TABLE trainings (
    id TEXT PRIMARY KEY,
    region_code TEXT NOT NULL,
    title TEXT NOT NULL,
    held_on TEXT NOT NULL,
    half_hours INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX trainings_by_region ON trainings (region_code, held_on);

CREATE TABLE training_attendance (
    training_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    certificate TEXT,
    PRIMARY KEY (training_id, user_id)
);
CREATE INDEX training_attendance_by_user ON training_attendance (user_id);

CREATE TABLE appraisals (
    user_id TEXT NOT NULL,
    year INTEGER NOT NULL,
    scores TEXT NOT NULL, -- JSON, one per indicator
    total_tenths INTEGER NOT NULL,
    grade TEXT NOT NULL,
    comment TEXT NOT NULL,
    appraised_by TEXT NOT NULL,
    appraised_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, year)
);

CREATE TABLE staffing_standards (
    district_code TEXT PRIMARY KEY,
    households_per_worker INTEGER NOT NULL,
    workers_per_grid INTEGER NOT NULL,
    set_at INTEGER NOT NULL,
    set_by TEXT NOT NULL
);

CREATE TABLE secondments (
    id TEXT PRIMARY KEY,
    community_code TEXT NOT NULL,
    name TEXT NOT NULL,
    home_unit TEXT NOT NULL,
    kind TEXT NOT NULL,
    from_on TEXT NOT NULL,
    to_on TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX secondments_by_community ON secondments (community_code);

CREATE TABLE secondment_work (
    secondment_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    done_on TEXT NOT NULL,
    what TEXT NOT NULL,
    half_hours INTEGER NOT NULL,
    PRIMARY KEY (secondment_id, seq)
);

CREATE INDEX events_by_actor ON events (actor_id, at) WHERE actor_id IS NOT NULL;
