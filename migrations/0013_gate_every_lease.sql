-- Every lease passes one decision, however it is taken or extended: authz.decide gains
-- p_within (a decision inside a call already decided, such as the leases a claim takes),
-- coord.locks_over_limit counts a set of paths, and coord.take_task_leases audits each grant
-- with the lease decision. The new signatures are created by plpgsql/; the old ones go.
drop function if exists authz.decide(text, text, jsonb);
drop function if exists coord.locks_over_limit(api.principal_info, text);
drop function if exists coord.take_task_leases(api.principal_info, bigint, text[], interval, timestamptz);
