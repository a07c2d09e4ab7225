create or replace function coord.check_kinds(p_kinds text[])
returns void
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_kind text;
  v_valid text;  -- the checks' answer (none): assigned, not PERFORMed (an expression, not a query)
begin
  v_valid := coord.check_list(p_kinds, 'kinds');
  if p_kinds is null or cardinality(p_kinds) not between 1 and 100 then
    perform coord.fail('CO402', format('%s kinds', coalesce(cardinality(p_kinds), 0)));
  end if;
  foreach v_kind in array p_kinds loop
    v_valid := coord.check_kind(v_kind);
  end loop;
end;
$$;

comment on function coord.check_kinds(text[]) is 'CO241 unless a one-dimensional list without nulls, CO402 unless 1-100 kinds are given; CO401 for an invalid one.';
revoke all on function coord.check_kinds(text[]) from public;
