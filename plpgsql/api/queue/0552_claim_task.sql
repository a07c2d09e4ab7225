create or replace function api.claim_task(p_kinds text[], p_lease interval default interval '5 minutes')
returns api.claim_result
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
begin
  return (select c from api.claim_tasks(p_kinds, p_lease, 1) as c limit 1);
end;
$$;

comment on function api.claim_task(text[], interval) is
'Claims the best ready task of p_kinds (priority, then age) for p_lease: code claimed with task_id, payload, claim (the fencing token renew/complete/fail need), attempt and lease_expires_at, and in locks the fences of the leases it declared. A task that declares leases is claimed only if you may take them as acquire_lock would (scope locks:write, trust, allowed operations, the lease within max_lock_ttl) and they fit your profile''s max_locks; otherwise it is skipped, stays queued, and the refusal is audited (lock.acquire). ok=false with empty, outside_skill (your session runs a skill whose manifest does not cover the leases every ready task declares: details.task_ids, needs, skill; those tasks stay queued), at_limit (your concurrency limit; or, with details.max_locks, leases_held, leases_needed and task_ids, the leases of the ready tasks do not fit max_locks), session_ended or denied (the claim, or with details.rule and task_ids the leases the ready tasks declare). Errors: CO241/CO401/CO402 kinds, CO406 lease, CO213.';
revoke all on function api.claim_task(text[], interval) from public;
grant execute on function api.claim_task(text[], interval) to coord_agent, coord_operator;
