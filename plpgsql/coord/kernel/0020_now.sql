-- The one clock every SQL function reads. Tests move it forward through coord.clock.
-- PL/pgSQL and security definer on purpose: it runs several times per call, and a plan of a
-- query on an RLS table is kept only for the role it was made for; as its owner's it is planned
-- once per session instead of whenever the calling role changes.
create or replace function coord.now()
returns timestamptz
language plpgsql
stable
parallel safe
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  return pg_catalog.transaction_timestamp() + coalesce((select c.offset_by from coord.clock as c), interval '0');
end;
$$;

comment on function coord.now() is 'Transaction time plus the test offset in coord.clock (zero in production).';
revoke all on function coord.now() from public;
grant execute on function coord.now() to coord_auth;
