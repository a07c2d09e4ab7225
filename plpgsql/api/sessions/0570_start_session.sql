create or replace function api.start_session(
  p_agent_type text default null,
  p_capabilities text[] default '{}',
  p_ttl interval default interval '60 seconds',
  p_repository text default null,
  p_skill text default null
)
returns api.session_result
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := coord.principal();
  v_decision authz.decision;
  v_now timestamptz := coord.now();
  v_id uuid;
  v_repository text;
  v_skill coord.skills;
begin
  perform coord.check_interval(p_ttl, 'CO432', 'ttl', interval '1 second', interval '1 hour');
  perform coord.check_list(p_capabilities, 'capabilities');
  if p_agent_type !~ '^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,63}$' then
    perform coord.fail('CO436', format('agent type %s', pg_catalog.quote_literal(left(p_agent_type, 100))));
  end if;
  if cardinality(p_capabilities) > 64
     or exists (select from unnest(p_capabilities) as c where c is null or c !~ '^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,63}$') then
    perform coord.fail('CO433', format('%s capabilities', cardinality(p_capabilities)));
  end if;
  -- Named here, else the token's (the caller's, unless this call runs in another session).
  v_repository := case when p_repository is not null then coord.check_repository(p_repository)
                       else coalesce(v_me.repository, 'default') end;
  -- The skill the session runs under: name@version, or a name for its newest version not retired.
  if p_skill is not null then
    v_skill := coord.find_skill(v_me.tenant_id, p_skill, true);
  end if;
  v_decision := authz.gate('session.start', 'session', null, jsonb_strip_nulls(jsonb_build_object('ttl', p_ttl, 'repository', v_repository,
    'skill', v_skill.name || '@' || v_skill.version)));
  if not v_decision.allowed then
    return coord.session_result(p_refusal => v_decision);
  end if;

  insert into coord.sessions (tenant_id, agent_id, agent_type, capabilities, status, ttl, started_at,
                              last_heartbeat_at, expires_at, repository, skill_id)
  values (v_me.tenant_id, v_me.principal_id, p_agent_type,
          array(select distinct c from unnest(coalesce(p_capabilities, '{}')) as c order by c),
          'starting', p_ttl, v_now, v_now, v_now + p_ttl, v_repository, v_skill.id)
  returning id into v_id;
  perform audit.record('session.start', 'started', 'session', v_id::text, null,
    jsonb_strip_nulls(jsonb_build_object('agent_type', p_agent_type, 'capabilities', p_capabilities, 'ttl', p_ttl,
                                        'repository', v_repository, 'skill', v_skill.name || '@' || v_skill.version,
                                        'skill_id', v_skill.id)),
    v_decision);
  return coord.session_result('started', v_id, p_expires_at => v_now + p_ttl,
    p_details => jsonb_strip_nulls(jsonb_build_object('ttl', p_ttl, 'header', 'x-coord-session', 'repository', v_repository,
                                                      'skill', v_skill.name || '@' || v_skill.version,
                                                      'manifest', v_skill.manifest)));
end;
$$;

comment on function api.start_session(text, text[], interval, text, text) is
'Starts a session of the calling agent (code started, session_id, expires_at). Send session_id in the x-coord-session header from then on: leases and claims taken in the session belong to it, one heartbeat (within p_ttl, 1 s to 1 h, default 60 s) keeps all of them alive, and when the session ends or misses its heartbeat they are released and requeued. The session works in repository p_repository (else your token''s, else default; details.repository): every lease taken, checked or released in it is keyed by that repository and path. With p_skill (name@version, or a name for its newest version not retired) the session runs that skill: every call made in it is held to the skill''s manifest as well as to your profile (leases, check_network, check_operation path and env answer outside_skill for what the manifest does not cover; details.skill and details.manifest). A refusal of the policy is denied (details.rule). Errors: CO432 ttl, CO241/CO433 capabilities, CO436 agent type, CO207 repository, CO760 skill reference, CO765 unknown skill, CO768 retired skill.';
revoke all on function api.start_session(text, text[], interval, text, text) from public;
grant execute on function api.start_session(text, text[], interval, text, text) to coord_agent, coord_operator;
