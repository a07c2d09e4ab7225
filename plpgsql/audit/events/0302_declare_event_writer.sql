-- Before a transaction writes a tenant's audit event it declares itself a writer of that tenant:
-- it holds the tenant's event-writer key (a shared advisory lock, never taken exclusively, so it
-- never waits) until it ends. The event stream's horizon (coord.event_horizon) then waits only
-- for running transactions that write this tenant's events (or that declared no tenant), not for
-- another tenant's. Returns the event's stream position (audit.events.txid): the transaction's
-- own id when it took this tenant's key before it had an id (audit.declare_event_tenant, which
-- the gate calls before any write): no reader of this tenant can have passed that id. Otherwise
-- (the key came later: a second tenant, a sweep, or a first key released by a rolled-back
-- savepoint) a reader may have passed the id while the transaction held only other keys, so its
-- events get a position no reader has passed: the xmax of a fresh snapshot, taken after the key.
-- Under REPEATABLE READ or SERIALIZABLE (no fresh snapshot) every key also takes the one every
-- tenant's horizon waits for, as the cluster-wide horizon did.
create or replace function audit.declare_event_writer(p_tenant_id uuid)
returns xid8
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
  if pg_catalog.current_setting('coord.event_tenant', true) is distinct from p_tenant_id::text then
    perform audit.declare_event_tenant(p_tenant_id);
    if pg_catalog.current_setting('coord.event_tenant', true) is distinct from p_tenant_id::text then
      return greatest(pg_catalog.pg_current_xact_id(), pg_catalog.pg_snapshot_xmax(pg_catalog.pg_current_snapshot()));
    end if;
  end if;
  return pg_catalog.pg_current_xact_id();
end;
$$;

comment on function audit.declare_event_writer(uuid) is 'Declares the transaction a writer of the tenant''s audit events (the tenant''s event-writer key, held to commit; coord.event_horizon reads it) and returns the stream position for its next event: the transaction id when the key was taken before the transaction had one, else a fresh position past every horizon handed out.';
revoke all on function audit.declare_event_writer(uuid) from public;
grant execute on function audit.declare_event_writer(uuid) to coord_owner, coord_auth;
