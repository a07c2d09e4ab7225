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
  v_events audit.pending_event[];
  v_tasks coord.tasks[];
  v_task coord.tasks;
  v_event_id bigint;  -- assigned, not PERFORMed: an expression, not a query through the executor
  v_done text;  -- likewise
begin
  -- One task (a single call's, the common case): one read of the transition table, and the
  -- floor, the wake-up and the event straight from its row; the same calls, in the same order,
  -- as the statements below make for it (tests/test_task_audit_batch.py).
  v_tasks := array(select n from submitted_tasks as n limit 2);  -- one, or more than one
  if cardinality(v_tasks) = 0 then
    return null;
  end if;
  if cardinality(v_tasks) = 1 then
    v_task := v_tasks[1];
    if v_task.state = 'queued' and v_task.pending_deps = 0 then
      v_done := coord.task_became_ready(v_task.tenant_id, v_task.kind, v_task.id);
      v_done := coord.notify_task_ready(v_task, v_task.state_changed_at);
    end if;
    v_event_id := audit.record('task.submit', 'queued', 'task', v_task.id::text, null,
      jsonb_strip_nulls(jsonb_build_object('kind', v_task.kind, 'priority', v_task.priority,
        'pending_deps', v_task.pending_deps, 'unique_key', v_task.unique_key, 'locks', v_task.lock_paths,
        'repository', v_task.repository, 'run_after', v_task.run_after)),
      p_tenant_id => v_task.tenant_id, p_occurred_at => v_task.state_changed_at);
    return null;
  end if;
  -- The ready tasks inserted keep their kind's claim floor at or below them: one check per kind,
  -- at its smallest id, before the statement's transaction can commit (the floor's lock, shared,
  -- is held from here to its end, as coord.task_became_ready says).
  perform coord.task_became_ready(n.tenant_id, n.kind, min(n.id))
  from submitted_tasks as n
  where n.state = 'queued' and n.pending_deps = 0
  group by n.tenant_id, n.kind
  order by n.tenant_id, n.kind;
  -- One wake-up per tenant and kind: the notification is the same for every ready task of a kind
  -- (the kind, on the tenant's channel), and a transaction delivers it once however often it is
  -- sent. The kind's earliest run_after is ready if any of its tasks is (notify_task_ready checks).
  perform coord.notify_task_ready(n, n.state_changed_at) from submitted_tasks as n
  where n.id in (select distinct on (r.tenant_id, r.kind) r.id
                 from submitted_tasks as r
                 where r.state = 'queued' and r.pending_deps = 0
                 order by r.tenant_id, r.kind, r.run_after, r.id)
  order by n.id;
  select array_agg(row('queued', n.id::text, null,
           jsonb_strip_nulls(jsonb_build_object('kind', n.kind, 'priority', n.priority,
             'pending_deps', n.pending_deps, 'unique_key', n.unique_key, 'locks', n.lock_paths,
             'repository', n.repository, 'run_after', n.run_after)),
           null, null, null, null, n.tenant_id,
           n.state_changed_at)::audit.pending_event  -- coord.now() of the insert (coord.tg_tasks__transition)
           order by n.id)
  into v_events
  from submitted_tasks as n;
  perform audit.record_many('task.submit', 'task', v_events);
  return null;
end;
$$;

comment on function coord.tg_tasks__submitted() is 'Statement trigger: keeps the claim floor of each kind inserted ready at or below its tasks (coord.task_became_ready), announces and audits (task.submit, in task id order) the tasks an INSERT inserted; a row skipped by ON CONFLICT DO NOTHING is not among them.';
revoke all on function coord.tg_tasks__submitted() from public;

create or replace trigger tasks_submitted
  after insert on coord.tasks
  referencing new table as submitted_tasks
  for each statement execute function coord.tg_tasks__submitted();
alter table coord.tasks enable always trigger tasks_submitted;
