-- coord:owner coord_auth
-- Whether a tenant has event followers registered (api.follow_events): audit.wake_followers asks
-- after every transaction's first event of the tenant. Owned by coord_auth (BYPASSRLS), as
-- coord.events_channel: one primary-key probe for the tenant it is given, without the RLS
-- initplan (coord.current_tenant_id) the probe cost as coord_owner, and true for a system
-- event's tenant too where no caller is vouched. It reads only whether a row exists (a column
-- grant on tenant_id). PL/pgSQL, not SQL: a security definer SQL function is never inlined, and
-- before PostgreSQL 18 its query is planned again in every transaction that calls it; PL/pgSQL
-- keeps the plan for the session.
create or replace function coord.has_event_followers(p_tenant_id uuid)
returns boolean
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  return exists (select from coord.event_followers as f where f.tenant_id = p_tenant_id);
end;
$$;

comment on function coord.has_event_followers(uuid) is 'Whether the tenant has a registered event follower (coord.event_followers); audit.wake_followers announces the tenant''s events then.';
revoke all on function coord.has_event_followers(uuid) from public;
grant execute on function coord.has_event_followers(uuid) to coord_owner;
