create or replace function coord.check_kind(p_kind text)
returns text
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  if p_kind is null or p_kind !~ '^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,127}$' then
    perform coord.fail('CO401', format('kind %s', coalesce(pg_catalog.quote_literal(left(p_kind, 200)), 'null')));
  end if;
  return p_kind;
end;
$$;

comment on function coord.check_kind(text) is 'Returns p_kind, or CO401 unless it is 1-128 of letters, digits and . _ : / - starting with a letter or digit.';
revoke all on function coord.check_kind(text) from public;
