-- One range check for every lease-like interval (lock ttl, claim lease): each reports its own
-- registered code.
create or replace function coord.check_duration(p_value interval, p_code text, p_what text)
returns void
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  if p_value is null or p_value <= interval '0' or p_value > interval '24 hours' then
    perform coord.fail(p_code, format('%s %s', p_what, coalesce(p_value::text, 'null')));
  end if;
end;
$$;

comment on function coord.check_duration(interval, text, text) is 'Raises p_code (CO211 ttl, CO406 lease) unless 0 < interval <= 24 hours.';
revoke all on function coord.check_duration(interval, text, text) from public;
