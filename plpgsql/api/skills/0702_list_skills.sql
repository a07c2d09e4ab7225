-- PL/pgSQL so the caller is checked first, whatever plan the query gets.
create or replace function api.list_skills(p_name text default null, p_include_retired boolean default false)
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
begin
  return query
    select s.id, s.name, s.version, s.manifest, p.name, s.registered_at, s.approval_id, s.retired_at,
           (select count(*) from coord.sessions as x
            where x.tenant_id = s.tenant_id and x.skill_id = s.id and x.ended_at is null and x.expires_at > coord.now())
    from coord.skills as s
    left join coord.principals as p on p.tenant_id = s.tenant_id and p.id = s.registered_by
    where s.tenant_id = v_me.tenant_id and (p_name is null or s.name = p_name)
      and (p_include_retired or s.retired_at is null)
    order by s.name, s.version_key desc;
end;
$$;

comment on function api.list_skills(text, boolean) is 'Skill versions of your tenant (one skill with p_name; retired ones with p_include_retired), newest version first, with the canonical manifest, who registered it, the approval it used and how many live sessions run it. Read-only. Errors: PT403.';
revoke all on function api.list_skills(text, boolean) from public;
grant execute on function api.list_skills(text, boolean) to coord_agent, coord_operator, coord_auditor;
