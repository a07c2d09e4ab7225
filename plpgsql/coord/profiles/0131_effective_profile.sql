-- The profile an agent acts under: its own, else its tenant's default (always set). Operators
-- and auditors are people, not agents: they have none (null).
create or replace function coord.effective_profile(p_me coord.caller)
returns coord.profiles
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  select f.*
  from coord.principals as p
  join coord.tenants as n on n.id = p.tenant_id
  join coord.profiles as f on f.tenant_id = p.tenant_id and f.id = coalesce(p.profile_id, n.default_profile_id)
  where p_me.role = 'agent' and p.tenant_id = p_me.tenant_id and p.id = p_me.principal_id;
$$;

comment on function coord.effective_profile(coord.caller) is 'Profile of the agent p_me (its own or the tenant default); null for operators and auditors.';
revoke all on function coord.effective_profile(coord.caller) from public;
