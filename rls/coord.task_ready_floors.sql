-- Read by coord's code acting for the tenant; floors are taken by coord.take_task_floor
-- (coord_auth, BYPASSRLS: the pool is shared by every tenant).
alter table coord.task_ready_floors enable row level security;
alter table coord.task_ready_floors force row level security;

drop policy if exists task_ready_floors_internal on coord.task_ready_floors;
drop policy if exists task_ready_floors_own_tenant on coord.task_ready_floors;
create policy task_ready_floors_own_tenant on coord.task_ready_floors
  for all to coord_owner
  using (tenant_id = (select coord.current_tenant_id()))
  with check (tenant_id = (select coord.current_tenant_id()));

revoke all on coord.task_ready_floors from public, coord_authenticator, coord_anon, coord_agent, coord_operator, coord_auditor;
grant select (tenant_id, kind, floor, incarnation), insert (tenant_id, kind, floor, incarnation), delete
  on coord.task_ready_floors to coord_auth;
