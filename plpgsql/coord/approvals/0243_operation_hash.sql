-- The hash a grant is bound to: sha256 of the canonical operation. jsonb is canonical (keys
-- sorted, duplicates folded, no insignificant white space), so equal operations hash equal.
create or replace function coord.operation_hash(p_operation jsonb)
returns bytea
language sql
immutable
strict
parallel safe
set search_path = pg_catalog, pg_temp
as $$
  select pg_catalog.sha256(pg_catalog.convert_to(p_operation::text, 'UTF8'));
$$;

comment on function coord.operation_hash(jsonb) is 'sha256 of the canonical (jsonb) text of an operation: what an approval grant is bound to.';
revoke all on function coord.operation_hash(jsonb) from public;
