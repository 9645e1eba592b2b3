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
CREATE INDEX cases_district_extensions ON cases (district_code, state, pending_extension);
