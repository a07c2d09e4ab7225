-- Every state change of coord.tasks is audited, by the api or by hand: one event per task that
-- changed state, named by the event that caused it (last_event; 'direct_change' and a warning
-- when someone changed the state without saying why), as the system for sweeps (expiry, lost
-- sessions, failed dependencies). The events of one UPDATE are written together once its rows
-- are changed, in task id order, after anything its row triggers wrote (the audit ordering rule
-- in docs/architecture.md): one INSERT for a batch claim or completion instead of one per task.
-- Old and new rows pair by id: coord.tg_tasks__transition refuses an UPDATE that changes an id.
create or replace function coord.tg_tasks__audited()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  v_events audit.pending_event[];
  v_olds coord.tasks[];
  v_news coord.tasks[];
  v_old coord.tasks;
  v_new coord.tasks;
  v_event text;
  v_event_id bigint;  -- assigned, not PERFORMed: an expression, not a query through the executor
  v_set text;  -- likewise
  v_done text;  -- likewise
begin
  -- An UPDATE that moved no task (a renewal, a dependency countdown) has nothing to audit: only
  -- coord.tg_tasks__transition, which every row passes, says one moved. No api caller can unsay
  -- it before the statement ends; a role that may UPDATE coord.tasks by hand (the owner, a
  -- superuser) can, with set_config in the same statement (RETURNING, an outer SELECT), and so
  -- skip this audit and the claimant floor, as it could by disabling the trigger.
  if pg_catalog.current_setting('coord.task_moved', true) is distinct from 'on' then
    return null;
  end if;
  v_set := pg_catalog.set_config('coord.task_moved', 'off', true);
  -- One task moved (a single call's, the common case): one read of the transition tables, and
  -- the floor and the event straight from its rows; the same calls, with the same arguments, as
  -- the statements below make for it (tests/test_task_audit_batch.py).
  select array_agg(o), array_agg(n) into v_olds, v_news
  from (select o, n
        from changed_before as o
        join changed_after as n on n.id = o.id
        where n.state <> o.state
        limit 2) as p;  -- one, or more than one
  if v_olds is null then
    return null;
  end if;
  if cardinality(v_olds) = 1 then
    v_old := v_olds[1];
    v_new := v_news[1];
    if v_new.state = 'claimed' then  -- it moved: it was not claimed before
      v_done := coord.keep_claimant_floor(v_new.tenant_id, v_new.claimed_by, v_new.claim);
    end if;
    v_event := case when v_new.last_event is distinct from v_old.last_event then v_new.last_event else 'direct_change' end;
    v_event_id := audit.record('task.' || v_event, v_new.state::text, 'task', v_new.id::text, v_new.last_error,
      jsonb_strip_nulls(jsonb_build_object('from', v_old.state, 'to', v_new.state, 'kind', v_new.kind,
        'claim', coalesce(v_new.claim, v_old.claim), 'attempt', v_new.attempts, 'max_attempts', v_new.max_attempts,
        'lease_expires_at', v_new.lease_expires_at, 'run_after', case when v_new.state = 'queued' then v_new.run_after end)),
      p_severity => case when v_event = 'direct_change' then 'warning'
                         when v_new.state in ('dead', 'failed') then 'warning' else 'info' end,
      p_system => v_event in ('expired', 'session_lost', 'dependency_failed', 'direct_change'),
      p_tenant_id => v_new.tenant_id, p_occurred_at => v_new.state_changed_at);  -- coord.now() of the change
    return null;
  end if;
  -- New claims are counted against their claimant's limit from its floor: keep the floor at or
  -- below them, once per claimant at its smallest new token (a batch claim takes many).
  perform coord.keep_claimant_floor(n.tenant_id, n.claimed_by, min(n.claim))
  from changed_before as o
  join changed_after as n on n.id = o.id
  where n.state = 'claimed' and o.state <> 'claimed'
  group by n.tenant_id, n.claimed_by
  order by n.tenant_id, n.claimed_by;
  select array_agg(row(c.state::text, c.id::text, c.last_error, c.details, null, 'task.' || c.event,
           case when c.event = 'direct_change' then 'warning'
                when c.state in ('dead', 'failed') then 'warning' else 'info' end,
           c.event in ('expired', 'session_lost', 'dependency_failed', 'direct_change'),
           c.tenant_id, c.state_changed_at)::audit.pending_event  -- coord.now() of the change
           order by c.id)
  into v_events
  from (select n.id, n.state, n.last_error, n.tenant_id, n.state_changed_at,
               case when n.last_event is distinct from o.last_event then n.last_event else 'direct_change' end as event,
               jsonb_strip_nulls(jsonb_build_object('from', o.state, 'to', n.state, 'kind', n.kind,
                 'claim', coalesce(n.claim, o.claim), 'attempt', n.attempts, 'max_attempts', n.max_attempts,
                 'lease_expires_at', n.lease_expires_at, 'run_after', case when n.state = 'queued' then n.run_after end))
                 as details
        from changed_before as o
        join changed_after as n on n.id = o.id
        where n.state <> o.state) as c;
  perform audit.record_many(null, 'task', v_events);
  return null;
end;
$$;

comment on function coord.tg_tasks__audited() is 'Statement trigger: keeps the claimant floor at or below every new claim (coord.keep_claimant_floor, once per claimant), audits every task state change of an UPDATE (task.<last_event>, or task.direct_change as a warning when last_event did not change), one event per task in task id order, written in one statement.';
revoke all on function coord.tg_tasks__audited() from public;

create or replace trigger tasks_audited
  after update on coord.tasks
  referencing old table as changed_before new table as changed_after
  for each statement execute function coord.tg_tasks__audited();
alter table coord.tasks enable always trigger tasks_audited;
