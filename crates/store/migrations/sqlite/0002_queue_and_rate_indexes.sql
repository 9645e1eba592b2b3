-- The overdue queue: only cases a unit still owes, newest first, per scope column.
CREATE INDEX cases_overdue_district ON cases (district_code, id)
    WHERE due_status = 'overdue' AND state IN ('received', 'registered', 'dispatched', 'in_progress');
CREATE INDEX cases_overdue_unit ON cases (lead_unit, id)
    WHERE due_status = 'overdue' AND state IN ('received', 'registered', 'dispatched', 'in_progress');

-- Rates by street and by unit: covering indexes over the period of dispatch.
CREATE INDEX cases_rates_street ON cases (street_code, first_dispatched_at, first_contact_at, response_due, eval_resolved, eval_satisfaction);
CREATE INDEX cases_rates_unit ON cases (lead_unit, first_dispatched_at, first_contact_at, response_due, eval_resolved, eval_satisfaction);
