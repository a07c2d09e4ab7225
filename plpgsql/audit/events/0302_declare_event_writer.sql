-- Before a transaction writes a tenant's audit event it declares itself a writer of that tenant:
-- it holds the tenant's event-writer key (a shared advisory lock, never taken exclusively, so it
-- never waits) until it ends. The event stream's horizon (coord.event_horizon) then waits only
-- for running transactions that write this tenant's events (or that declared no tenant), not for
-- another tenant's. Returns the event's stream position (audit.events.txid): the transaction's
-- own id, except for a transaction that declared another tenant first: a reader of this tenant
-- may have passed its id while it was another tenant's writer, so its events of this tenant get
-- a position no reader has passed (the xmax of a fresh snapshot, taken after the key). Under
-- REPEATABLE READ or SERIALIZABLE (no fresh snapshot) the first declaration also takes the key
-- every tenant's horizon waits for, as the cluster-wide horizon did.
create or replace function audit.declare_event_writer(p_tenant_id uuid)
returns xid8
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_xid xid8 := pg_catalog.pg_current_xact_id();
  v_mark text := pg_catalog.current_setting('coord.event_writer', true);
begin
  if v_mark = v_xid::text || '/' || p_tenant_id::text then
    return v_xid;  -- this transaction's first tenant, already declared
  end if;
  perform pg_catalog.pg_advisory_xact_lock_shared(1131376500, pg_catalog.hashtext(p_tenant_id::text));
  if v_mark is null or pg_catalog.split_part(v_mark, '/', 1) <> v_xid::text then
    if pg_catalog.current_setting('transaction_isolation') <> 'read committed' then
      perform pg_catalog.pg_advisory_xact_lock_shared(1131376501, 0);
    end if;
    perform pg_catalog.set_config('coord.event_writer', v_xid::text || '/' || p_tenant_id::text, false);
    return v_xid;
  end if;
  return greatest(v_xid, pg_catalog.pg_snapshot_xmax(pg_catalog.pg_current_snapshot()));
end;
$$;

comment on function audit.declare_event_writer(uuid) is 'Declares the transaction a writer of the tenant''s audit events (the tenant''s event-writer key, held to commit; coord.event_horizon reads it) and returns the stream position for its next event: the transaction id, or a fresh one when the transaction declared another tenant first.';
revoke all on function audit.declare_event_writer(uuid) from public;
grant execute on function audit.declare_event_writer(uuid) to coord_owner, coord_auth;
