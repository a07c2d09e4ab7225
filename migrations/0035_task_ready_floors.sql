-- A held snapshot keeps every claimed task's dead `queued` entry in tasks_kind_ready_idx, and a
-- claim walks them from the front (docs/benchmarks.md, "A held snapshot while the queue runs").
-- A floor per (tenant, kind) lets the claim start its scan at an id no ready task of the kind
-- lies below. It must not be MVCC storage (a row would grow its own chain of versions under the
-- same snapshot): it is a sequence's value, which setval changes outside transactions. The
-- floors are a fixed pool, each held by one (tenant, kind) at a time (coord.task_ready_floors);
-- kinds beyond the pool have no floor and scan from the front, as before. A floor counts only in
-- the server run and database that set it (incarnation): a sequence's value is not part of any
-- snapshot, so a logical dump can carry a floor newer than the tasks it dumped.
--
-- Under the tenant policy like coord.tasks: whoever makes a task of a tenant ready may change
-- that tenant's tasks, so it is acting for that tenant and sees the kind's row. Taking a floor
-- must see every tenant's rows (the pool is shared): coord.take_task_floor, owned by coord_auth.
create table coord.task_ready_floors (
  tenant_id uuid not null,
  kind text collate "C" not null,
  floor regclass not null,
  incarnation text not null,
  constraint task_ready_floors_pkey primary key (tenant_id, kind),
  constraint task_ready_floors_floor_key unique (floor)
);
alter table coord.task_ready_floors owner to coord_owner;
comment on table coord.task_ready_floors is 'Which sequence of the pool coord.task_ready_floor_1..64 holds the claim floor of a (tenant, kind), and in which server run and database it was taken (coord.task_floor_incarnation; a floor of another one counts for nothing and is taken again). Written only when a kind takes a floor (coord.take_task_floor).';
grant select (tenant_id, kind, floor, incarnation), insert (tenant_id, kind, floor, incarnation), delete
  on coord.task_ready_floors to coord_auth;

do $$
begin
  for i in 1..64 loop
    execute format('create sequence coord.task_ready_floor_%s as bigint minvalue 0 start 0', i);
    execute format('grant update on sequence coord.task_ready_floor_%s to coord_auth', i);
    execute format('comment on sequence coord.task_ready_floor_%s is %L', i,
      'A claim floor (coord.task_ready_floors): no ready task of its kind has a smaller id; set outside transactions.');
  end loop;
end
$$;
