-- The claim floor of a (tenant, kind): its row in coord.task_ready_floors, and the key of its
-- advisory lock (shared by every transaction that made a task of the kind ready, until it
-- ends; exclusive while the floor moves up). Two scopes whose keys collide share the lock,
-- which only makes each wait for the other's.
create or replace function coord.task_floor_scope(p_tenant_id uuid, p_kind text)
returns text
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  return p_tenant_id::text || '/' || p_kind;
end;
$$;

comment on function coord.task_floor_scope(uuid, text) is 'The scope of the claim floor of (p_tenant_id, p_kind): its key in coord.task_ready_floors and, hashed, its advisory lock (coord.task_became_ready, coord.advance_task_floor).';
revoke all on function coord.task_floor_scope(uuid, text) from public;
