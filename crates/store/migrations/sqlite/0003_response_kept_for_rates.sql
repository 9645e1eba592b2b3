-- Whether a case's very first contact was on time, kept for the response rate when a
-- reopening starts a new round with new deadlines.
ALTER TABLE cases ADD COLUMN responded_on_time INTEGER;
UPDATE cases SET responded_on_time = CASE
    WHEN first_contact_at IS NULL THEN NULL
    WHEN first_contact_at <= response_due THEN 1
    ELSE 0
END;

DROP INDEX cases_rates;
DROP INDEX cases_rates_street;
DROP INDEX cases_rates_unit;
CREATE INDEX cases_rates ON cases (district_code, first_dispatched_at, responded_on_time, response_due, eval_resolved, eval_satisfaction);
CREATE INDEX cases_rates_street ON cases (street_code, first_dispatched_at, responded_on_time, response_due, eval_resolved, eval_satisfaction);
CREATE INDEX cases_rates_unit ON cases (lead_unit, first_dispatched_at, responded_on_time, response_due, eval_resolved, eval_satisfaction);
