-- One range check for every lease-like interval (lock ttl, claim lease): each reports its own
-- registered code.
create or replace function coord.check_duration(p_value interval, p_code text, p_what text)
returns void
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  -- Positive: intervals count whole microseconds, so the smallest positive one is 1 microsecond.
  perform coord.check_interval(p_value, p_code, p_what, interval '1 microsecond', interval '24 hours');
end;
$$;

comment on function coord.check_duration(interval, text, text) is 'Raises p_code (CO211 ttl, CO406 lease) unless 0 < interval <= 24 hours.';
revoke all on function coord.check_duration(interval, text, text) from public;
