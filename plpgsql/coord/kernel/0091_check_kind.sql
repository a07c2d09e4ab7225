-- Inlined into the caller's statement (plpgsql/README.md, "Inlined helpers"); coord.fail's void
-- is cast to text only to give the CASE one type (it raises, so nothing is converted).
create or replace function coord.check_kind(p_kind text)
returns text
language sql
stable
return case
  when p_kind is null or p_kind !~ '^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,127}$'
  then coord.fail('CO401', pg_catalog.format('kind %s', coalesce(pg_catalog.quote_literal(pg_catalog.left(p_kind, 200)),
                                                                 'null')))::text
  else p_kind
end;

comment on function coord.check_kind(text) is 'Returns p_kind, or CO401 unless it is 1-128 of letters, digits and . _ : / - starting with a letter or digit.';
revoke all on function coord.check_kind(text) from public;
