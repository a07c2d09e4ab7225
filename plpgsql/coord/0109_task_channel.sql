-- The NOTIFY channel of a tenant's ready tasks. The payload is only a kind; listening needs no
-- privilege, so nothing else is sent.
create or replace function coord.task_channel(p_tenant_id uuid)
returns text
language sql
immutable
parallel safe
set search_path = pg_catalog, pg_temp
as $$
  select 'coord_tasks_' || replace(p_tenant_id::text, '-', '');
$$;

comment on function coord.task_channel(uuid) is 'LISTEN channel on which the tenant''s newly claimable tasks announce their kind.';
revoke all on function coord.task_channel(uuid) from public;
