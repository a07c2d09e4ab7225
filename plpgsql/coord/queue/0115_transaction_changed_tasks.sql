-- coord:owner coord_auth
-- Whether this transaction may have changed a task or a claim floor's row (coord.advance_task_floor
-- must not move a floor past its own uncommitted claims, cancels or completions, nor move a floor
-- row no other transaction can see yet: coord.task_became_ready elsewhere cannot reset a floor
-- this transaction took, so moved before the take commits it could pass a task made ready
-- meanwhile). Every insert, update, delete or truncate of a table takes a RowExclusiveLock or
-- stronger on it, held to the end of the transaction (an aborted subtransaction's changes and
-- locks go together); a client cannot drop it, unlike a parameter it could clear. Reads pg_locks
-- (coord_auth: clients may not).
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
      and l.relation in ('coord.tasks'::pg_catalog.regclass, 'coord.task_ready_floors'::pg_catalog.regclass)
      and l.mode in ('RowExclusiveLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'));
$$;

comment on function coord.transaction_changed_tasks() is 'True when this transaction holds a lock on coord.tasks or coord.task_ready_floors that an insert, update, delete or truncate takes (so it may have changed a task, or taken a claim floor); reads pg_locks (coord_auth).';
revoke all on function coord.transaction_changed_tasks() from public;
grant execute on function coord.transaction_changed_tasks() to coord_owner;
