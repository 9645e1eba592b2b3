-- 全文检索: the side index reads the outbox by time and id, and the cases whose personal data
-- was erased (their texts change without an event).
CREATE INDEX outbox_by_time ON outbox (created_at, id);
CREATE INDEX cases_erased ON cases (personal_erased_at) WHERE personal_erased_at IS NOT NULL;
