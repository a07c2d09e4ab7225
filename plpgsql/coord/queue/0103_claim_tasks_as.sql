-- The claim: highest priority then oldest among ready tasks (queued, every dependency
-- completed, run_after passed) of the given kinds whose required trust the claimant meets,
-- within the claimant's concurrency limit, skipping rows other claimers hold. A task that
-- declares leases is claimed only if all of them are granted in the same transaction (in the
-- repository the task was submitted in, whatever the claimant's), and
-- only if the claimant may take them: the gate's decision for lock.acquire (scope, trust,
-- allowed operations, max_lock_ttl against the claim's lease), taken at the first such task,
-- and the profile's max_locks. A task whose leases are refused or busy is skipped and stays
-- queued, untouched; each claim gets a new fencing claim token and a lease. A claim that takes
-- nothing is still a decision, and every decision is on record: it is audited as task.claim
-- with its code (at_limit, denied with the lease decision that refused, or empty), under the
-- decision of the call (the statement's). p_profile: p_me's effective profile when the caller
-- read it already (read here when null). p_task_id: only that task (p_kinds null: any kind),
-- for claim_task_by_id.
--
-- The candidates are read one kind at a time from coord.tasks_kind_ready_idx (tenant, kind,
-- priority desc, id), so a claim never walks the ready backlog of kinds it did not ask for. One
-- kind is read and locked in index order directly; several are merged: the first few ready
-- tasks of each kind are read without locks, and the best of them locked in claim order (so no
-- row is locked that the claim does not take), none ranked after the last one read of a kind
-- that gave all it was asked for (ready tasks of that kind may follow it). When rows other
-- claims hold fill a kind's few, the read widens and runs again.
--
-- Generic plans (plan_cache_mode, inherited by what it calls, count_live_claims sets its own):
-- once autovacuum had analyzed coord.tasks, the plan cache priced the custom plans of the
-- candidate read and the claiming UPDATE below the generic ones and re-planned both on every
-- claim (with count_live_claims' count, 0.65 ms a claim at 1 client) for the same index scans
-- (tasks_kind_ready_idx, tasks_pkey) (docs/benchmarks.md, "CPU per call under concurrency").
create or replace function coord.claim_tasks_as(
  p_me coord.caller,
  p_kinds text[],
  p_lease interval,
  p_limit integer,
  p_profile coord.profiles default null,
  p_task_id bigint default null
)
returns setof api.claim_result
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
set plan_cache_mode = force_generic_plan
as $$
declare
  v_now timestamptz := coord.clock_now();  -- the running clock, as for lock leases
  v_profile coord.profiles;
  v_trust smallint;
  v_max integer;
  v_held integer;
  v_room integer;
  v_claimed integer := 0;
  v_busy integer := 0;
  v_skipped_round integer;
  v_tried bigint[] := '{}';
  v_ids bigint[];
  v_leases jsonb := '{}';
  v_fences jsonb;
  v_candidate record;
  v_rounds integer := 0;
  v_lease_decision authz.decision;
  v_leases_allowed boolean;  -- null until a task that declares leases is met
  v_refused bigint[] := '{}';
  v_over bigint[] := '{}';
  v_over_limit jsonb;
  v_limit jsonb;
  v_kinds text := coalesce(array_to_string(p_kinds, ','), p_task_id::text);
  v_target text := case when p_task_id is null then 'kinds' else 'task' end;
  v_none api.claim_result;
  v_skill jsonb;
  v_outside bigint[] := '{}';
  v_outside_skill jsonb;
  v_kind_list text[];  -- p_kinds without duplicates, sorted
  v_cursor refcursor;
  v_left integer;
  v_taken_round integer;
  v_returned integer;
  v_scan integer;
  v_cands bigint[];
  v_fullest integer;
  v_cut_priority integer;  -- claim-order bound of this pass's candidates (null: none)
  v_cut_id bigint;
  v_floor regclass;  -- the kind's claim floor (one kind only; null: scan from the front)
  v_lag text;  -- coord.task_floor_lag as set (null: unset)
  v_done text;  -- assigned, not PERFORMed: an expression, not a query through the executor
  v_claim api.claim_result;  -- the claimed result, its code checked once
  v_one api.claim_result;
  v_row record;
begin
  -- One kind (the common claim) as it is: an expression, not a query through the executor.
  if cardinality(p_kinds) = 1 then
    v_kind_list := array[p_kinds[array_lower(p_kinds, 1)]];
  else
    v_kind_list := array(select distinct k from unnest(p_kinds) as k order by k);
  end if;
  -- One claim at a time per principal, so concurrent claims cannot overshoot its limit.
  v_done := pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('coord.claims/' || p_me.principal_id::text, 0));
  -- Agents are held to their profile; operators (no profile) have full trust and no limit.
  v_profile := case when p_profile.id is not null then p_profile else coord.effective_profile(p_me) end;
  v_trust := case when p_me.role = 'agent' then coalesce(v_profile.trust_level, 0) else 4 end;
  v_max := coalesce(v_profile.max_concurrent_tasks, 2147483647);
  p_lease := least(p_lease, v_profile.max_task_duration);
  v_held := coord.count_live_claims(p_me.tenant_id, p_me.principal_id, v_now);
  v_room := least(p_limit, v_max - v_held);
  if v_room <= 0 then
    v_none := coord.claim_result('at_limit', format('you hold %s live claims; the limit is %s', v_held, v_max),
      p_details => jsonb_build_object('held', v_held, 'limit', v_max));
    perform audit.record('task.claim', v_none.code, v_target, v_kinds, v_none.reason, v_none.details, null, 'warning');
    return next v_none;
    return;
  end if;

  -- The kind's claim floor (coord.advance_task_floor). None of this server run and database yet:
  -- take one, scan from the front (it is not usable before this transaction commits:
  -- task_became_ready cannot see it yet).
  if p_task_id is null and cardinality(v_kind_list) = 1 then
    select f.floor into v_floor from coord.task_ready_floors as f
    where f.tenant_id = p_me.tenant_id and f.kind = v_kind_list[1] and f.incarnation = coord.task_floor_incarnation();
    if v_floor is null then
      v_done := coord.take_task_floor(p_me.tenant_id, v_kind_list[1], coord.task_floor_incarnation());
    end if;
  end if;

  loop
    v_rounds := v_rounds + 1;
    v_ids := '{}';
    v_skipped_round := 0;
    v_taken_round := 0;
    v_scan := v_room - v_claimed + 4;
    <<pass>>
    loop
      v_left := v_room - v_claimed - v_taken_round;
      v_returned := 0;
      v_fullest := 0;
      if p_task_id is null and cardinality(v_kind_list) = 1 then
        open v_cursor for
          select t.id, t.lock_paths, t.repository
          from coord.tasks as t
          where t.tenant_id = p_me.tenant_id and t.kind = v_kind_list[1] and t.state = 'queued' and t.pending_deps = 0
            and t.id >= (select coalesce(pg_catalog.pg_sequence_last_value(v_floor), 0))
            and t.run_after <= v_now and t.required_trust <= v_trust
            and t.id <> all (v_tried)
            and (cardinality(t.lock_paths) = 0 or v_leases_allowed is not false)
          order by t.priority desc, t.id
          limit v_left
          for update skip locked;
      else
        if p_task_id is not null then
          v_cands := array[p_task_id];
        else
          -- The first v_scan ready tasks of each kind (unlocked), and how many the fullest kind gave.
          with per_kind as (
            select array(
                     select r.id
                     from coord.tasks as r
                     where r.tenant_id = p_me.tenant_id and r.kind = k.kind and r.state = 'queued' and r.pending_deps = 0
                       and r.run_after <= v_now and r.required_trust <= v_trust
                       and r.id <> all (v_tried)
                       and (cardinality(r.lock_paths) = 0 or v_leases_allowed is not false)
                     order by r.priority desc, r.id
                     limit v_scan) as ids
            from unnest(v_kind_list) as k (kind)
          )
          select coalesce((select array_agg(i.id) from per_kind as p cross join lateral unnest(p.ids) as i (id)), '{}'),
                 coalesce((select max(cardinality(p.ids)) from per_kind as p), 0)
          into v_cands, v_fullest;
          -- A kind that gave all v_scan may have ready tasks behind them (past rows other claims
          -- hold): take nothing ranked after its last one read in this pass, or a worse task of
          -- another kind would be taken in their place; the read widens instead.
          v_cut_id := null;
          if v_fullest = v_scan then
            select t.priority, t.id into v_cut_priority, v_cut_id
            from coord.tasks as t
            where t.id = any (array(
              select l.id
              from unnest(v_kind_list) as k (kind)
              cross join lateral (
                select r.id
                from coord.tasks as r
                where r.id = any (v_cands) and r.tenant_id = p_me.tenant_id and r.kind = k.kind
                order by r.priority desc, r.id
                offset v_scan - 1 limit 1) as l))
            order by t.priority desc, t.id
            limit 1;
          end if;
        end if;
        -- The same conditions again on the row as it is locked (it may have changed since).
        open v_cursor for
          select t.id, t.lock_paths, t.repository
          from coord.tasks as t
          where t.id = any (v_cands) and t.tenant_id = p_me.tenant_id and t.state = 'queued' and t.pending_deps = 0
            and (p_kinds is null or t.kind = any (p_kinds))
            and t.run_after <= v_now and t.required_trust <= v_trust
            and t.id <> all (v_tried)
            and (cardinality(t.lock_paths) = 0 or v_leases_allowed is not false)
            and (v_cut_id is null or t.priority > v_cut_priority or (t.priority = v_cut_priority and t.id <= v_cut_id))
          order by t.priority desc, t.id
          limit v_left
          for update skip locked;
      end if;
      loop
        fetch v_cursor into v_candidate;
        exit when not found;
        v_returned := v_returned + 1;
        v_taken_round := v_taken_round + 1;
        v_tried := v_tried || v_candidate.id;
        if cardinality(v_candidate.lock_paths) = 0 then
          v_ids := v_ids || v_candidate.id;
          continue;
        end if;
        if v_leases_allowed is null then
          -- Every lease passes the decision acquire_lock takes (a refusal is audited by the gate);
          -- this claim was counted already.
          v_lease_decision := authz.gate('lock.acquire', 'task', v_candidate.id::text,
            jsonb_build_object('mode', 'exclusive', 'ttl', p_lease, 'task_id', v_candidate.id),
            jsonb_build_object('repository', v_candidate.repository, 'paths', v_candidate.lock_paths, 'mode', 'exclusive',
                               'ttl', p_lease, 'task_id', v_candidate.id),
            p_within => 'task.claim', p_profile => v_profile);
          v_leases_allowed := v_lease_decision.allowed;
        end if;
        if not v_leases_allowed then
          v_refused := v_refused || v_candidate.id;
          v_skipped_round := v_skipped_round + 1;
          continue;
        end if;
        -- A session running a skill takes only leases its manifest covers: the task stays queued.
        if p_me.skill_id is not null then
          select r.refusal into v_skill from unnest(v_candidate.lock_paths) as l (path)
          cross join lateral coord.skill_refusal(p_me, 'lock', l.path, 'exclusive') as r (refusal)
          where r.refusal is not null order by l.path limit 1;
          if v_skill is not null then
            v_outside := v_outside || v_candidate.id;
            v_outside_skill := coalesce(v_outside_skill, v_skill);
            v_skipped_round := v_skipped_round + 1;
            perform audit.record('lock.acquire', 'outside_skill', 'task', v_candidate.id::text, v_skill ->> 'reason',
              jsonb_build_object('repository', v_candidate.repository, 'paths', v_candidate.lock_paths, 'mode', 'exclusive',
                                 'task_id', v_candidate.id) || (v_skill - 'reason' - 'allowed' - 'kind' - 'target'),
              v_lease_decision, 'notice');
            continue;
          end if;
        end if;
        v_limit := coord.locks_over_limit(p_me, v_candidate.repository, v_candidate.lock_paths, v_profile);
        if v_limit is not null then
          v_over := v_over || v_candidate.id;
          v_over_limit := coalesce(v_over_limit, v_limit);
          v_skipped_round := v_skipped_round + 1;
          perform audit.record('lock.acquire', 'at_limit', 'task', v_candidate.id::text,
            format('task %s needs %s more leases; you hold %s and your profile allows %s', v_candidate.id,
                   v_limit ->> 'needed', v_limit ->> 'held', v_limit ->> 'limit'),
            jsonb_build_object('repository', v_candidate.repository, 'paths', v_candidate.lock_paths, 'mode', 'exclusive',
                               'ttl', p_lease, 'task_id', v_candidate.id) || v_limit,
            v_lease_decision, 'warning');
          continue;
        end if;
        begin
          v_fences := coord.take_task_leases(p_me, v_candidate.id, v_candidate.repository, v_candidate.lock_paths, p_lease, v_now,
                                             v_lease_decision);
          if v_fences is null then
            raise exception using errcode = 'CO900';
          end if;
          v_ids := v_ids || v_candidate.id;
          v_leases := v_leases || jsonb_build_object(v_candidate.id::text, v_fences);
        exception when sqlstate 'CO900' or lock_not_available or deadlock_detected then
          -- Its leases are busy: leave it for later. Paths are sorted within a task, not across
          -- the tasks of one batch, so two batch claims can deadlock; the loser skips the task.
          v_skipped_round := v_skipped_round + 1;
          v_busy := v_busy + 1;
        end;
      end loop;
      close v_cursor;
      -- Fewer than asked for while a kind filled its v_scan: rows other claims hold may have
      -- taken the places of ready tasks behind them; read further.
      exit pass when v_returned >= v_left or v_fullest < v_scan;
      v_scan := v_scan * 4;
    end loop;

    -- The floor moves only when it lags this scan's first candidate (none: past the last id given
    -- out) by more than coord.task_floor_lag ids (default 32; 0: on every claim). Moving it would
    -- set it to the smallest ready id, at most that candidate (it is ready: locked, not changed),
    -- so a floor left where it is costs the next scans at most that many entries more than one
    -- moved on every claim, and the move (its lock, subtransaction and walk) is paid once per
    -- that many claims of a kind (on every claim while a ready task the claims pass over, of a
    -- lower priority or a trust above theirs, holds the floor down). A client setting the lag
    -- changes only when its own claims try the move, never whether a move is safe. Before this
    -- transaction changes a task (the first round), under the kind's lock
    -- (coord.advance_task_floor).
    if v_floor is not null and v_rounds = 1 then
      v_lag := pg_catalog.current_setting('coord.task_floor_lag', true);
      if coalesce(v_tried[1], pg_catalog.pg_sequence_last_value('coord.tasks_id_seq'::pg_catalog.regclass) + 1, 0)
         - coalesce(pg_catalog.pg_sequence_last_value(v_floor), 0)
         > (case when v_lag ~ '^[0-9]{1,18}$' then v_lag::bigint else 32 end) then
        v_done := coord.advance_task_floor(p_me.tenant_id, v_kind_list[1], v_floor);
      end if;
    end if;

    if cardinality(v_ids) > 0 then
      -- The result code is checked once per call (coord.claim_result); each row fills in its own fields.
      if v_claim.code is null then
        v_claim := coord.claim_result('claimed');
      end if;
      for v_row in
        with claimed as (
          update coord.tasks as t
          set state = 'claimed', claim = nextval('coord.lock_fence_seq'), claimed_by = p_me.principal_id,
              claimed_session_id = p_me.session_id, claimed_at = v_now, lease_expires_at = v_now + p_lease,
              attempts = t.attempts + 1, last_event = 'claimed'
          where t.id = any (v_ids)
          returning t.id, t.kind, t.payload, t.priority, t.claim, t.attempts, t.max_attempts, t.lease_expires_at, t.repository
        )
        select c.* from claimed as c order by c.priority desc, c.id
      loop
        v_one := v_claim;
        v_one.task_id := v_row.id;
        v_one.kind := v_row.kind;
        v_one.payload := v_row.payload;
        v_one.priority := v_row.priority;
        v_one.claim := v_row.claim;
        v_one.attempt := v_row.attempts;
        v_one.max_attempts := v_row.max_attempts;
        v_one.lease_expires_at := v_row.lease_expires_at;
        v_one.locks := coalesce(v_leases -> v_row.id::text, '{}');
        v_one.repository := v_row.repository;
        return next v_one;
      end loop;
      v_claimed := v_claimed + cardinality(v_ids);
    end if;
    exit when v_skipped_round = 0 or v_claimed >= v_room or v_rounds >= 4;
  end loop;

  -- Lazy rescue when the queue could not fill the request: claims of dead sessions and
  -- expired leases go back (after their backoff) for the next claim. A busy queue leaves
  -- this to the next short claim or to coord maintain.
  if v_claimed < v_room then
    perform coord.sweep(p_me.tenant_id, 8, false);
  end if;

  if v_claimed > 0 then
    return;
  end if;
  -- Nothing claimed: say why, the refusal of a policy first.
  if cardinality(v_refused) > 0 then
    v_none := coord.claim_result(
      p_reason => format('task %s declares leases you may not take: %s', array_to_string(v_refused, ', '),
                         v_lease_decision.reason),
      p_details => jsonb_build_object('task_ids', to_jsonb(v_refused)), p_refusal => v_lease_decision);
  elsif cardinality(v_outside) > 0 then
    v_none := coord.claim_result('outside_skill',
      format('task %s declares leases outside your session''s skill: %s', array_to_string(v_outside, ', '),
             v_outside_skill ->> 'reason'),
      p_details => jsonb_build_object('task_ids', to_jsonb(v_outside))
                   || (v_outside_skill - 'reason' - 'allowed' - 'kind' - 'target'));
  elsif cardinality(v_over) > 0 then
    v_none := coord.claim_result('at_limit',
      format('task %s declares more leases than your max_locks leaves room for: you hold %s, task %s needs %s more, your profile allows %s',
             array_to_string(v_over, ', '), v_over_limit ->> 'held', v_over[1], v_over_limit ->> 'needed',
             v_over_limit ->> 'limit'),
      p_details => jsonb_build_object('max_locks', (v_over_limit ->> 'limit')::integer,
                                      'leases_held', (v_over_limit ->> 'held')::integer,
                                      'leases_needed', (v_over_limit ->> 'needed')::integer, 'task_ids', to_jsonb(v_over)));
  else
    v_none := coord.claim_result('empty',
      case when v_busy > 0 then format('%s ready task(s) skipped: their leases are busy', v_busy)
           when p_task_id is not null then format('task %s is not ready to claim (claimed, finished, waiting on its dependencies or run_after, or above your trust)', p_task_id)
           else format('no ready task of kind %s', array_to_string(p_kinds, ', ')) end,
      p_details => jsonb_build_object('skipped_busy_leases', v_busy, 'channel', coord.task_channel(p_me.tenant_id)));
  end if;
  perform audit.record('task.claim', v_none.code, v_target, v_kinds, v_none.reason, v_none.details,
    case when v_none.code = 'denied' then v_lease_decision end,
    case when v_none.code = 'empty' then 'debug' when v_none.code = 'outside_skill' then 'notice' else 'warning' end);
  return next v_none;
end;
$$;

comment on function coord.claim_tasks_as(coord.caller, text[], interval, integer, coord.profiles, bigint) is 'Claims up to p_limit ready tasks of p_kinds (or only task p_task_id) for p_me (priority, then age; SKIP LOCKED; trust and concurrency limits; all-or-nothing declared leases, each passing the lock.acquire decision, the manifest of p_me''s skill and max_locks); one ok=false row (at_limit, denied, outside_skill or empty) when none.';
revoke all on function coord.claim_tasks_as(coord.caller, text[], interval, integer, coord.profiles, bigint) from public;
