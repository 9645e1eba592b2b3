-- The dashboard splits a district's rates by street and by unit: with both in the index, the
-- grouped queries read the index alone instead of a row per dispatched case.
DROP INDEX cases_rates;
CREATE INDEX cases_rates ON cases (district_code, first_dispatched_at, responded_on_time, response_due, eval_resolved, eval_satisfaction, street_code, lead_unit);

-- The workbench's queues and their counts, state by state: "due soon" and "overdue" per
-- district and per unit, "returned" and a supervisor's extensions to decide per district.
-- Each extends an equality index with the column the queue tests, so that the planner (which
-- has no statistics) prefers it and finds the few matching cases without reading the rest.
CREATE INDEX cases_due_district ON cases (district_code, due_status, state, id);
CREATE INDEX cases_due_unit ON cases (lead_unit, due_status, state, id);
CREATE INDEX cases_district_returns ON cases (district_code, state, return_count, id);

-- Whether an extension waits for a supervisor, as a flag the index can hold (the request
-- itself is JSON).
ALTER TABLE cases ADD COLUMN extension_pending INTEGER NOT NULL DEFAULT 0;
UPDATE cases SET extension_pending = 1 WHERE pending_extension IS NOT NULL;
CREATE INDEX cases_district_extensions ON cases (district_code, extension_pending, state, id);

-- Cases received in a period per street, category or unit (the dashboard's volumes, the
-- map's shading), read from the index alone.
CREATE INDEX cases_received ON cases (district_code, received_at, street_code, category_code, lead_unit, state, due_status);
