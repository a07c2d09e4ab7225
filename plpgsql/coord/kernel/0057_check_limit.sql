-- Inlined into the caller's statement (plpgsql/README.md, "Inlined helpers").
create or replace function coord.check_limit(p_limit integer)
returns void
language sql
stable
return case
  when p_limit is null or p_limit not between 1 and 1000
  then coord.fail('CO224', pg_catalog.format('limit %s', coalesce(p_limit::text, 'null')))
end;

comment on function coord.check_limit(integer) is 'CO224 unless 1 <= limit <= 1000 (page sizes and batch claims).';
revoke all on function coord.check_limit(integer) from public;
