-- One gate, one shape of refusal: api functions pass authz.gate and build results with
-- constructors checked against coord.outcome_registry (plpgsql/). What the gate now decides
-- (whose task, which profile, how much trust) moved from authz.profile_guard into
-- authz.object_refusal; coord.make_lock_result became coord.lock_result; check_live_claim
-- raises CO412 itself for a second completion. The old signatures go, so no overload stays.
set local role coord_owner;

drop function if exists coord.make_lock_result(boolean, text, text, text, text, bigint, timestamptz, jsonb, jsonb);
drop function if exists authz.profile_guard(authz.decision, uuid, integer, uuid);
drop function if exists coord.check_live_claim(api.principal_info, bigint, bigint);
