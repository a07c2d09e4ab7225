-- The Cedar request and entities of one decision, built in SQL from what the database knows:
-- the verified caller (coord.principal), its profile, the action's row in authz.actions, the
-- principals the call touches. Nothing the caller says about itself becomes an entity; its
-- request (p_resource, p_context) only names what it asks for. Facts Cedar cannot compute are
-- computed here (authz.cedar_baseline says which). Uuids in the context that are not uuids
-- are left out (the native engine raises on them before Cedar is asked).
-- The entities come in two parts: o_base, the caller and its profile (the same for every call of
-- the caller until its profile changes, so authz.cedar_evaluate keeps it parsed), and o_delta,
-- what this call names (the resource, the principal acts_on names). The action's entity is made
-- by authz.cedar_evaluate from its registry row (o_roles, o_mutating: its groups role:<role>
-- and reads), and the request from o_resource_type, o_resource_id and o_context.
create or replace function authz.cedar_request_parts(
  p_action text,
  p_resource text,
  p_context jsonb,
  p_principal coord.caller,
  p_profile coord.profiles,
  out o_context jsonb,
  out o_base jsonb,
  out o_delta jsonb,
  out o_resource_type text,
  out o_resource_id text,
  out o_roles text[],
  out o_mutating boolean
)
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_scope text;
  v_context jsonb;
  v_profile_uid jsonb;
  v_agent jsonb;
  v_uuid constant text := '^[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$';
  v_acts_on text;
  v_owner uuid;
  v_limit bigint;
begin
  select a.scope, a.roles, a.mutating into v_scope, o_roles, o_mutating from authz.actions as a where a.action = p_action;
  p_context := coalesce(p_context, '{}');
  o_resource_type := authz.cedar_resource_type(p_action);
  o_resource_id := case when o_resource_type = 'Tenant' then p_principal.tenant_name else coalesce(p_resource, '') end;

  v_context := jsonb_build_object(
    'scope_held', authz.scope_granted(p_principal.scopes, v_scope),
    'grants_held', jsonb_typeof(p_context -> 'grants') is distinct from 'array' or not exists (
      select from jsonb_array_elements_text(p_context -> 'grants') as g
      where not authz.scope_granted(p_principal.scopes, g)),
    'operation', p_action,
    'operation_group', split_part(p_action, '.', 1) || '.*');
  if p_resource is not null then
    v_context := v_context || jsonb_build_object('target', p_resource);
  end if;
  v_context := v_context
    || jsonb_strip_nulls(jsonb_build_object(
         'ttl', authz.cedar_usecs(p_context ->> 'ttl'),
         'lease', authz.cedar_usecs(p_context ->> 'lease'),
         'kinds', case when jsonb_typeof(p_context -> 'kinds') = 'array' then
                    (select coalesce(jsonb_agg(k), '[]') from jsonb_array_elements_text(p_context -> 'kinds') as k
                     where k is not null) end,
         'grants_trust', case when p_context ->> 'grants_trust' ~ '^\s*[+-]?[0-9]{1,9}\s*$'
                              then (p_context ->> 'grants_trust')::integer end));
  foreach v_acts_on in array array['submitted_by', 'changes_principal'] loop
    if p_context ->> v_acts_on ~ v_uuid then
      v_context := v_context || jsonb_build_object(v_acts_on, jsonb_build_object('__entity',
        jsonb_build_object('type', 'Agent', 'id', (p_context ->> v_acts_on)::uuid::text)));
    end if;
  end loop;
  if p_context ->> 'changes_profile' ~ v_uuid then
    v_context := v_context || jsonb_build_object('changes_profile', jsonb_build_object('__entity',
      jsonb_build_object('type', 'AgentType', 'id', (p_context ->> 'changes_profile')::uuid::text)));
  end if;
  o_delta := jsonb_build_array(jsonb_build_object(
    'uid', jsonb_build_object('type', o_resource_type, 'id', o_resource_id),
    'attrs', jsonb_build_object(case o_resource_type when 'File' then 'path' when 'Task' then 'ref' else 'name' end,
                                o_resource_id),
    'parents', '[]'::jsonb));
  -- acts_on present: the principal it names, with its owner when it is a device of the tenant
  -- (null or unknown: a principal that is nobody's, so only the caller itself may act on it).
  if p_context ? 'acts_on' then
    v_acts_on := case when p_context ->> 'acts_on' ~ v_uuid then (p_context ->> 'acts_on')::uuid::text else '' end;
    if v_acts_on <> '' then
      select d.owner_id into v_owner from coord.principals as d
      where d.tenant_id = p_principal.tenant_id and d.id = v_acts_on::uuid;
    end if;
    v_context := v_context || jsonb_build_object('acts_on', jsonb_build_object('__entity',
      jsonb_build_object('type', 'Agent', 'id', v_acts_on)));
    if v_acts_on <> p_principal.principal_id::text then
      o_delta := o_delta || jsonb_build_array(jsonb_build_object(
        'uid', jsonb_build_object('type', 'Agent', 'id', v_acts_on),
        'attrs', case when v_owner is null then '{}'::jsonb
                      else jsonb_build_object('owner', jsonb_build_object('__entity',
                             jsonb_build_object('type', 'Agent', 'id', v_owner::text))) end,
        'parents', '[]'::jsonb));
    end if;
  end if;
  -- The end a renewed claim may not pass: claimed_at + the profile's max_task_duration.
  if p_profile.max_task_duration is not null and authz.cedar_usecs(p_context ->> 'claimed_at', true) is not null then
    v_limit := authz.cedar_usecs(((p_context ->> 'claimed_at')::timestamptz + p_profile.max_task_duration)::text, true);
    v_context := v_context || jsonb_strip_nulls(jsonb_build_object(
      'claim_limit', v_limit, 'expires_at', authz.cedar_usecs(p_context ->> 'expires_at', true)));
  end if;

  v_agent := jsonb_build_object('role', p_principal.role, 'kind', p_principal.kind,
                                'trust', coalesce(p_profile.trust_level, 0));
  if p_profile.id is not null then
    v_profile_uid := jsonb_build_object('type', 'AgentType', 'id', p_profile.id::text);
    v_agent := v_agent || jsonb_build_object('profile', jsonb_build_object('__entity', v_profile_uid));
    o_base := jsonb_build_array(jsonb_build_object(
      'uid', v_profile_uid,
      'attrs', jsonb_strip_nulls(jsonb_build_object(
        'name', p_profile.name,
        'trust', p_profile.trust_level,
        'allowed_operations', to_jsonb(p_profile.allowed_operations),
        'allowed_task_kinds', to_jsonb(p_profile.allowed_task_kinds),
        'max_lock_ttl', authz.cedar_interval_usecs(p_profile.max_lock_ttl),
        'max_task_duration', authz.cedar_interval_usecs(p_profile.max_task_duration))),
      'parents', '[]'::jsonb));
  end if;
  o_base := coalesce(o_base, '[]') || jsonb_build_array(jsonb_build_object(
    'uid', jsonb_build_object('type', 'Agent', 'id', p_principal.principal_id::text), 'attrs', v_agent,
    'parents', case when v_profile_uid is null then '[]'::jsonb else jsonb_build_array(v_profile_uid) end));
  o_context := v_context;
end;
$$;

comment on function authz.cedar_request_parts(text, text, jsonb, coord.caller, coord.profiles) is 'The Cedar request and entities of one decision, built from the verified caller and the database (docs/cedar.md): the context, the entities of the caller (role, kind, trust, profile) and its profile (o_base), those of the resource and of the principal acts_on names (o_delta), the resource''s type and id, and the action''s registry row (roles, mutating) its entity is made of.';
revoke all on function authz.cedar_request_parts(text, text, jsonb, coord.caller, coord.profiles) from public;
