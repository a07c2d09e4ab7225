-- An interval as Cedar compares it: microseconds (Cedar's Long), normalized the way PostgreSQL
-- compares intervals (a month is 30 days, a day 24 hours), so Cedar's > on the numbers is
-- PostgreSQL's > on the intervals; values beyond Long are clamped. For an interval the
-- database holds (a profile's limits): no text to parse, so no subtransaction to catch a bad one
-- (authz.cedar_usecs parses what a caller sends and uses this for the number). PL/pgSQL, not
-- SQL: a SQL function with a SET clause is never inlined, and called from PL/pgSQL it was seen
-- parsed again on every call (docs/benchmarks.md); PL/pgSQL compiles once per backend.
create or replace function authz.cedar_interval_usecs(p_value interval)
returns bigint
language plpgsql
immutable
strict
parallel safe
set search_path = pg_catalog, pg_temp
as $$
begin
  return greatest(least(round(
    ((extract(year from p_value) * 12 + extract(month from p_value)) * 30 + extract(day from p_value)) * 86400000000
    + (extract(epoch from p_value) - extract(year from p_value) * 365.25 * 86400
       - extract(month from p_value) * 30 * 86400 - extract(day from p_value) * 86400) * 1000000), 9e18), -9e18)::bigint;
end;
$$;

comment on function authz.cedar_interval_usecs(interval) is 'Microseconds Cedar compares for an interval, normalized as PostgreSQL compares intervals (30-day months); clamped to +-9e18.';
revoke all on function authz.cedar_interval_usecs(interval) from public;
