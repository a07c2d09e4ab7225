-- Current instant on the coord clock while a statement runs (for waits that outlive the
-- transaction timestamp). PL/pgSQL: lock decisions and claims read it, and a SQL function
-- with a SET clause is planned on every call.
create or replace function coord.clock_now()
returns timestamptz
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
  return coord.now() + (pg_catalog.clock_timestamp() - pg_catalog.transaction_timestamp());
end;
$$;

comment on function coord.clock_now() is 'coord.now() advanced by the real time elapsed in this transaction; used by waiting loops.';
revoke all on function coord.clock_now() from public;
