-- 政府购买服务: projects a street office or district department buys from a social
-- organisation (a helper), with their indicators (what each report delivered is added to
-- `actual` in the report's transaction), their milestones (each reached at most once, its
-- payment added to the project's `paid_fen` only while it stays within the budget), the
-- reports in order, and the third party's evaluation at the end.
CREATE TABLE projects (
    id TEXT PRIMARY KEY,
    purchaser_unit TEXT NOT NULL,
    region_code TEXT NOT NULL,
    provider_id TEXT NOT NULL REFERENCES helpers (id),
    name TEXT NOT NULL,
    budget_fen INTEGER NOT NULL,
    paid_fen INTEGER NOT NULL DEFAULT 0,
    starts_on TEXT NOT NULL, -- YYYY-MM-DD
    ends_on TEXT NOT NULL,
    evaluator TEXT,
    score INTEGER,
    evaluation TEXT,
    evaluated_at INTEGER,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX projects_by_region ON projects (region_code);
CREATE INDEX projects_by_provider ON projects (provider_id);

CREATE TABLE project_indicators (
    project_id TEXT NOT NULL REFERENCES projects (id),
    seq INTEGER NOT NULL,
    name TEXT NOT NULL,
    unit TEXT NOT NULL,
    target INTEGER NOT NULL,
    actual INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (project_id, seq)
);

CREATE TABLE project_milestones (
    project_id TEXT NOT NULL REFERENCES projects (id),
    seq INTEGER NOT NULL,
    name TEXT NOT NULL,
    due_on TEXT NOT NULL,
    payment_fen INTEGER NOT NULL,
    requires_seq INTEGER,
    requires_least INTEGER,
    reached_at INTEGER,
    reached_by TEXT,
    PRIMARY KEY (project_id, seq)
);

CREATE TABLE project_reports (
    project_id TEXT NOT NULL REFERENCES projects (id),
    seq INTEGER NOT NULL,
    at INTEGER NOT NULL,
    by_user TEXT NOT NULL,
    note TEXT NOT NULL,
    amounts TEXT NOT NULL, -- JSON: what it delivered of each indicator, in order
    PRIMARY KEY (project_id, seq)
);
