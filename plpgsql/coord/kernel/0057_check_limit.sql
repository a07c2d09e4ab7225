create or replace function coord.check_limit(p_limit integer)
returns void
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  if p_limit is null or p_limit not between 1 and 1000 then
    perform coord.fail('CO224', format('limit %s', coalesce(p_limit::text, 'null')));
  end if;
end;
$$;

comment on function coord.check_limit(integer) is 'CO224 unless 1 <= limit <= 1000 (page sizes and batch claims).';
revoke all on function coord.check_limit(integer) from public;
