-- A watcher announces itself by holding the tenant's watch lock (a session-level advisory lock,
-- key (1131376502, uuid_hash(tenant id)), the key the fleet triggers' WHEN tries shared) on the
-- connection this is called on, until that connection closes. The fleet triggers NOTIFY only
-- while the lock is held or awaited: NOTIFY serializes the commits of notifying transactions
-- cluster-wide (docs/benchmarks.md), so a tenant nobody watches should not pay for it.
create or replace function api.watch_fleet()
returns api.result
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := coord.principal();
  v_decision authz.decision;
  v_channel text;
  v_key integer;
  v_locked boolean := false;
begin
  v_decision := authz.gate('fleet.watch', 'tenant', v_me.tenant_id::text);
  if not v_decision.allowed then
    return coord.result(p_refusal => v_decision);
  end if;
  v_channel := coord.fleet_channel(v_me.tenant_id);
  v_key := pg_catalog.uuid_hash(v_me.tenant_id);
  -- Waiting is itself a signal: writers that see a waiter notify too. In-flight writers that
  -- did not notify hold the lock shared until they commit, so once it is granted their changes
  -- are visible to the watcher's next read.
  -- The watch is a session lock, which outlives a failed call: taken inside the block, as the
  -- value of the statement that records it (no cancel between), and released by the handler
  -- when anything after it fails (statement_timeout, pg_cancel_backend), the return included.
  begin
    v_locked := pg_catalog.pg_try_advisory_lock(1131376502, v_key);
    if not v_locked then
      begin
        perform pg_catalog.set_config('lock_timeout', '10s', true);
        v_locked := pg_catalog.pg_advisory_lock(1131376502, v_key) is not null;  -- void: true once granted
      exception when lock_not_available then
        return coord.result('watched_elsewhere', 'another watcher of the tenant holds the watch',
                            jsonb_build_object('channel', v_channel));
      end;
    end if;
    perform audit.record('fleet.watch', 'watching', 'tenant', v_me.tenant_id::text, null, '{}', v_decision);
    return coord.result('watching', p_details => jsonb_build_object('channel', v_channel));
  exception when others or query_canceled then
    if v_locked then
      perform pg_catalog.pg_advisory_unlock(1131376502, v_key);
    end if;
    raise;
  end;
end;
$$;

comment on function api.watch_fleet() is
'Operators and auditors: hold the watch of your tenant''s fleet on this connection until it closes, so that changes to leases, tasks, sessions and alerts are announced on the fleet channel (details.channel; LISTEN on it, payload the tenant id). Without a watcher nothing is announced. Code watching; watched_elsewhere (retryable) when another watcher held it for the 10 s this waits, in which case announcements flow anyway: call again to take over when it leaves; or denied. Call it on a connection of its own: a pooled connection (PostgREST) keeps the watch until the pool closes it. Audited as fleet.watch.';
revoke all on function api.watch_fleet() from public;
grant execute on function api.watch_fleet() to coord_operator, coord_auditor;
