-- Internal: read and written only by coord's security definer code (coord.task_ready_floor).
alter table coord.task_ready_floors enable row level security;
alter table coord.task_ready_floors force row level security;

drop policy if exists task_ready_floors_internal on coord.task_ready_floors;
create policy task_ready_floors_internal on coord.task_ready_floors for all to coord_owner using (true) with check (true);

revoke all on coord.task_ready_floors from public, coord_authenticator, coord_anon, coord_agent, coord_operator, coord_auditor;
