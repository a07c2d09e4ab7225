-- Release the leases a task's claim took. Rows are locked in id order, the order every
-- lease-taking statement locks them in, so a release and a concurrent acquire cannot deadlock.
create or replace function coord.drop_task_leases(p_task_id bigint)
returns integer
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_count integer;
begin
  delete from coord.locks as l
  where l.id in (select x.id from coord.locks as x where x.task_id = p_task_id order by x.id for update);
  get diagnostics v_count = row_count;
  return v_count;
end;
$$;

comment on function coord.drop_task_leases(bigint) is 'Deletes the leases held for a task (locked in id order); returns how many.';
revoke all on function coord.drop_task_leases(bigint) from public;
