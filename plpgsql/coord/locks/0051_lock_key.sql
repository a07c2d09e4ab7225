-- Advisory-lock key of a path node within a repository of a tenant (a directory and a file of
-- the same name share a node; the same path in two repositories does not). Collisions only
-- over-serialize, never under-serialize. PL/pgSQL: called once per node of every lock decision,
-- and a SQL function with a SET clause is never inlined.
create or replace function coord.lock_key(p_tenant_id uuid, p_repository text, p_node text)
returns bigint
language plpgsql
immutable
parallel safe
set search_path = pg_catalog, pg_temp
as $$
begin
  return pg_catalog.hashtextextended(p_tenant_id::text || '/' || p_repository || ':' || p_node, 0);
end;
$$;

comment on function coord.lock_key(uuid, text, text) is 'Key for pg_advisory_xact_lock serializing lock decisions on one path node of one repository of one tenant.';
revoke all on function coord.lock_key(uuid, text, text) from public;
