-- Whether completions can go ahead with no refusal from coord.check_live_claim or
-- coord.unverified_refusal (the common case), in two statements instead of those two calls per
-- task: the caller's session lives (or the call has none), and each task is claimed under its
-- claim by the caller in that session, its lease has not run out and it requires no
-- verification. It locks what check_live_claim locks, in the same order: the session (FOR
-- SHARE), then the tasks (FOR UPDATE) in id order. False when any is in doubt, having changed
-- nothing else: the caller then checks each task with those two calls, which give the refusal
-- (or the error) and its audit as before. complete_tasks asks it for a whole batch; for one task
-- (complete_task) it measured no cheaper than the two calls.
create or replace function coord.claims_completable(p_me coord.caller, p_task_ids bigint[], p_claims bigint[])
returns boolean
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
set plan_cache_mode = force_generic_plan  -- else each call plans the lock query again (a 1-task array looks cheaper)
as $$
declare
  v_now timestamptz;
  v_live integer;
begin
  if p_me.session_id is not null then
    -- coord.session_refusal's null, without its cleanup of an expired session (left to it)
    perform from coord.sessions as s
    where s.tenant_id = p_me.tenant_id and s.id = p_me.session_id
      and s.ended_at is null and s.expires_at > coord.clock_now()
    for share;
    if not found then
      return false;
    end if;
  end if;
  v_now := coord.clock_now();
  -- Every task of the tenant named is locked, whatever the checks below find (materialized: the
  -- planner would otherwise push them under the lock), as check_live_claim locks it.
  with locked as materialized (
    select t.id, t.state, t.claim, t.claimed_by, t.claimed_session_id, t.lease_expires_at, t.required_verifications
    from coord.tasks as t
    where t.tenant_id = p_me.tenant_id and t.id = any (p_task_ids)
    order by t.id
    for update)
  select count(*) into v_live
  from locked as t
  join unnest(p_task_ids, p_claims) as u (id, claim) on u.id = t.id
  where t.state = 'claimed' and t.claim = u.claim and t.claimed_by = p_me.principal_id
    and t.claimed_session_id is not distinct from p_me.session_id and t.lease_expires_at > v_now
    and cardinality(t.required_verifications) = 0;
  return v_live = cardinality(p_task_ids);
end;
$$;

comment on function coord.claims_completable(coord.caller, bigint[], bigint[]) is 'True when every task (p_task_ids, distinct) is the caller''s live claim (p_claims, in the same order) in a live session and requires no verification, the session locked FOR SHARE and the tasks FOR UPDATE in id order (as coord.check_live_claim locks them); false otherwise (then check each with check_live_claim and unverified_refusal).';
revoke all on function coord.claims_completable(coord.caller, bigint[], bigint[]) from public;
