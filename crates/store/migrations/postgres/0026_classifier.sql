-- 智能分类: each model trained from the store, kept with its evaluation on held-out cases and
-- that of the model in service when it was trained, on the same cases. At most one is in
-- service; none means the model trained on the project's corpus alone.
CREATE TABLE classifier_models (
    version     BIGINT PRIMARY KEY,
    trained_at  BIGINT NOT NULL,
    examples    BIGINT NOT NULL,
    held_out    BIGINT NOT NULL,
    evaluation  TEXT NOT NULL,
    compared    TEXT NOT NULL,
    in_service  BIGINT NOT NULL,
    model       BYTEA NOT NULL
);

-- Every decision the machine made about a case (a category applied or proposed, an automatic
-- dispatch, a suggested merge into the case it may repeat) with its reasons, written with the case. Whether people kept it is read from the
-- case as it is now.
CREATE TABLE machine_decisions (
    id            TEXT PRIMARY KEY,
    case_id       TEXT NOT NULL REFERENCES cases (id),
    kind          TEXT NOT NULL,
    category_code TEXT NOT NULL,
    unit_id       TEXT,
    confidence    DOUBLE PRECISION,
    reasons       TEXT NOT NULL,
    model_version BIGINT,
    target_case   TEXT,
    made_at       BIGINT NOT NULL
);
CREATE INDEX machine_decisions_by_case ON machine_decisions (case_id);
CREATE INDEX machine_decisions_by_time ON machine_decisions (made_at);

-- The confidence, in percent, at which a proposed category is applied without a person; none:
-- never.
ALTER TABLE categories ADD COLUMN auto_percent BIGINT;
