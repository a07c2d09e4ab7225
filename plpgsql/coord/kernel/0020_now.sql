-- The one clock every SQL function reads. Tests move it forward through coord.clock.
create or replace function coord.now()
returns timestamptz
language sql
stable
parallel safe
set search_path = pg_catalog, pg_temp
as $$
  select pg_catalog.transaction_timestamp() + coalesce((select c.offset_by from coord.clock as c), interval '0');
$$;

comment on function coord.now() is 'Transaction time plus the test offset in coord.clock (zero in production).';
revoke all on function coord.now() from public;
grant execute on function coord.now() to coord_auth;
