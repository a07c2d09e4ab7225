create or replace function api.claim_task(p_kinds text[], p_lease interval default interval '5 minutes')
returns api.claim_result
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  return (select c from api.claim_tasks(p_kinds, p_lease, 1) as c limit 1);
end;
$$;

comment on function api.claim_task(text[], interval) is
'Claims the best ready task of p_kinds (priority, then age) for p_lease: code claimed with task_id, payload, claim (the fencing token renew/complete/fail need), attempt and lease_expires_at, and in locks the fences of the leases it declared. ok=false with empty, at_limit (your concurrency limit), session_ended or denied. Errors: CO241/CO401/CO402 kinds, CO406 lease, CO213.';
revoke all on function api.claim_task(text[], interval) from public;
grant execute on function api.claim_task(text[], interval) to coord_agent, coord_operator;
