-- Assigns the profile a team file declares for an agent (null: back to the tenant default),
-- audited like api.assign_profile. The caller (api.apply_team) is a gated operator.
create or replace function coord.assign_declared_profile(p_tenant_id uuid, p_agent_id uuid, p_agent text, p_profile text)
returns void
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_profile uuid := case when p_profile is not null then coord.profile_id(p_tenant_id, p_profile) end;
  v_before text;
begin
  select f.name into v_before
  from coord.principals as p join coord.profiles as f on f.tenant_id = p.tenant_id and f.id = p.profile_id
  where p.tenant_id = p_tenant_id and p.id = p_agent_id;
  update coord.principals as p set profile_id = v_profile where p.tenant_id = p_tenant_id and p.id = p_agent_id;
  perform audit.record('profile.assign', 'assigned', 'principal', p_agent_id::text, 'declared in a team file',
    jsonb_build_object('agent', p_agent, 'profile', p_profile, 'default', p_profile is null, 'before', v_before),
    p_severity => 'notice');
end;
$$;

comment on function coord.assign_declared_profile(uuid, uuid, text, text) is 'Team files: gives the agent the declared profile (null: the tenant default) and audits it as profile.assign.';
revoke all on function coord.assign_declared_profile(uuid, uuid, text, text) from public;
