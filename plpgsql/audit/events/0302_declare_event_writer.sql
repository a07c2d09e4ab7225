-- Before a transaction writes a tenant's audit event it declares itself a writer of that tenant:
-- it holds the tenant's event-writer key (a shared advisory lock, never taken exclusively, so it
-- never waits) until it ends. The event stream's horizon (coord.event_horizon) then waits only
-- for running transactions that write this tenant's events, not for another tenant's nor for
-- one that declared no tenant. Returns the event's stream position (audit.events.txid): the transaction's
-- own id when it took this tenant's key before it had an id (audit.declare_event_tenant, which
-- the gate calls before any write): no reader of this tenant can have passed that id. Otherwise
-- (the key came later: a second tenant, a sweep, or a first key released by a rolled-back
-- savepoint) a reader may have passed the id while the transaction held only other keys, so its
-- events get a position no reader has passed: the xmax of a fresh snapshot, taken after the key.
-- Under REPEATABLE READ or SERIALIZABLE there is no fresh snapshot: such an event is refused
-- (CO213) for a client; a superuser's is not, so a superuser's key also takes the one every
-- tenant's horizon waits for (audit.declare_event_tenant).
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
      -- Readers may have passed this transaction's id (coord.event_horizon passes one that holds
      -- no key of theirs). Only READ COMMITTED (READ UNCOMMITTED runs as it) has a fresh snapshot
      -- whose xmax lies past every horizon handed out; an older snapshot's could lie below one,
      -- and the event be skipped. A client is refused; a superuser's own DML under an older
      -- snapshot (maintenance by hand: a trigger audits it after the row took the id) is not,
      -- and keeps the position it always had (docs/events.md).
      if pg_catalog.current_setting('transaction_isolation') not in ('read committed', 'read uncommitted')
         and not coalesce((select r.rolsuper from pg_catalog.pg_roles as r where r.rolname = session_user), false) then
        perform coord.fail('CO213', format('transaction isolation is %s, and the transaction wrote before its first '
                                           'audited call', pg_catalog.current_setting('transaction_isolation')));
      end if;
      return greatest(pg_catalog.pg_current_xact_id(), pg_catalog.pg_snapshot_xmax(pg_catalog.pg_current_snapshot()));
    end if;
  end if;
  return pg_catalog.pg_current_xact_id();
end;
$$;

comment on function audit.declare_event_writer(uuid) is 'Declares the transaction a writer of the tenant''s audit events (the tenant''s event-writer key, held to commit; coord.event_horizon reads it) and returns the stream position for its next event: the transaction id when the key was taken before the transaction had one, else a fresh position past every horizon handed out (CO213 outside READ COMMITTED, which has no fresh snapshot).';
revoke all on function audit.declare_event_writer(uuid) from public;
grant execute on function audit.declare_event_writer(uuid) to coord_owner, coord_auth;
