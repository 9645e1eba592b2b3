-- The open cases placed by their address alone, by street, community and category: where
-- intake looks for the case a phoned-in report repeats. Before, that look-up read every open
-- address-only case of the category in the city through cases_open_nearby, a row each, and
-- its cost grew with the backlog (0.6 ms a report at 11,000 open cases, most of intake's
-- reading). Partial, so the index holds only what the look-up can find: a case leaves it when
-- it closes or is given a point. The states must match the look-up's list for the index to
-- be used.
CREATE INDEX cases_open_by_address ON cases (street_code, community_code, category_code, received_at)
    WHERE lat IS NULL AND state IN ('received', 'registered', 'dispatched', 'in_progress', 'handled', 'verifying');
