-- Unit rates are asked within a district scope: carry the district in the unit's covering
-- index so the count never visits the table.
DROP INDEX cases_rates_unit;
CREATE INDEX cases_rates_unit ON cases (lead_unit, first_dispatched_at, responded_on_time, response_due, eval_resolved, eval_satisfaction, district_code);
