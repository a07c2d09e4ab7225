create or replace function coord.check_ttl(p_ttl interval)
returns void
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  if p_ttl is null or p_ttl <= interval '0' or p_ttl > interval '24 hours' then
    perform coord.fail('CO211', format('ttl %s', coalesce(p_ttl::text, 'null')));
  end if;
end;
$$;

comment on function coord.check_ttl(interval) is 'CO211 unless 0 < ttl <= 24 hours. Profiles (governance) may lower the ceiling per agent.';
revoke all on function coord.check_ttl(interval) from public;
