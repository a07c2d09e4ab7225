create or replace function api.get_skill(p_skill text)
returns table (
  skill_id bigint,
  name text,
  version text,
  manifest jsonb,
  registered_by text,
  registered_at timestamptz,
  approval_id bigint,
  retired_at timestamptz,
  live_sessions bigint
)
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := authz.require_read('skill.read');
  v_skill coord.skills := coord.find_skill(v_me.tenant_id, p_skill);
begin
  return query
    select s.id, s.name, s.version, s.manifest, p.name, s.registered_at, s.approval_id, s.retired_at,
           (select count(*) from coord.sessions as x
            where x.tenant_id = s.tenant_id and x.skill_id = s.id and x.ended_at is null and x.expires_at > coord.now())
    from coord.skills as s
    left join coord.principals as p on p.tenant_id = s.tenant_id and p.id = s.registered_by
    where s.tenant_id = v_me.tenant_id and s.id = v_skill.id;
end;
$$;

comment on function api.get_skill(text) is 'One skill version: p_skill is name@version, or a name for its highest version not retired (else its highest). The columns of list_skills. Read-only. Errors: CO760 malformed reference, CO765 unknown skill, PT403.';
revoke all on function api.get_skill(text) from public;
grant execute on function api.get_skill(text) to coord_agent, coord_operator, coord_auditor;
