-- Whether the caller's session may still act: null when it may (or when the call carries no
-- session), otherwise why not. An expired session found here is cleaned up on the spot, so a
-- zombie process learns it lost everything and its leases and claims are freed.
create or replace function coord.session_refusal(p_me coord.caller)
returns text
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_session record;
begin
  if p_me.session_id is null then
    return null;
  end if;
  -- FOR SHARE until commit: a cleanup of this session (which updates the row) waits for this
  -- call, and a call arriving during a cleanup waits for it and then sees the session ended,
  -- so no lease or claim can be added to a session that is being or has been cleaned up.
  -- Lock order everywhere: session, then tasks, then leases.
  select s.ended_at, s.end_reason, s.expires_at into v_session
  from coord.sessions as s
  where s.tenant_id = p_me.tenant_id and s.id = p_me.session_id
  for share;
  if v_session.ended_at is not null then
    return format('session %s ended (%s) at %s', p_me.session_id, v_session.end_reason, v_session.ended_at);
  end if;
  if v_session.expires_at <= coord.clock_now() then
    perform coord.cleanup_session(p_me.tenant_id, p_me.session_id, 'expired');
    return format('session %s expired at %s without a heartbeat', p_me.session_id, v_session.expires_at);
  end if;
  return null;
end;
$$;

comment on function coord.session_refusal(coord.caller) is 'Null when the caller has no session or a live one (then locked FOR SHARE until commit, so no cleanup can run under the call); otherwise the reason its session can no longer act (an expired one is cleaned up first).';
revoke all on function coord.session_refusal(coord.caller) from public;
