create or replace function coord.check_fence(p_fence bigint)
returns void
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  if p_fence is null or p_fence < 1 then
    perform coord.fail('CO216', format('fence %s', coalesce(p_fence::text, 'null')));
  end if;
end;
$$;

comment on function coord.check_fence(bigint) is 'CO216 unless the fence is a positive number.';
revoke all on function coord.check_fence(bigint) from public;
