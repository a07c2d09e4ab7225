-- Lock, claim and session decisions read what overlapping requests committed after they were
-- serialized (row locks, advisory locks); an older snapshot (REPEATABLE READ, SERIALIZABLE)
-- would not see those leases, claims or new dependents.
create or replace function coord.require_read_committed()
returns void
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
  if pg_catalog.current_setting('transaction_isolation') <> 'read committed' then
    perform coord.fail('CO213', format('transaction isolation is %s',
                                       pg_catalog.current_setting('transaction_isolation')));
  end if;
end;
$$;

comment on function coord.require_read_committed() is 'CO213 unless the transaction runs at READ COMMITTED, which every lock, task and session decision needs.';
revoke all on function coord.require_read_committed() from public;
