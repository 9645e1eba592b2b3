-- A community's and a grid worker's queues "due soon" and "overdue", as 0008 and 0011 gave
-- districts and streets: without these, at ten million cases, a community's counts read every
-- due-soon or overdue case of the district (1.4-1.8 s), a grid's queue walked every open case.
CREATE INDEX cases_due_community ON cases (community_code, due_status, state, id);
CREATE INDEX cases_due_grid ON cases (grid_code, due_status, state, id);
