-- The prev_hash of a tenant's first link: bound to the tenant, so a chain cannot be
-- transplanted into another tenant's stream.
create or replace function audit.genesis_hash(p_tenant_id uuid)
returns bytea
language sql
immutable
strict
set search_path = pg_catalog, pg_temp
as $$
  select pg_catalog.sha256(pg_catalog.convert_to('coord audit chain ' || p_tenant_id::text, 'UTF8'))
$$;

comment on function audit.genesis_hash(uuid) is 'prev_hash of the first link of a tenant''s chain: sha256 of ''coord audit chain <tenant id>''.';
revoke all on function audit.genesis_hash(uuid) from public;
