-- Called when a lease of another session is in the way: if that session is dead (heartbeat
-- overdue), clean it up now and report true, so its leases stop blocking at once instead of
-- at their own expiry. Never waits: a session row another transaction is busy with counts as
-- live, which avoids lock-order deadlocks between concurrent acquirers.
create or replace function coord.reap_dead_session(p_tenant_id uuid, p_session_id uuid, p_now timestamptz)
returns boolean
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_expires_at timestamptz;
begin
  select s.expires_at into v_expires_at
  from coord.sessions as s
  where s.tenant_id = p_tenant_id and s.id = p_session_id and s.ended_at is null and s.expires_at <= p_now
  for update skip locked;
  if not found then
    return false;
  end if;
  return coord.cleanup_session(p_tenant_id, p_session_id, 'expired') is not null;
end;
$$;

comment on function coord.reap_dead_session(uuid, uuid, timestamptz) is 'True when the session was dead and has just been cleaned up (its leases released, claims requeued); false when it is live or busy.';
revoke all on function coord.reap_dead_session(uuid, uuid, timestamptz) from public;
