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
  v_check text;  -- the field-range constraint the row breaks (null: none)
begin
  -- This transaction changed a task: its claim floor must not move (coord.advance_task_floor).
  v_set := pg_catalog.set_config('coord.tasks_changed', 'on', true);
  if tg_op = 'UPDATE' and new.id <> old.id then
    perform coord.fail('CO411', format('task %s keeps its id (not %s): its audit trail and its dependencies name it', old.id, new.id),
      'a task''s id never changes; submit a new task instead');
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
  elsif new.state = old.state then
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
  else
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
  end if;

  -- Last, after the moves are judged, as a CHECK comes after the BEFORE triggers. The field
  -- ranges, as the CHECK constraints of these names held them until migration 0044:
  -- the same rows are refused with the same error (23514, constraint name, message). A table's
  -- CHECKs are prepared again in every statement that writes it (these six cost ~50 us of each
  -- task write, whatever it changed); here they are compiled once per session, and a column an
  -- UPDATE leaves as it was passed when it was written, so only changed ones are checked (OLD is
  -- null on INSERT). A null test passes, as in a CHECK (NOT NULL is checked after this trigger).
  -- The state CHECKs (tasks_queued_check, ...) stay declared on the table.
  v_check := case
    when not ((new.kind is not distinct from old.kind or new.kind ~ '^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,127}$')
              and (new.payload is not distinct from old.payload or octet_length(new.payload::text) <= 65536)
              and (new.result is null or new.result is not distinct from old.result
                   or octet_length(new.result::text) <= 65536)
              and new.priority between -1000 and 1000
              and new.pending_deps >= 0
              and new.max_attempts between 1 and 100
              and new.attempts between 0 and new.max_attempts
              and new.required_trust between 0 and 4
              and (new.unique_key is null or char_length(new.unique_key) between 1 and 200)
              and (new.lock_paths is not distinct from old.lock_paths or cardinality(new.lock_paths) <= 64)
              and (new.last_error is null or char_length(new.last_error) <= 4000))
      then 'tasks_values_check'
    when not (new.repository is not distinct from old.repository or new.repository ~ '^[a-z0-9][a-z0-9_.-]{0,62}$')
      then 'tasks_repository_check'
    when not (new.id > 0) then 'tasks_id_check'
    when not (new.claim is not distinct from old.claim or new.claim > 0) then 'tasks_claim_check'
    when not (new.required_verifications is not distinct from old.required_verifications
              or new.required_verifications <@ array['static', 'unit', 'integration', 'system', 'manual']::text[])
      then 'tasks_required_verifications_check'
    when not (new.run_after is not distinct from old.run_after
              or new.run_after between timestamptz '0001-01-02 00:00:00+00' and timestamptz '9999-12-30 00:00:00+00')
      then 'tasks_run_after_in_range'
  end;
  if v_check is not null then
    raise exception using errcode = 'check_violation', constraint = v_check, schema = 'coord', table = 'tasks',
      message = format('new row for relation "tasks" violates check constraint "%s"', v_check),
      detail = format('Failing row has id %s.', new.id),
      hint = case v_check
        when 'tasks_values_check' then
          'kind 1-128 of [A-Za-z0-9_.:/-], payload and result at most 64 KiB of JSON text, priority -1000..1000, '
          'pending_deps >= 0, max_attempts 1..100, attempts 0..max_attempts, required_trust 0..4, '
          'unique_key 1-200 characters, at most 64 lock paths, last_error at most 4000 characters'
        when 'tasks_repository_check' then 'a repository name is 1-63 of [a-z0-9_.-], starting with a letter or digit'
        when 'tasks_id_check' then 'task ids are positive (a claim floor counts from 0)'
        when 'tasks_claim_check' then 'claim tokens are positive, as coord.lock_fence_seq gives them'
        when 'tasks_required_verifications_check' then 'verification tiers: static, unit, integration, system, manual'
        else 'run_after lies between 0001-01-02 and 9999-12-30 (UTC), the range every client can represent' end;
  end if;
  return new;
end;
$$;

comment on function coord.tg_tasks__transition() is 'Trigger: refuses illegal task state transitions (CO411), a task inserted in another state than queued and a changed id, refuses field values out of range (23514, as the CHECKs it replaced: tasks_values_check, tasks_repository_check, tasks_id_check, tasks_claim_check, tasks_required_verifications_check, tasks_run_after_in_range), notifies the tenant''s task channel when a task becomes ready and stamps state_changed_at (the statement triggers coord.tg_tasks__submitted and coord.tg_tasks__audited audit, and keep the claim floors of kinds and claimants).';
revoke all on function coord.tg_tasks__transition() from public;

create or replace trigger tasks_transition
  before insert or update on coord.tasks
  for each row execute function coord.tg_tasks__transition();
alter table coord.tasks enable always trigger tasks_transition;
