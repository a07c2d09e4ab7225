-- Inlined into the caller's statement (plpgsql/README.md, "Inlined helpers").
create or replace function coord.check_ttl(p_ttl interval)
returns void
language sql
stable
return coord.check_duration(p_ttl, 'CO211', 'ttl');

comment on function coord.check_ttl(interval) is 'CO211 unless 0 < ttl <= 24 hours. Profiles (governance) may lower the ceiling per agent.';
revoke all on function coord.check_ttl(interval) from public;
