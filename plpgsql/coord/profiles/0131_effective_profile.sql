-- The profile an agent acts under: its own, else its tenant's default (always set). Operators
-- and auditors are people, not agents: they have none (null). PL/pgSQL: its query is planned
-- once per session (a SQL function with a SET clause is planned on every call). Hot paths
-- fetch it once per call and pass it on (authz.gate's p_profile).
create or replace function coord.effective_profile(p_me coord.caller)
returns coord.profiles
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_profile coord.profiles;
begin
  if p_me.role is distinct from 'agent' then
    return null;
  end if;
  select f.* into v_profile
  from coord.principals as p
  join coord.tenants as n on n.id = p.tenant_id
  join coord.profiles as f on f.tenant_id = p.tenant_id and f.id = coalesce(p.profile_id, n.default_profile_id)
  where p.tenant_id = p_me.tenant_id and p.id = p_me.principal_id;
  if not found then
    return null;
  end if;
  return v_profile;
end;
$$;

comment on function coord.effective_profile(coord.caller) is 'Profile of the agent p_me (its own or the tenant default); null for operators and auditors.';
revoke all on function coord.effective_profile(coord.caller) from public;
