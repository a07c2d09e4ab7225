-- The team a principal belongs to for messages: the profile it acts under (its own, else the
-- tenant default), as for shared memories (coord.memory_team). Principals of the agent role
-- only; operators and auditors are in no team. Set-based callers join the same expression.
create or replace function coord.message_team(p_tenant_id uuid, p_principal_id uuid)
returns uuid
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  select case when p.role = 'agent' then coalesce(p.profile_id, n.default_profile_id) end
  from coord.principals as p
  join coord.tenants as n on n.id = p.tenant_id
  where p.tenant_id = p_tenant_id and p.id = p_principal_id;
$$;

comment on function coord.message_team(uuid, uuid) is 'The profile (team) principal p_principal_id acts under for message rules: its own or the tenant default; null for operators and auditors.';
revoke all on function coord.message_team(uuid, uuid) from public;
