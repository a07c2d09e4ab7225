-- coord:owner coord_auth
-- Whether this transaction may have changed a task (coord.advance_task_floor must not move a
-- floor past its own uncommitted claims, cancels or completions). Every insert, update, delete
-- or truncate of coord.tasks takes a RowExclusiveLock or stronger on it, held to the end of the
-- transaction (an aborted subtransaction's changes and locks go together); a client cannot drop
-- it, unlike a parameter it could clear. Reads pg_locks (coord_auth: clients may not).
create or replace function coord.transaction_changed_tasks()
returns boolean
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
  select exists (
    select from pg_catalog.pg_locks as l
    where l.pid = pg_catalog.pg_backend_pid() and l.locktype = 'relation'
      and l.relation = 'coord.tasks'::pg_catalog.regclass
      and l.mode in ('RowExclusiveLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'));
$$;

comment on function coord.transaction_changed_tasks() is 'True when this transaction holds a lock on coord.tasks that an insert, update, delete or truncate takes (so it may have changed a task); reads pg_locks (coord_auth).';
revoke all on function coord.transaction_changed_tasks() from public;
grant execute on function coord.transaction_changed_tasks() to coord_owner;
