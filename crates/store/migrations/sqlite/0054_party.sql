-- 党建引领: the party organisations aligned with regions and grids (a tree by parent_id), their
-- members with names and phones sealed, the households each member keeps contact with (党员联户:
-- one member per household at a time) and the contacts, in-service members registered with
-- the community where they live (双报到) and their service, activities and attendance. Every
-- table carries the place it belongs to (place_code, community_code or grid_code), so each
-- distributes by its community as households and visits do.
CREATE TABLE party_orgs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    parent_id TEXT REFERENCES party_orgs (id),
    place_code TEXT NOT NULL,
    building TEXT,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX party_orgs_by_place ON party_orgs (place_code);
CREATE INDEX party_orgs_by_parent ON party_orgs (parent_id);

CREATE TABLE party_members (
    id TEXT NOT NULL,
    org_id TEXT NOT NULL REFERENCES party_orgs (id),
    community_code TEXT NOT NULL,
    grid_code TEXT,
    role TEXT NOT NULL,
    name_masked TEXT NOT NULL,
    personal_enc BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    left_at INTEGER,
    left_reason TEXT,
    PRIMARY KEY (community_code, id)
);
CREATE UNIQUE INDEX party_members_by_id ON party_members (id);
CREATE INDEX party_members_by_org ON party_members (org_id);
CREATE INDEX party_members_by_grid ON party_members (grid_code);

CREATE TABLE party_links (
    id TEXT NOT NULL,
    member_id TEXT NOT NULL,
    household_id TEXT NOT NULL REFERENCES households (id),
    grid_code TEXT NOT NULL,
    linked_on TEXT NOT NULL, -- YYYY-MM-DD, Beijing date
    created_at INTEGER NOT NULL,
    ended_at INTEGER,
    PRIMARY KEY (grid_code, id)
);
-- A household is in one grid, so one active link per (grid, household) is one per household.
CREATE UNIQUE INDEX party_links_one_member ON party_links (grid_code, household_id) WHERE ended_at IS NULL;
CREATE INDEX party_links_by_member ON party_links (member_id);
CREATE INDEX party_links_by_household ON party_links (household_id) WHERE ended_at IS NULL;

CREATE TABLE party_contacts (
    id TEXT NOT NULL,
    member_id TEXT NOT NULL,
    household_id TEXT NOT NULL REFERENCES households (id),
    grid_code TEXT NOT NULL,
    contacted_on TEXT NOT NULL, -- YYYY-MM-DD, Beijing date
    means TEXT NOT NULL,
    topic TEXT NOT NULL,
    follow_up TEXT,
    case_id TEXT,
    recorded_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (grid_code, id)
);
CREATE INDEX party_contacts_by_grid ON party_contacts (grid_code, contacted_on);
CREATE INDEX party_contacts_by_member ON party_contacts (member_id, contacted_on);

CREATE TABLE party_registrations (
    id TEXT NOT NULL,
    community_code TEXT NOT NULL,
    grid_code TEXT,
    home_org TEXT NOT NULL,
    name_masked TEXT NOT NULL,
    personal_enc BLOB NOT NULL,
    registered_on TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    ended_at INTEGER,
    PRIMARY KEY (community_code, id)
);
CREATE UNIQUE INDEX party_registrations_by_id ON party_registrations (id);

CREATE TABLE party_services (
    id TEXT NOT NULL,
    registration_id TEXT NOT NULL,
    community_code TEXT NOT NULL,
    served_on TEXT NOT NULL,
    half_hours INTEGER NOT NULL,
    what TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (community_code, id)
);
CREATE INDEX party_services_by_community ON party_services (community_code, served_on);
CREATE INDEX party_services_by_registration ON party_services (registration_id);

CREATE TABLE party_activities (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES party_orgs (id),
    place_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    held_on TEXT NOT NULL,
    venue TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX party_activities_by_place ON party_activities (place_code, held_on);
CREATE INDEX party_activities_by_org ON party_activities (org_id, held_on);

CREATE TABLE party_attendance (
    activity_id TEXT NOT NULL REFERENCES party_activities (id),
    member_id TEXT NOT NULL,
    status TEXT NOT NULL,
    PRIMARY KEY (activity_id, member_id)
);
