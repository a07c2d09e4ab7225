-- The profile's max_locks, checked where leases are counted: null when p_me may take one more
-- lease (renewing p_path never counts), else {held, limit}. One check at a time per agent, so
-- concurrent acquires cannot overshoot; agents without a limit skip the lock and the count.
create or replace function coord.locks_over_limit(p_me api.principal_info, p_path text)
returns jsonb
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_limit integer := (coord.effective_profile(p_me)).max_locks;
  v_held integer;
begin
  if v_limit is null then
    return null;
  end if;
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('coord.locks_held/' || p_me.principal_id::text, 0));
  select count(*) into v_held
  from coord.locks as l
  where l.tenant_id = p_me.tenant_id and l.holder_id = p_me.principal_id
    and l.expires_at > coord.clock_now() and l.path <> p_path;
  if v_held < v_limit then
    return null;
  end if;
  return jsonb_build_object('held', v_held, 'limit', v_limit);
end;
$$;

comment on function coord.locks_over_limit(api.principal_info, text) is 'Null when the agent may take another lease under its profile''s max_locks (a renewal of p_path never counts), else {held, limit}.';
revoke all on function coord.locks_over_limit(api.principal_info, text) from public;
