create or replace function api.prune_tasks(p_finished_before interval default interval '7 days')
returns api.result
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := coord.principal();
  v_decision authz.decision;
  v_counts jsonb;
begin
  perform coord.check_interval(p_finished_before, 'CO420', 'finished_before', interval '0', interval '100 years');
  v_decision := authz.gate('task.prune', 'tenant', v_me.tenant_id::text,
    jsonb_build_object('finished_before', p_finished_before));
  if not v_decision.allowed then
    return coord.result(p_refusal => v_decision);
  end if;
  -- Every transition of these tasks stays in the audit log, which is their history.
  with pruned as (
    delete from coord.tasks as t
    where t.tenant_id = v_me.tenant_id and t.state in ('completed', 'failed', 'cancelled')
      and t.finished_at < coord.now() - p_finished_before
    returning t.state
  )
  select coalesce(jsonb_object_agg(state, n), '{}') into v_counts
  from (select state::text, count(*) as n from pruned group by state) as c;
  perform audit.record('task.prune', 'pruned', 'tenant', v_me.tenant_id::text, null,
    jsonb_build_object('finished_before', p_finished_before, 'pruned', v_counts), v_decision);
  return coord.result('pruned', p_details => jsonb_build_object('pruned', v_counts));
end;
$$;

comment on function api.prune_tasks(interval) is
'Operators: deletes completed, failed and cancelled tasks of your tenant that finished more than p_finished_before ago (default 7 days); dead tasks stay until an operator redrives them. Their history remains in the audit log. Code pruned, details.pruned counts by state; denied when the policy refuses (details.rule). Errors: CO420 interval negative or over 100 years.';
revoke all on function api.prune_tasks(interval) from public;
grant execute on function api.prune_tasks(interval) to coord_operator;
