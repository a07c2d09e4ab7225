-- Take leases on several paths at once, all or none: what acquire_lock does for each path, one
-- policy decision per path, in one transaction. When any path is refused nothing is taken;
-- the refused rows say why, the others are batch_refused, and every row is audited as the
-- single call would audit it.
create or replace function api.acquire_locks(
  p_paths text[],
  p_ttl interval default interval '15 minutes',
  p_reason text default null,
  p_mode text default 'exclusive'
)
returns setof api.lock_result
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := coord.principal();
  v_count integer := coalesce(pg_catalog.cardinality(p_paths), 0);
  v_paths text[];
  v_profile coord.profiles;  -- read once: every decision (and max_locks) shares it
  v_decision authz.decision;
  v_decisions authz.decision[] := '{}';
  v_results api.lock_result[] := '{}';
  v_event integer := 0;  -- the events of the batch, audited together at the end
  v_events audit.pending_event[] := '{}';
  v_stop boolean := false;
  v_refusal text;
  v_held jsonb;
  v_now timestamptz;
  v_attempts integer := 0;
  v_skill jsonb;
  v_outside boolean := false;
  v_taken_paths text[];
  v_taken_fences bigint[];
  v_taken integer;
begin
  perform coord.check_list(p_paths, 'paths');
  if v_count not between 1 and 100 then
    perform coord.fail('CO218', format('%s paths', v_count));
  end if;
  v_paths := array(select coord.normalize_path(p) from unnest(p_paths) with ordinality as u (p, o) order by o);
  if (select count(distinct rtrim(p, '/')) from unnest(v_paths) as p) < v_count then
    perform coord.fail('CO218', format('a path appears twice: %s', (
      select string_agg(distinct rtrim(p, '/'), ', ') from unnest(v_paths) as p
      group by rtrim(p, '/') having count(*) > 1 limit 1)));
  end if;
  perform coord.check_ttl(p_ttl);
  if p_mode is null or p_mode not in ('exclusive', 'shared') then
    perform coord.fail('CO214', format('mode %s', coalesce(left(p_mode, 100), 'null')));
  end if;
  if char_length(p_reason) > 1000 then
    perform coord.fail('CO215', format('reason has %s characters', char_length(p_reason)));
  end if;
  perform coord.require_read_committed();

  v_profile := coord.effective_profile(v_me);
  -- One decision per lease, as acquire_lock takes it; the first is the call's (counted against
  -- calls_per_hour and noted for its events), the others are further decisions within it.
  for i in 1 .. v_count loop
    v_decision := authz.gate('lock.acquire', 'path', v_paths[i], jsonb_build_object('mode', p_mode, 'ttl', p_ttl),
      jsonb_strip_nulls(jsonb_build_object('mode', p_mode, 'ttl', p_ttl, 'request_reason', p_reason, 'batch', v_count)),
      p_within => case when i > 1 then 'lock.acquire' end, p_profile => v_profile, p_caller => v_me);
    if not v_decision.allowed then
      v_results[i] := coord.lock_result(p_path => v_paths[i], p_mode => p_mode, p_refusal => v_decision,
                                        p_repository => v_me.repository);
      v_stop := true;
    else
      v_results[i] := null;
    end if;
    v_decisions[i] := v_decision;
  end loop;

  if not v_stop then
    v_refusal := coord.session_refusal(v_me);
    if v_refusal is null then
      if v_me.session_id is not null then
        p_ttl := greatest(p_ttl, coord.session_lease_floor(v_me, v_profile));
      end if;
      -- A skill's manifest must cover every path; only the paths it does not are refused.
      if v_me.skill_id is not null then
        for i in 1 .. v_count loop
          v_skill := coord.skill_refusal(v_me, 'lock', v_paths[i], p_mode);
          if v_skill is not null then
            v_results[i] := coord.lock_result('outside_skill', v_paths[i], p_repository => v_me.repository, p_mode => p_mode,
              p_reason => v_skill ->> 'reason', p_details => v_skill - 'reason' - 'allowed' - 'kind' - 'target');
            v_outside := true;
          end if;
        end loop;
      end if;
      if not v_outside then
        v_held := coord.locks_over_limit(v_me, v_me.repository, v_paths, v_profile);
      end if;
    end if;
    for i in 1 .. v_count loop
      if v_outside then
        null;  -- the rows refused above say why; the others become batch_refused below
      elsif v_refusal is not null then
        v_results[i] := coord.lock_result('session_ended', v_paths[i], p_repository => v_me.repository,
                                          p_reason => v_refusal, p_mode => p_mode);
      elsif v_held is not null then
        v_results[i] := coord.lock_result('at_limit', v_paths[i], p_repository => v_me.repository, p_mode => p_mode,
          p_reason => format('you hold %s live leases and this batch needs %s more; your profile allows %s',
                             v_held ->> 'held', v_held ->> 'needed', v_held ->> 'limit'),
          p_details => v_held);
      end if;
    end loop;
    v_stop := v_refusal is not null or v_held is not null or v_outside;
  end if;

  if not v_stop then
    -- Every lock the attempts need is taken first, in one global order; a busy path rolls the
    -- whole attempt back. A claim taking several tasks' leases may still deadlock with it (its
    -- tasks are not ordered among each other): the loser of that retries.
    loop
      v_attempts := v_attempts + 1;
      begin
        perform coord.serialize_lease_batch(v_me.tenant_id, v_me.repository, v_paths);
        v_now := coord.clock_now();
        -- When no lease is on, above or below any of the paths (the usual case), the whole batch
        -- is granted in one statement, fences in the order of the paths; otherwise
        -- coord.try_acquire_lock decides path by path. The advisory locks taken above keep any
        -- overlapping lease from being inserted meanwhile.
        with taken as (
          insert into coord.locks (tenant_id, repository, path, mode, holder_id, session_id, fence, reason, acquired_at, expires_at)
          select v_me.tenant_id, v_me.repository, u.p, p_mode::coord.lock_mode, v_me.principal_id, v_me.session_id,
                 pg_catalog.nextval('coord.lock_fence_seq'), p_reason, v_now, v_now + p_ttl
          from pg_catalog.unnest(v_paths) with ordinality as u (p, o)
          where not exists (
            select
            from pg_catalog.unnest(v_paths) as q (p)
            cross join lateral (
              select from coord.locks as y
              where y.tenant_id = v_me.tenant_id and y.repository = v_me.repository
                and (y.path = any (coord.covering_paths(q.p))
                     or (y.path >= pg_catalog.rtrim(q.p, '/') || '/' and y.path < pg_catalog.rtrim(q.p, '/') || '0'))) as x)
          order by u.o
          returning path, fence)
        select coalesce(array_agg(t.path), '{}'), coalesce(array_agg(t.fence), '{}')
        into v_taken_paths, v_taken_fences
        from taken as t;
        for i in 1 .. v_count loop
          v_taken := pg_catalog.array_position(v_taken_paths, v_paths[i]);
          if v_taken is not null then
            v_results[i] := coord.lock_result('granted', v_paths[i], p_repository => v_me.repository, p_mode => p_mode,
              p_fence => v_taken_fences[v_taken], p_expires_at => v_now + p_ttl);
          else
            v_results[i] := coord.try_acquire_lock(v_me.tenant_id, v_me.principal_id, v_me.session_id, v_me.repository,
                                                   v_paths[i], p_mode::coord.lock_mode, p_ttl, p_reason, v_now);
          end if;
        end loop;
        if exists (select from unnest(v_results) as r where not r.ok) then
          raise exception using errcode = 'CO900';  -- roll back what was taken
        end if;
        exit;
      exception
      when sqlstate 'CO900' then
        exit;
      when deadlock_detected then
        if v_attempts >= 3 then
          raise;
        end if;
      end;
    end loop;
  end if;

  -- A row left null was never tried: another path's refusal (of the gate, e.g. the call's
  -- calls_per_hour, which only the first decision counts) stopped the batch first.
  v_results := coord.refuse_lock_batch(v_results, v_paths, v_me.repository, array_fill(p_mode, array[v_count]),
                                       array_fill(null::bigint, array[v_count]), 'taken');
  for i in 1 .. v_count loop
    if v_decisions[i].allowed then  -- a refusal of the gate is audited by the gate
      v_event := v_event + 1;
      v_events[v_event] := row(v_results[i].code, v_paths[i], v_results[i].reason,
        jsonb_strip_nulls(jsonb_build_object(
            'repository', v_me.repository, 'mode', p_mode, 'ttl', p_ttl, 'fence', v_results[i].fence,
            'expires_at', v_results[i].expires_at, 'request_reason', p_reason, 'batch', v_count,
            'holder_id', v_results[i].holder_id, 'holder_name', v_results[i].holder_name))
          || v_results[i].details,
        v_decisions[i], null, null, null, null, null)::audit.pending_event;  -- the call's action, severity, tenant, time
    end if;
    return next v_results[i];
  end loop;
  -- One statement for the batch's events, the rows audit.record would write one by one.
  perform audit.record_many('lock.acquire', 'path', v_events, p_caller => v_me);
end;
$$;

comment on function api.acquire_locks(text[], interval, text, text) is
'Takes leases on p_paths (1-100 distinct paths, as acquire_lock does for each: same repository, mode, ttl and reason for all) all or none, in one transaction: one row per path, in the order given. When every path is granted or renewed, all rows are ok (fences as acquire_lock returns them). When any is refused (busy, denied, outside_skill for a path the manifest of your session''s skill does not cover, at_limit for the batch as a whole, session_ended), nothing is taken: those rows say why, the others are batch_refused (details.refused lists the refused paths and codes). One policy decision per path (a refusal names its path; the call counts once against calls_per_hour); every path is audited as lock.acquire. Paths are locked in one global order, so overlapping batches and single acquires wait for each other and never deadlock. No p_wait: retry a refused batch, or use acquire_lock to wait for one path. Use it for several paths you need together (a refactoring across files): one round trip, and never half of them. Errors: CO218 count or a path named twice, CO241 not a flat list, CO201-CO206 bad path, CO211 ttl, CO213, CO214 mode, CO215 reason, 55P03 when an overlapping request keeps its locks uncommitted for over 2 s.';
revoke all on function api.acquire_locks(text[], interval, text, text) from public;
grant execute on function api.acquire_locks(text[], interval, text, text) to coord_agent, coord_operator;
