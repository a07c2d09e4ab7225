-- Gives an agent a profile (p_profile null: back to the tenant default) and audits it as
-- profile.assign. The one write behind api.assign_profile and team files; callers gate first.
create or replace function coord.set_agent_profile(
  p_tenant_id uuid,
  p_agent_id uuid,
  p_agent text,
  p_profile text,
  p_reason text default null,
  p_authz authz.decision default null
)
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
  perform audit.record('profile.assign', 'assigned', 'principal', p_agent_id::text, p_reason,
    jsonb_build_object('agent', p_agent, 'profile', p_profile, 'default', p_profile is null, 'before', v_before),
    p_authz, 'notice');
end;
$$;

comment on function coord.set_agent_profile(uuid, uuid, text, text, text, authz.decision) is 'Gives the agent profile p_profile (null: the tenant default) and audits it as profile.assign (details.before names the profile it had). Callers pass the gate first.';
revoke all on function coord.set_agent_profile(uuid, uuid, text, text, text, authz.decision) from public;
