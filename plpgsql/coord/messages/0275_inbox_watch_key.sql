-- The advisory lock key of a tenant's inbox watchers: api.watch_inbox holds it shared for as
-- long as its connection lives, coord.notify_inbox tries it exclusively (docs/messages.md).
create or replace function coord.inbox_watch_key(p_tenant_id uuid)
returns bigint
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  select pg_catalog.hashtextextended('inbox-watch:' || coord.fleet_channel(p_tenant_id), 0);
$$;

comment on function coord.inbox_watch_key(uuid) is 'Advisory lock key whose shared holders are the tenant''s inbox watchers (api.watch_inbox).';
revoke all on function coord.inbox_watch_key(uuid) from public;
