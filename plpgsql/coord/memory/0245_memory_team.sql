-- The team a memory is shared with is the profile its author acts under: profiles are how a
-- tenant groups its agents (a team file assigns them). Operators and auditors have none.
create or replace function coord.memory_team(p_me coord.caller)
returns uuid
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
  if p_me.role <> 'agent' then
    return null;
  end if;
  return (coord.effective_profile(p_me)).id;
end;
$$;

comment on function coord.memory_team(coord.caller) is 'The profile id of the agent p_me (its team for shared memories); null for operators and auditors.';
revoke all on function coord.memory_team(coord.caller) from public;
