-- The tasks one INSERT really inserted are submitted: announced to waiting claimers and audited,
-- one task.submit event each, written together once the statement's rows are in (in task id
-- order, after anything the statement's row triggers wrote: the audit ordering rule in
-- docs/architecture.md). An AFTER trigger over the statement's new rows, so that a duplicate
-- that INSERT ... ON CONFLICT DO NOTHING skips (a unique_key already queued) writes no event for
-- a task that never existed and wakes nobody.
create or replace function coord.tg_tasks__submitted()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  v_ids text[];
  v_details jsonb[];
  v_tenants uuid[];
  v_times timestamptz[];
  v_event_id bigint;  -- assigned, not PERFORMed: an expression, not a query through the executor
  v_count integer;
begin
  perform coord.notify_task_ready(n) from submitted_tasks as n order by n.id;
  select array_agg(n.id::text order by n.id),
         array_agg(jsonb_strip_nulls(jsonb_build_object('kind', n.kind, 'priority', n.priority,
           'pending_deps', n.pending_deps, 'unique_key', n.unique_key, 'locks', n.lock_paths, 'repository', n.repository,
           'run_after', n.run_after)) order by n.id),
         array_agg(n.tenant_id order by n.id),
         array_agg(n.state_changed_at order by n.id),  -- coord.now() of the insert (coord.tg_tasks__transition)
         count(*)
  into v_ids, v_details, v_tenants, v_times, v_count
  from submitted_tasks as n;
  -- One task (a single call's) takes audit.record, the cheaper call for one event; the rows are
  -- the same either way (tests/test_task_audit_batch.py).
  if v_count = 1 then
    v_event_id := audit.record('task.submit', 'queued', 'task', v_ids[1], null, v_details[1],
      p_tenant_id => v_tenants[1], p_occurred_at => v_times[1]);
  elsif v_count > 1 then
    perform audit.record_each(array_fill('task.submit'::text, array[v_count]), array_fill('queued'::text, array[v_count]),
      'task', v_ids, array_fill(null::text, array[v_count]), v_details, array_fill('info'::text, array[v_count]),
      array_fill(false, array[v_count]), v_tenants, v_times);
  end if;
  return null;
end;
$$;

comment on function coord.tg_tasks__submitted() is 'Statement trigger: announces and audits (task.submit, in task id order) the tasks an INSERT inserted; a row skipped by ON CONFLICT DO NOTHING is not among them.';
revoke all on function coord.tg_tasks__submitted() from public;

create or replace trigger tasks_submitted
  after insert on coord.tasks
  referencing new table as submitted_tasks
  for each statement execute function coord.tg_tasks__submitted();
alter table coord.tasks enable always trigger tasks_submitted;
