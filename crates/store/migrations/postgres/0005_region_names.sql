-- Former names of regions: a renamed street or community keeps its history.
CREATE TABLE region_names (
    code        TEXT NOT NULL,
    name        TEXT NOT NULL,
    replaced_at BIGINT NOT NULL,
    PRIMARY KEY (code, replaced_at, name)
);
