-- Whether a comparison of two numeric literals (1 <> 2, 2 > 1) holds.
create or replace function coord.guard_sql_numbers_hold(p_factor text)
returns boolean
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_m text[] := regexp_match(p_factor, '^(-?[0-9.]+) ?(<>|!=|<|>) ?(-?[0-9.]+)$');
  a numeric;
  b numeric;
begin
  if v_m is null then
    return false;
  end if;
  begin
    a := v_m[1]::numeric;
    b := v_m[3]::numeric;
  exception when others then
    return false;
  end;
  return case v_m[2] when '<' then a < b when '>' then a > b else a <> b end;
end;
$$;

comment on function coord.guard_sql_numbers_hold(text) is 'Guardrail SQL: true when a comparison of two numeric literals holds.';
revoke all on function coord.guard_sql_numbers_hold(text) from public;
