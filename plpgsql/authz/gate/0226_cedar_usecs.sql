-- A duration or a time as Cedar compares it: microseconds (Cedar's Long). A duration is
-- normalized the way PostgreSQL compares intervals (a month is 30 days, a day 24 hours), so
-- Cedar's > on the numbers is PostgreSQL's > on the intervals; a time is microseconds since
-- 1970. Text that is not a valid interval or time gives null (the native engine, which casts
-- the same text, raises before Cedar is asked); values beyond Long are clamped. Strict: most
-- requests name no duration, and a null is answered without a call.
create or replace function authz.cedar_usecs(p_value text, p_is_time boolean default false)
returns bigint
language plpgsql
stable
strict
set search_path = pg_catalog, pg_temp
as $$
declare
  v_interval interval;
  v_time timestamptz;
  v_usecs numeric;
begin
  if p_value is null then
    return null;
  end if;
  -- The durations requests name are written like these, and cast without fail: no
  -- subtransaction to catch an error (hours and counts of at most 6 digits cannot overflow).
  if not p_is_time and (p_value ~ '^\s*[0-9]{1,6}:[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?\s*$'
                        or p_value ~ '^\s*[0-9]{1,6}\s*(second|minute|hour|day)s?\s*$') then
    return authz.cedar_interval_usecs(p_value::interval);
  end if;
  begin
    if p_is_time then
      v_time := p_value::timestamptz;
    else
      v_interval := p_value::interval;
    end if;
  exception when others then
    return null;
  end;
  if not p_is_time then
    return authz.cedar_interval_usecs(v_interval);
  end if;
  if not isfinite(v_time) then
    v_usecs := case when v_time > now() then 9e18 else -9e18 end;
  else
    v_usecs := extract(epoch from v_time) * 1000000;
  end if;
  return greatest(least(round(v_usecs), 9e18), -9e18)::bigint;
end;
$$;

comment on function authz.cedar_usecs(text, boolean) is 'Microseconds Cedar compares: an interval normalized as PostgreSQL compares intervals (30-day months), or a time (p_is_time) since 1970; null for null or invalid text; clamped to +-9e18.';
revoke all on function authz.cedar_usecs(text, boolean) from public;
