create or replace function coord.check_ttl(p_ttl interval)
returns void
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  perform coord.check_duration(p_ttl, 'CO211', 'ttl');
end;
$$;

comment on function coord.check_ttl(interval) is 'CO211 unless 0 < ttl <= 24 hours. Profiles (governance) may lower the ceiling per agent.';
revoke all on function coord.check_ttl(interval) from public;
