-- Take (or renew) a lease on a path and everything below it. The trailing '/' of a directory
-- is kept in the lease but changes no decision: src and src/ are one node, and both overlap
-- src/app.py (a file and a directory cannot share a name on disk).
create or replace function api.acquire_lock(
  p_path text,
  p_ttl interval default interval '15 minutes',
  p_reason text default null,
  p_mode text default 'exclusive',
  p_wait interval default interval '0'
)
returns api.lock_result
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := coord.try_principal();  -- coord.principal() below raises when it is null
  v_path text;
  v_profile coord.profiles;  -- read once: the gate and max_locks share it
  v_decision authz.decision;
  v_result api.lock_result;
  v_deadline timestamptz;
  v_backoff double precision := 0.01;
  v_started timestamptz := pg_catalog.clock_timestamp();
  v_now timestamptz := coord.now();  -- read once: the lease (as coord.clock_now()) and the audit event share it unless it waits
  v_refusal text;
  v_held jsonb;
  v_skill jsonb;
  v_event_id bigint;  -- assigned, not PERFORMed: an expression, not a query through the executor
begin
  -- The checks run inline as plain expressions; the helpers that raise are called only on a
  -- failure (each call and each PERFORM costs more than the test itself).
  if v_me.principal_id is null then
    v_me := coord.principal();
  end if;
  v_path := coord.normalize_path(p_path);
  if p_ttl is null or not pg_catalog.isfinite(p_ttl) or p_ttl < interval '1 microsecond' or p_ttl > interval '24 hours' then
    perform coord.check_ttl(p_ttl);
  end if;
  if p_mode is null or p_mode not in ('exclusive', 'shared') then
    perform coord.fail('CO214', format('mode %s', coalesce(left(p_mode, 100), 'null')));
  end if;
  if char_length(p_reason) > 1000 then
    perform coord.fail('CO215', format('reason has %s characters', char_length(p_reason)));
  end if;
  if p_wait is distinct from interval '0' then
    perform coord.check_interval(p_wait, 'CO212', 'wait', interval '0', interval '60 seconds');
  end if;
  if pg_catalog.current_setting('transaction_isolation') <> 'read committed' then
    perform coord.require_read_committed();
  end if;
  v_profile := coord.effective_profile(v_me);
  v_decision := authz.gate('lock.acquire', 'path', v_path, jsonb_build_object('mode', p_mode, 'ttl', p_ttl),
    jsonb_strip_nulls(jsonb_build_object('mode', p_mode, 'ttl', p_ttl, 'request_reason', p_reason)), p_profile => v_profile,
    p_caller => v_me);
  if not v_decision.allowed then
    return coord.lock_result(p_path => v_path, p_mode => p_mode, p_refusal => v_decision, p_repository => v_me.repository);
  end if;

  -- Each check only when it can refuse: a session, a skill, a lease limit.
  if v_me.session_id is not null then
    v_refusal := coord.session_refusal(v_me);
    p_ttl := greatest(p_ttl, coord.session_lease_floor(v_me, v_profile));
  end if;
  if v_refusal is null and v_me.skill_id is not null then
    v_skill := coord.skill_refusal(v_me, 'lock', v_path, p_mode);
  end if;
  -- (no profile: coord.locks_over_limit would read none either, and find no limit)
  if v_refusal is null and v_skill is null and v_profile.max_locks is not null then
    v_held := coord.locks_over_limit(v_me, v_me.repository, array[v_path], v_profile);
  end if;
  if v_refusal is not null then
    v_result := coord.lock_result('session_ended', v_path, p_repository => v_me.repository, p_reason => v_refusal, p_mode => p_mode);
  elsif v_skill is not null then
    v_result := coord.lock_result('outside_skill', v_path, p_repository => v_me.repository, p_mode => p_mode,
      p_reason => v_skill ->> 'reason', p_details => v_skill - 'reason' - 'allowed' - 'kind' - 'target');
  elsif v_held is not null then
    v_result := coord.lock_result('at_limit', v_path, p_repository => v_me.repository, p_mode => p_mode,
      p_reason => format('you hold %s live leases; your profile allows %s', v_held ->> 'held', v_held ->> 'limit'),
      p_details => v_held - 'needed');
  elsif p_wait = interval '0' then
    -- coord.clock_now(), from the clock read above
    v_result := coord.try_acquire_lock(v_me.tenant_id, v_me.principal_id, v_me.session_id, v_me.repository, v_path, p_mode::coord.lock_mode,
                                       p_ttl, p_reason, v_now + (pg_catalog.clock_timestamp() - pg_catalog.transaction_timestamp()));
  else
    -- Each busy attempt runs in a subtransaction that is rolled back, which also drops its
    -- advisory locks, so a waiter never blocks others while it sleeps. Re-checks back off
    -- from 10 ms to 200 ms and never sleep past the deadline or the blocking lease's expiry.
    v_deadline := v_started + p_wait;
    loop
      begin
        v_result := coord.try_acquire_lock(v_me.tenant_id, v_me.principal_id, v_me.session_id, v_me.repository, v_path, p_mode::coord.lock_mode,
                                           p_ttl, p_reason, coord.clock_now());
        if v_result.code = 'busy' and pg_catalog.clock_timestamp() < v_deadline then
          raise exception using errcode = 'CO900';
        end if;
        exit;
      exception
      when lock_not_available then
        -- An overlapping request held its locks for the whole lock_timeout; keep waiting.
        if pg_catalog.clock_timestamp() >= v_deadline then
          raise;
        end if;
      when sqlstate 'CO900' then
        perform pg_catalog.pg_sleep(greatest(0.001, least(
          v_backoff,
          extract(epoch from v_deadline - pg_catalog.clock_timestamp()),
          extract(epoch from v_result.holder_expires_at - coord.clock_now()) + 0.001)));
        v_backoff := least(v_backoff * 2, 0.2);
      end;
    end loop;
  end if;

  if p_wait > interval '0' then
    v_result.details := v_result.details || jsonb_build_object(
      'waited_ms', round(extract(epoch from pg_catalog.clock_timestamp() - v_started) * 1000));
  end if;

  v_event_id := audit.record('lock.acquire', v_result.code, 'path', v_path, v_result.reason,
    jsonb_strip_nulls(jsonb_build_object(
      'repository', v_me.repository, 'mode', p_mode, 'ttl', p_ttl, 'fence', v_result.fence, 'expires_at', v_result.expires_at,
      'request_reason', p_reason,
      'holder_id', v_result.holder_id, 'holder_name', v_result.holder_name))
      || v_result.details,
    v_decision, p_caller => v_me,
    p_occurred_at => case when p_wait = interval '0' then v_now end);  -- a wait re-reads the clock
  return v_result;
end;
$$;

comment on function api.acquire_lock(text, interval, text, text, interval) is
'Takes a lease on p_path and everything below it in your repository (your session''s, else your token''s, else default; the same path in another repository never overlaps) (src and src/ are the same node and both overlap src/app.py; a trailing / says the path is a directory and is kept in the lease) in mode exclusive or shared for p_ttl (0 < ttl <= 24 h). Returns ok with code granted (new fence) or renewed (your session already held it in that mode: same fence, new expiry); ok=false with busy (holder_* name the lease in the way, details.conflicts all of them), denied (policy, or a ttl above the profile''s max_lock_ttl), outside_skill (your session runs a skill whose manifest does not give this access to the path: details.needs names the missing entry, details.skill the skill@version), at_limit (you hold the max_locks live leases of your profile; details.held and limit), or session_ended (the x-coord-session you sent has ended or expired). Leases taken under a session belong to it: its heartbeats keep them alive and its end releases them; a lease of a dead session never blocks. With p_wait (<= 60 s) it waits for overlapping leases to be released or to expire. Expired leases never block. Errors: CO201-CO206 bad path, CO211 ttl, CO212 wait, CO213 not READ COMMITTED, CO214 mode, CO215 reason, 55P03 when an overlapping request keeps its locks uncommitted for over 2 s.';
revoke all on function api.acquire_lock(text, interval, text, text, interval) from public;
grant execute on function api.acquire_lock(text, interval, text, text, interval) to coord_agent, coord_operator;
