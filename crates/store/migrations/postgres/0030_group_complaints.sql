-- 群体诉求: the reports suggested as repeats of one case, counted when another arrives.
CREATE INDEX machine_decisions_by_target ON machine_decisions (target_case) WHERE target_case IS NOT NULL;
