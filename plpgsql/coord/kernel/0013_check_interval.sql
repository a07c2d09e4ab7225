-- The one range check for every interval the api accepts (lock ttl and wait, claim lease,
-- session ttl, token lifetime, retention, alert window, profile limits): each argument has its
-- own bounds and registered code. Non-finite intervals ('infinity', PostgreSQL 17+) are refused
-- by name rather than by comparison, and the check runs before any arithmetic with the value,
-- which could overflow (22008) on an interval of millions of years.
create or replace function coord.check_interval(p_value interval, p_code text, p_what text, p_min interval,
                                                p_max interval)
returns void
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  if p_value is null or not pg_catalog.isfinite(p_value) or p_value < p_min or p_value > p_max then
    perform coord.fail(p_code, format('%s %s', p_what, coalesce(p_value::text, 'null')));
  end if;
end;
$$;

comment on function coord.check_interval(interval, text, text, interval, interval) is 'Raises p_code (the argument''s registered code) unless p_min <= p_value <= p_max and p_value is finite and not null; p_what names it in the detail.';
revoke all on function coord.check_interval(interval, text, text, interval, interval) from public;
