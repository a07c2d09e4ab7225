-- The one gate of the task state machine. Every insert and state change of coord.tasks, by
-- the api or by hand, passes here: illegal moves are refused (CO411), waiting claimers are
-- woken when a task becomes ready, and the change's time is stamped. The audit events come after
-- the statement, one per inserted task (coord.tg_tasks__submitted) and one per state change
-- (coord.tg_tasks__audited: as the system for sweeps, as a warning when someone changed the
-- state without saying why), each statement's in one INSERT. That trigger pairs a task's old and
-- new row by id, so an id never changes (an audit trail names the task by it, too).
create or replace function coord.tg_tasks__transition()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  v_set text;  -- set_config's answer: assigned, not PERFORMed (an expression, not a query per row)
  v_done text;  -- likewise for the calls below that answer nothing
begin
  -- This transaction changed a task: its claim floor must not move (coord.advance_task_floor).
  v_set := pg_catalog.set_config('coord.tasks_changed', 'on', true);
  if tg_op = 'UPDATE' and new.id <> old.id then
    perform coord.fail('CO411', format('task %s keeps its id (not %s): its audit trail and its dependencies name it', old.id, new.id),
      'a task''s id never changes; submit a new task instead');
  end if;
  -- The field ranges, as the CHECK constraints tasks_values_check and tasks_repository_check
  -- held them until migration 0045 (same SQLSTATE 23514, constraint name and message): a table's
  -- CHECKs are prepared again in every statement that writes it (~40 us of each task write for
  -- these two), here they are cached with the function. A column an UPDATE leaves as it was
  -- passed when it was written, so only the changed ones are checked (OLD is null on INSERT).
  if not ((new.kind is not distinct from old.kind or new.kind ~ '^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,127}$')
          and (new.payload is not distinct from old.payload or octet_length(new.payload::text) <= 65536)
          and (new.result is null or new.result is not distinct from old.result
               or octet_length(new.result::text) <= 65536)
          and new.priority between -1000 and 1000
          and new.pending_deps >= 0
          and new.max_attempts between 1 and 100
          and new.attempts between 0 and new.max_attempts
          and new.required_trust between 0 and 4
          and (new.unique_key is null or char_length(new.unique_key) between 1 and 200)
          and cardinality(new.lock_paths) <= 64
          and (new.last_error is null or char_length(new.last_error) <= 4000)) then
    raise exception using errcode = 'check_violation', constraint = 'tasks_values_check', schema = 'coord',
      table = 'tasks', message = 'new row for relation "tasks" violates check constraint "tasks_values_check"',
      detail = format('Failing row has id %s.', new.id),
      hint = 'kind 1-128 of [A-Za-z0-9_.:/-], payload and result at most 64 KiB, priority -1000..1000, '
             'max_attempts 1..100, attempts 0..max_attempts, required_trust 0..4, unique_key 1-200 characters, '
             'at most 64 lock paths, last_error at most 4000 characters';
  end if;
  if new.repository is distinct from old.repository and not new.repository ~ '^[a-z0-9][a-z0-9_.-]{0,62}$' then
    raise exception using errcode = 'check_violation', constraint = 'tasks_repository_check', schema = 'coord',
      table = 'tasks', message = 'new row for relation "tasks" violates check constraint "tasks_repository_check"',
      detail = format('Failing row has id %s.', new.id),
      hint = 'a repository name is 1-63 of [a-z0-9_.-], starting with a letter or digit';
  end if;
  -- A task becoming ready keeps its kind's claim floor at or below it (coord.task_became_ready);
  -- so does a ready task given another tenant or kind (by hand): the floor is by kind. Inserted
  -- tasks are seen to after the statement, once per kind (coord.tg_tasks__submitted).
  if tg_op = 'UPDATE' and new.state = 'queued' and new.pending_deps = 0
     and (old.state <> 'queued' or old.pending_deps <> 0 or old.kind <> new.kind
          or old.tenant_id <> new.tenant_id) then
    v_done := coord.task_became_ready(new.tenant_id, new.kind, new.id);
  end if;
  if tg_op = 'INSERT' then
    if new.state <> 'queued' then
      perform coord.fail('CO411', format('a new task starts queued, not %s', new.state));
    end if;
    -- the audit event and the wake-up come after the insert (coord.tg_tasks__submitted): an
    -- insert that ON CONFLICT DO NOTHING skips is no submission
    new.state_changed_at := coord.now();
    return new;
  end if;

  if new.state = old.state then
    -- Without a transition, a finished task never changes and a claim never changes hands.
    if old.state in ('completed', 'failed', 'cancelled', 'dead') and new is distinct from old then
      perform coord.fail('CO411', format('task %s is %s; a finished task does not change', old.id, old.state));
    end if;
    if old.state = 'claimed' and (new.claim, new.claimed_by, new.claimed_session_id, new.tenant_id)
                                 is distinct from (old.claim, old.claimed_by, old.claimed_session_id, old.tenant_id) then
      perform coord.fail('CO411', format('task %s: a claim does not change hands without a transition', old.id));
    end if;
    if new.state = 'queued' and new.pending_deps = 0 and old.pending_deps > 0 then
      v_done := coord.notify_task_ready(new);  -- its last prerequisite completed
    end if;
    return new;
  end if;
  if not ((old.state, new.state) in (
      ('queued', 'claimed'), ('queued', 'cancelled'),
      ('claimed', 'completed'), ('claimed', 'queued'), ('claimed', 'failed'), ('claimed', 'dead'),
      ('claimed', 'cancelled'),
      ('dead', 'queued'), ('failed', 'queued'))) then
    perform coord.fail('CO411', format('task %s cannot move from %s to %s', old.id, old.state, new.state));
  end if;

  -- A new claim is counted against the claimant's limit from its floor: coord.tg_tasks__audited
  -- keeps the floor at or below it after the statement, once per claimant.
  new.state_changed_at := coord.now();
  if new.state = 'queued' then  -- only a queued task can be ready: a claim or a finish wakes nobody
    v_done := coord.notify_task_ready(new, new.state_changed_at);
  end if;
  -- Audited after the statement (coord.tg_tasks__audited), which skips statements that moved no
  -- task unless this says one did: a caller who sets it only makes the trigger look for nothing.
  v_set := pg_catalog.set_config('coord.task_moved', 'on', true);
  return new;
end;
$$;

comment on function coord.tg_tasks__transition() is 'Trigger: refuses illegal task state transitions (CO411), a task inserted in another state than queued and a changed id, notifies the tenant''s task channel when a task becomes ready and stamps state_changed_at (the statement triggers coord.tg_tasks__submitted and coord.tg_tasks__audited audit, and keep the claim floors of kinds and claimants).';
revoke all on function coord.tg_tasks__transition() from public;

create or replace trigger tasks_transition
  before insert or update on coord.tasks
  for each row execute function coord.tg_tasks__transition();
alter table coord.tasks enable always trigger tasks_transition;
