-- Takes the tenant's event-writer key (see audit.declare_event_writer). When the transaction has
-- no id yet, no reader can have passed it, so it notes the tenant (coord.event_tenant, local to
-- the transaction and undone with the savepoint that releases the key): that tenant's events may
-- then take the transaction's own id as their position. authz.gate calls it before any write.
create or replace function audit.declare_event_tenant(p_tenant_id uuid)
returns void
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_set text;  -- assigned, not PERFORMed: an expression, not a query
begin
  if p_tenant_id is null or pg_catalog.current_setting('coord.event_tenant', true) = p_tenant_id::text then
    return;
  end if;
  v_set := pg_catalog.pg_advisory_xact_lock_shared(1131376500, pg_catalog.hashtext(p_tenant_id::text));  -- assigned: no executor
  -- The key every tenant waits for covers only a superuser's maintenance under an older snapshot,
  -- whose late turn to another tenant is positioned, not refused (audit.declare_event_writer). A
  -- client's turn is refused there, so its own tenant's key suffices: taking the common one let
  -- any tenant's open REPEATABLE READ transaction stall every tenant's stream.
  -- Nested: a condition with a subquery runs through the executor even when its first test is
  -- false, and this runs on every gated call.
  if pg_catalog.current_setting('transaction_isolation') <> 'read committed' then
    if coalesce((select r.rolsuper from pg_catalog.pg_roles as r where r.rolname = session_user), false) then
      perform pg_catalog.pg_advisory_xact_lock_shared(1131376501, 0);
    end if;
  end if;
  if pg_catalog.pg_current_xact_id_if_assigned() is null then
    v_set := pg_catalog.set_config('coord.event_tenant', p_tenant_id::text, true);
  end if;
end;
$$;

comment on function audit.declare_event_tenant(uuid) is 'Takes the tenant''s event-writer key; before the transaction has an id, also notes the tenant (coord.event_tenant), whose events may then be positioned at the transaction''s own id. Called by authz.gate before any write.';
revoke all on function audit.declare_event_tenant(uuid) from public;
grant execute on function audit.declare_event_tenant(uuid) to coord_owner, coord_auth;
