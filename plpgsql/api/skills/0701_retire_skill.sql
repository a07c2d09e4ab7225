create or replace function api.retire_skill(p_name text, p_version text default null, p_reason text default null)
returns api.result
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := coord.principal();
  v_ref text := p_name || coalesce('@' || p_version, '');
  v_decision authz.decision;
  v_versions text[];
begin
  perform coord.check_skill_name(p_name, coalesce(p_version, '0.0.0'));
  if char_length(p_reason) > 1000 then
    perform coord.fail('CO215', format('reason has %s characters', char_length(p_reason)));
  end if;
  if not exists (select from coord.skills as s where s.tenant_id = v_me.tenant_id and s.name = p_name
                   and (p_version is null or s.version = p_version)) then
    perform coord.fail('CO765', format('no skill %s', pg_catalog.quote_literal(v_ref)));
  end if;
  v_decision := authz.gate('skill.retire', 'skill', v_ref, '{}', jsonb_strip_nulls(jsonb_build_object('request_reason', p_reason)));
  if not v_decision.allowed then
    return coord.result(p_refusal => v_decision);
  end if;
  with retired as (
    update coord.skills as s set retired_at = coord.now(), retired_by = v_me.principal_id
    where s.tenant_id = v_me.tenant_id and s.name = p_name and (p_version is null or s.version = p_version)
      and s.retired_at is null
    returning s.version, s.version_key
  )
  select coalesce(array_agg(r.version order by r.version_key), '{}') into v_versions from retired as r;
  perform audit.record('skill.retire', case when cardinality(v_versions) > 0 then 'retired' else 'already_retired' end,
    'skill', v_ref, p_reason, jsonb_build_object('name', p_name, 'versions', to_jsonb(v_versions)), v_decision);
  return coord.result(case when cardinality(v_versions) > 0 then 'retired' else 'already_retired' end,
    case when cardinality(v_versions) > 0 then format('retired %s version(s) of %s', cardinality(v_versions), p_name)
         else format('%s was retired before', v_ref) end,
    jsonb_build_object('name', p_name, 'versions', to_jsonb(v_versions)));
end;
$$;

comment on function api.retire_skill(text, text, text) is
'Retires version p_version of skill p_name (every version when p_version is null): no session starts under it any more (CO768); sessions running it stay held to its manifest until they end. Code retired (details.versions), or already_retired; denied when the policy refuses (operators, and agents at trust 4). Errors: CO760 name or version, CO765 unknown skill or version, CO215 reason.';
revoke all on function api.retire_skill(text, text, text) from public;
grant execute on function api.retire_skill(text, text, text) to coord_agent, coord_operator;
