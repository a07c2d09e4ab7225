-- Rescue work of one tenant: end sessions whose heartbeat is overdue (releasing their leases,
-- requeueing their claims), return expired claims to the queue (or to dead), and, when
-- p_locks, remove expired leases. Runs lazily (bounded) inside claims and eagerly from
-- coord maintain. Rows other transactions are busy with are skipped, never waited for.
create or replace function coord.sweep(p_tenant_id uuid, p_limit integer, p_locks boolean)
returns jsonb
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_now timestamptz := coord.now();
  v_sessions integer := 0;
  v_requeued integer := 0;
  v_dead integer := 0;
  v_locks integer := 0;
  v_row record;
  v_lock_timeout text := pg_catalog.current_setting('lock_timeout');
begin
  perform pg_catalog.set_config('coord.sweeping', 'on', true);
  for v_row in
    select s.id from coord.sessions as s
    where s.tenant_id = p_tenant_id and s.ended_at is null and s.expires_at <= v_now
    order by s.expires_at
    limit p_limit
    for update skip locked
  loop
    if coord.cleanup_session(p_tenant_id, v_row.id, 'expired') is not null then
      v_sessions := v_sessions + 1;
    end if;
  end loop;

  for v_row in
    select t.id from coord.tasks as t
    where t.tenant_id = p_tenant_id and t.state = 'claimed' and t.lease_expires_at <= v_now
    order by t.lease_expires_at
    limit p_limit
    for update skip locked
  loop
    -- As in cleanup_session: never wait long for leases a concurrent caller holds.
    begin
      perform pg_catalog.set_config('lock_timeout', '100ms', true);
      if coord.release_claim(v_row.id, 'expired', null) = 'dead' then
        v_dead := v_dead + 1;
      else
        v_requeued := v_requeued + 1;
      end if;
    exception when lock_not_available then
      null;  -- left for the next sweep
    end;
  end loop;
  perform pg_catalog.set_config('lock_timeout', v_lock_timeout, true);

  if p_locks then
    for v_row in
      delete from coord.locks as l
      where l.id in (select x.id from coord.locks as x
                     where x.tenant_id = p_tenant_id and x.expires_at <= v_now
                     limit p_limit for update skip locked)
      returning l.repository, l.path, l.holder_id, l.mode, l.fence, l.expires_at
    loop
      v_locks := v_locks + 1;
      perform audit.record('lock.expire', 'expired', 'path', v_row.path, 'lease ended without release',
        jsonb_build_object('holder_id', v_row.holder_id, 'mode', v_row.mode, 'fence', v_row.fence,
                           'expired_at', v_row.expires_at, 'repository', v_row.repository),
        p_system => true, p_tenant_id => p_tenant_id);
    end loop;
  end if;

  perform pg_catalog.set_config('coord.sweeping', '', true);
  return jsonb_build_object('sessions_expired', v_sessions, 'tasks_requeued', v_requeued,
                            'tasks_dead', v_dead, 'locks_expired', v_locks);
end;
$$;

comment on function coord.sweep(uuid, integer, boolean) is 'Ends dead sessions, rescues expired claims and (p_locks) removes expired leases of one tenant, at most p_limit of each, skipping rows in use; returns the counts.';
revoke all on function coord.sweep(uuid, integer, boolean) from public;
