create or replace function api.assert_lease(p_path text, p_fence bigint)
returns api.lock_result
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := authz.require_read('lock.assert');
  v_path text := coord.normalize_path(p_path);
  v_now timestamptz := coord.now();
  v_lease record;
begin
  perform coord.check_fence(p_fence);
  select l.mode, l.fence, l.expires_at, s.ended_at, s.expires_at as session_expires_at
  into v_lease
  from coord.locks as l
  left join coord.sessions as s on s.tenant_id = l.tenant_id and s.id = l.session_id
  where l.tenant_id = v_me.tenant_id and l.repository = v_me.repository and l.path = v_path and l.holder_id = v_me.principal_id
    and l.session_id is not distinct from v_me.session_id and l.fence = p_fence;
  if not found then
    return coord.classify_lost_lease(v_me.tenant_id, v_me.repository, v_path, p_fence);
  elsif v_lease.expires_at <= v_now then
    return coord.lock_result('expired', v_path, p_repository => v_me.repository, p_reason => format('the lease expired at %s', v_lease.expires_at),
      p_mode => v_lease.mode::text, p_details => jsonb_build_object('presented_fence', p_fence));
  elsif v_lease.ended_at is not null or v_lease.session_expires_at <= v_now then
    return coord.lock_result('session_ended', v_path, p_repository => v_me.repository, p_reason => 'the session holding the lease is over',
      p_mode => v_lease.mode::text, p_details => jsonb_build_object('presented_fence', p_fence));
  end if;
  return coord.lock_result('held', v_path, p_repository => v_me.repository, p_mode => v_lease.mode::text, p_fence => p_fence,
    p_expires_at => v_lease.expires_at);
end;
$$;

comment on function api.assert_lease(text, bigint) is
'Fencing at the resource: call it at the last moment before acting on p_path (e.g. inside the commit path) to check you still hold the lease granted with p_fence (in your repository). ok with code held, else expired, session_ended, stale_fence (granted again since) or not_held. Read-only. Errors: CO201-CO206 path, CO216 fence, PT403.';
revoke all on function api.assert_lease(text, bigint) from public;
grant execute on function api.assert_lease(text, bigint) to coord_agent, coord_operator;
