-- The advisory lock of a (tenant, kind)'s claim floor: shared by every transaction that made a
-- task of the kind ready, until it ends; exclusive while the floor moves up. Two kinds whose keys
-- collide share the lock, which only makes each wait for the other's.
create or replace function coord.task_floor_key(p_tenant_id uuid, p_kind text)
returns bigint
language sql
immutable
parallel safe
set search_path = pg_catalog, pg_temp
return pg_catalog.hashtextextended('coord.task_floor/' || p_tenant_id::text || '/' || p_kind, 0);

comment on function coord.task_floor_key(uuid, text) is 'The advisory lock key of the claim floor of (p_tenant_id, p_kind) (coord.task_became_ready, coord.advance_task_floor).';
revoke all on function coord.task_floor_key(uuid, text) from public;
