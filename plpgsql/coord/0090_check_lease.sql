create or replace function coord.check_lease(p_lease interval)
returns void
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  if p_lease is null or p_lease <= interval '0' or p_lease > interval '24 hours' then
    perform coord.fail('CO406', format('lease %s', coalesce(p_lease::text, 'null')));
  end if;
end;
$$;

comment on function coord.check_lease(interval) is 'CO406 unless 0 < lease <= 24 hours.';
revoke all on function coord.check_lease(interval) from public;
