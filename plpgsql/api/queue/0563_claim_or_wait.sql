-- The claim of a claimer that waits: tasks becoming ready in the tenant are announced on its
-- task channel only while a claimer waits (coord.notify_task_ready), so this registers the
-- connection before it claims, and keeps it registered while it finds nothing. Only a connection
-- that LISTENs on the channel is registered (coord.await_tasks): from any other this is claim_task.
create or replace function api.claim_or_wait(
  p_kinds text[],
  p_lease interval default interval '5 minutes',
  p_waiting boolean default true
)
returns api.claim_result
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := coord.principal();
  v_result api.claim_result;
  v_done text;  -- the checks' answer (none): assigned, not PERFORMed (an expression, not a query)
begin
  v_done := coord.check_kinds(p_kinds);
  v_done := coord.check_duration(p_lease, 'CO406', 'lease');
  if p_waiting then
    perform coord.await_tasks(v_me.tenant_id, true);  -- before the claim: see coord.await_tasks
  end if;
  v_result := api.claim_task(p_kinds, p_lease);
  if not p_waiting or v_result.code is distinct from 'empty' then
    perform coord.await_tasks(v_me.tenant_id, false);
  end if;
  return v_result;
end;
$$;

comment on function api.claim_or_wait(text[], interval, boolean) is
'claim_task for a claimer that waits for work: LISTEN on the tenant''s task channel (details.channel of an empty claim) first, committed (autocommit), then call this; while it answers empty, this connection counts as a waiting claimer and every task that becomes ready is announced on the channel (payload: its kind), so call it again when one arrives (and every few seconds: a task whose run_after passes is not announced). A connection that does not LISTEN on the channel (a pooled connection of PostgREST or the MCP server, one whose LISTEN has not committed yet, one that UNLISTENed) is no waiting claimer: for it this is claim_task, and it stops waiting. With p_waiting false (the last look, when you stop waiting) or once it answers anything else, the connection stops waiting; so does closing it. Nothing is announced while no claimer waits. Codes as claim_task: claimed, or ok=false with empty, outside_skill, at_limit, session_ended or denied. Errors: CO241/CO401/CO402 kinds, CO406 lease, CO213.';
revoke all on function api.claim_or_wait(text[], interval, boolean) from public;
grant execute on function api.claim_or_wait(text[], interval, boolean) to coord_agent, coord_operator;
