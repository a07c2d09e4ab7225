-- Register a skill version. Versions are immutable and only grow: the same version again with
-- the same canonical manifest is already_registered, with another manifest CO767; a version not
-- above every registered one is CO766. A manifest that allows anything the previous version
-- did not (the first version: anything at all) needs an approval when an agent registers it:
-- the call answers needs_approval with a request, and is repeated with p_approval once it is
-- granted. Operators register without one; either way the widening is audited.
create or replace function api.register_skill(
  p_name text,
  p_version text,
  p_manifest jsonb,
  p_reason text default null,
  p_approval bigint default null
)
returns api.skill_result
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := coord.principal();
  v_key integer[] := coord.check_skill_name(p_name, p_version);
  v_manifest jsonb := coord.skill_manifest(p_manifest);
  v_ref text := p_name || '@' || p_version;
  v_decision authz.decision;
  v_same coord.skills;
  v_previous coord.skills;
  v_widened jsonb;
  v_grant jsonb;
  v_id bigint;
  v_details jsonb;
begin
  if char_length(p_reason) > 1000 then
    perform coord.fail('CO215', format('reason has %s characters', char_length(p_reason)));
  end if;
  v_decision := authz.gate('skill.register', 'skill', v_ref, jsonb_build_object('version', p_version),
    jsonb_strip_nulls(jsonb_build_object('manifest', v_manifest, 'request_reason', p_reason)));
  if not v_decision.allowed then
    return coord.skill_result(p_name => p_name, p_version => p_version, p_refusal => v_decision);
  end if;
  -- One registration of a skill at a time, so two versions cannot both pass the order check.
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('coord.skills/' || v_me.tenant_id::text || '/' || p_name, 0));
  select * into v_same from coord.skills as s where s.tenant_id = v_me.tenant_id and s.name = p_name and s.version = p_version;
  if v_same.id is not null then
    if v_same.manifest <> v_manifest then
      perform coord.fail('CO767', format('%s is registered with another manifest', v_ref));
    end if;
    perform audit.record('skill.register', 'already_registered', 'skill', v_ref, p_reason,
      jsonb_build_object('skill_id', v_same.id, 'name', p_name, 'version', p_version), v_decision);
    return coord.skill_result('already_registered', format('%s is registered with this manifest', v_ref), v_same.id,
      p_name, p_version, v_same.approval_id, jsonb_build_object('skill_id', v_same.id, 'name', p_name, 'version', p_version, 'manifest', v_manifest,
                         'retired_at', v_same.retired_at));
  end if;
  select * into v_previous from coord.skills as s where s.tenant_id = v_me.tenant_id and s.name = p_name
  order by s.version_key desc limit 1;
  if v_previous.id is not null and v_previous.version_key >= v_key then
    perform coord.fail('CO766', format('%s is not above %s@%s', v_ref, p_name, v_previous.version));
  end if;
  v_widened := coord.skill_widening(coalesce(v_previous.manifest, '{}'), v_manifest);
  v_details := jsonb_strip_nulls(jsonb_build_object('name', p_name, 'version', p_version,
    'previous_version', v_previous.version, 'widened', v_widened));

  if jsonb_array_length(v_widened) > 0 and v_me.role <> 'operator' then
    v_grant := coord.approval_gate(p_approval, 'skill.register',
      jsonb_build_object('kind', 'skill.register', 'name', p_name, 'version', p_version, 'manifest', v_manifest),
      'skill', v_ref, array['skill.widening'], array['skill:widen'],
      jsonb_strip_nulls(jsonb_build_object('reason', coalesce(p_reason, format('%s widens %s', v_ref,
                                             coalesce(p_name || '@' || v_previous.version, 'nothing'))),
                                           'widened', v_widened, 'previous_version', v_previous.version)),
      v_decision);
    if v_grant ->> 'code' <> 'approved' then
      v_details := v_details || jsonb_strip_nulls(jsonb_build_object('approval_id', v_grant -> 'approval_id',
        'approval_state', v_grant -> 'state', 'approval_expires_at', v_grant -> 'expires_at'));
      perform audit.record('skill.register', v_grant ->> 'code', 'skill', v_ref,
        coalesce(v_grant ->> 'reason', 'the manifest is wider than the previous version''s'), v_details, v_decision, 'notice');
      return coord.skill_result(v_grant ->> 'code',
        case when v_grant ->> 'code' = 'needs_approval'
             then format('%s allows %s entries the previous version did not: an approver must grant it (approval %s), then repeat the call with p_approval',
                         v_ref, jsonb_array_length(v_widened), v_grant ->> 'approval_id')
             else v_grant ->> 'reason' end,
        p_name => p_name, p_version => p_version, p_approval_id => (v_grant ->> 'approval_id')::bigint,
        p_details => v_details);
    end if;
    v_details := v_details || jsonb_build_object('approval_id', v_grant -> 'approval_id');
  end if;

  insert into coord.skills (tenant_id, name, version, version_key, manifest, registered_by, registered_at, approval_id)
  values (v_me.tenant_id, p_name, p_version, v_key, v_manifest, v_me.principal_id, coord.now(),
          (v_details ->> 'approval_id')::bigint)
  returning id into v_id;
  v_details := v_details || jsonb_build_object('skill_id', v_id, 'manifest', v_manifest);
  perform audit.record('skill.register', 'registered', 'skill', v_ref, p_reason, v_details, v_decision,
    case when jsonb_array_length(v_widened) > 0 then 'notice' else 'info' end);
  return coord.skill_result('registered', format('%s registered%s', v_ref,
    case when jsonb_array_length(v_widened) > 0 then format(' (%s entries wider than before)', jsonb_array_length(v_widened)) else '' end),
    v_id, p_name, p_version, (v_details ->> 'approval_id')::bigint, v_details);
end;
$$;

comment on function api.register_skill(text, text, jsonb, text, bigint) is
'Registers version p_version (MAJOR.MINOR.PATCH, above every registered version of the skill) of skill p_name with permission manifest p_manifest {"network": [host or *.domain], "files": [{"path": pattern, "access": "read"|"write"}], "env": [NAME or PREFIX*]} (docs/skills.md). The manifest is validated strictly and stored canonical (details.manifest). Returns skill_id, name, version, approval_id and details. Code registered (details.skill_id, widened: the entries the previous version did not allow); already_registered for the same version with the same manifest (versions are immutable). A manifest wider than the previous version''s (for the first version: any entry) registered by an agent (trust 4) is needs_approval: an approval request is recorded (approval_id); once an approver grants it, repeat the identical call with p_approval; approval_used, approval_mismatch, approval_not_granted as for check_operation. Operators need no approval. denied when the policy refuses. Errors: CO760 name or version, CO761 manifest structure, CO762 file pattern, CO763 network pattern, CO764 env entry, CO766 version not above the registered ones, CO767 the version exists with another manifest, CO215 reason.';
revoke all on function api.register_skill(text, text, jsonb, text, bigint) from public;
grant execute on function api.register_skill(text, text, jsonb, text, bigint) to coord_agent, coord_operator;
