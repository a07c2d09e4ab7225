-- The profile's max_locks, checked where leases are counted. It counts every live lease row
-- the agent holds, in any session, plain or held for a claimed task. After a grant of p_paths
-- the agent holds one lease per path of p_paths in p_repository (a path its session already holds is renewed
-- or adopted in place, so it never counts twice) besides the others it holds. Null when that
-- stays within the limit, else {held: its live leases now, limit, needed: the new leases the
-- grant would add}. One check at a time per agent, so concurrent acquires and claims cannot
-- overshoot; agents without a limit skip the lock and the count. p_profile: the agent's
-- effective profile when the caller read it already (read here when null).
create or replace function coord.locks_over_limit(
  p_me coord.caller,
  p_repository text,
  p_paths text[],
  p_profile coord.profiles default null
)
returns jsonb
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_limit integer := case when p_profile.id is not null then p_profile.max_locks
                          else (coord.effective_profile(p_me)).max_locks end;
  v_held integer;
  v_in_place integer;
  v_needed integer;
begin
  if v_limit is null then
    return null;
  end if;
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('coord.locks_held/' || p_me.principal_id::text, 0));
  select count(*) filter (where not l.in_place), count(distinct l.path) filter (where l.in_place)
  into v_held, v_in_place
  from (select x.path, x.repository = p_repository and x.path = any (p_paths) and x.session_id is not distinct from p_me.session_id as in_place
        from coord.locks as x
        where x.tenant_id = p_me.tenant_id and x.holder_id = p_me.principal_id
          and x.expires_at > coord.clock_now()) as l;
  v_needed := cardinality(p_paths) - v_in_place;
  if v_held + cardinality(p_paths) <= v_limit then
    return null;
  end if;
  return jsonb_build_object('held', v_held + v_in_place, 'limit', v_limit, 'needed', v_needed);
end;
$$;

comment on function coord.locks_over_limit(coord.caller, text, text[], coord.profiles) is 'Null when the agent may take the leases p_paths under its profile''s max_locks (every live lease it holds counts, plain or task-held, in any session; a path of p_repository this session already holds is renewed in place and needs no room), else {held (its live leases now), limit, needed (the new leases the grant would add)}. p_profile: the agent''s effective profile if the caller read it already.';
revoke all on function coord.locks_over_limit(coord.caller, text, text[], coord.profiles) from public;
