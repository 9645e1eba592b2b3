-- A street's workbench ("due soon", "overdue", "returned"), as 0008 gave districts: without
-- these a street's counts read every overdue case of the city (0.65 s at a million cases).
CREATE INDEX cases_due_street ON cases (street_code, due_status, state, id);
CREATE INDEX cases_street_returns ON cases (street_code, state, return_count, id);
