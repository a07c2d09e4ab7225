-- The one range check for every timestamp the api accepts, as an argument or inside a JSON
-- document (a task's run_after): finite, and within years 1-9999 with a day to spare at each
-- end, so every client can represent it in any time zone (Python's datetime stops at year 9999,
-- 'infinity' has no representation at all). PostgreSQL itself refuses what it cannot parse
-- (22007) or hold (22008) before the function runs.
create or replace function coord.check_timestamp(p_value timestamptz, p_what text)
returns void
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
  if p_value is not null and (not pg_catalog.isfinite(p_value)
      or p_value < timestamptz '0001-01-02 00:00:00+00' or p_value > timestamptz '9999-12-30 00:00:00+00') then
    perform coord.fail('CO226', format('%s %s', p_what, p_value));
  end if;
end;
$$;

comment on function coord.check_timestamp(timestamptz, text) is 'CO226 unless the timestamp is null, or finite and between 0001-01-02 and 9999-12-30 (UTC); p_what names it in the detail.';
revoke all on function coord.check_timestamp(timestamptz, text) from public;
