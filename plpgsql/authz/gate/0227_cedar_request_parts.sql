-- The Cedar request and entities of one decision, built in SQL from what the database knows:
-- the verified caller (coord.principal), its profile, the action's row in authz.actions, the
-- principals the call touches. Nothing the caller says about itself becomes an entity; its
-- request (p_resource, p_context) only names what it asks for. Facts Cedar cannot compute are
-- computed here (authz.cedar_baseline says which). Uuids in the context that are not uuids
-- are left out (the native engine raises on them before Cedar is asked).
-- authz.cedar_evaluate builds the same request itself for the requests most calls make (plain
-- durations, scopes and kinds as strings; docs/cedar.md) and asks for this one otherwise: a
-- time, an acts_on principal, any other form. Made per call: the context, the resource's entity
-- (o_resource_entity; passed to Cedar only when a policy reads the resource) and that of the
-- principal acts_on names (o_acts_on_entity, null when none or the caller). The caller's and
-- its profile's entities are authz.cedar_base_entities's.
-- p_scope is the scope of the action's row in authz.actions (authz.decide read the row).
create or replace function authz.cedar_request_parts(
  p_action text,
  p_resource text,
  p_context jsonb,
  p_principal coord.caller,
  p_profile coord.profiles,
  p_scope text,
  out o_context jsonb,
  out o_resource_entity jsonb,
  out o_acts_on_entity jsonb,
  out o_resource_type text,
  out o_resource_id text
)
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_context jsonb;
  v_grants_held boolean := true;
  v_kinds jsonb;
  v_uuid constant text := '^[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$';
  v_acts_on text;
  v_owner uuid;
  v_limit bigint;
begin
  p_context := coalesce(p_context, '{}');
  o_resource_type := authz.cedar_resource_type(p_action);
  o_resource_id := case when o_resource_type = 'Tenant' then p_principal.tenant_name else coalesce(p_resource, '') end;

  -- Subqueries sit in an IF of their own: an expression with one runs through the executor.
  if jsonb_typeof(p_context -> 'grants') = 'array' then
    v_grants_held := not exists (select from jsonb_array_elements_text(p_context -> 'grants') as g
                                 where not authz.scope_granted(p_principal.scopes, g));
  end if;
  if jsonb_typeof(p_context -> 'kinds') = 'array' then
    v_kinds := (select coalesce(jsonb_agg(k), '[]') from jsonb_array_elements_text(p_context -> 'kinds') as k
                where k is not null);
  end if;
  v_context := jsonb_build_object(
      'scope_held', authz.scope_granted(p_principal.scopes, p_scope),
      'grants_held', v_grants_held,
      'operation', p_action,
      'operation_group', split_part(p_action, '.', 1) || '.*')
    || jsonb_strip_nulls(jsonb_build_object(
         'target', p_resource,
         'ttl', authz.cedar_usecs(p_context ->> 'ttl'),
         'lease', authz.cedar_usecs(p_context ->> 'lease'),
         'kinds', v_kinds,
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
  o_resource_entity := jsonb_build_object(
    'uid', jsonb_build_object('type', o_resource_type, 'id', o_resource_id),
    'attrs', jsonb_build_object(case o_resource_type when 'File' then 'path' when 'Task' then 'ref' else 'name' end,
                                o_resource_id),
    'parents', '[]'::jsonb);
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
      o_acts_on_entity := jsonb_build_object(
        'uid', jsonb_build_object('type', 'Agent', 'id', v_acts_on),
        'attrs', case when v_owner is null then '{}'::jsonb
                      else jsonb_build_object('owner', jsonb_build_object('__entity',
                             jsonb_build_object('type', 'Agent', 'id', v_owner::text))) end,
        'parents', '[]'::jsonb);
    end if;
  end if;
  -- The end a renewed claim may not pass: claimed_at + the profile's max_task_duration.
  if p_profile.max_task_duration is not null and authz.cedar_usecs(p_context ->> 'claimed_at', true) is not null then
    v_limit := authz.cedar_usecs(((p_context ->> 'claimed_at')::timestamptz + p_profile.max_task_duration)::text, true);
    v_context := v_context || jsonb_strip_nulls(jsonb_build_object(
      'claim_limit', v_limit, 'expires_at', authz.cedar_usecs(p_context ->> 'expires_at', true)));
  end if;

  o_context := v_context;
end;
$$;

comment on function authz.cedar_request_parts(text, text, jsonb, coord.caller, coord.profiles, text) is 'The Cedar request and entities of one decision, built from the verified caller and the database where authz.cedar_evaluate does not build it itself (docs/cedar.md): the context; the entities of the resource and of the principal acts_on names (null when none); and the resource''s type and id. p_scope: the action''s scope in authz.actions.';
revoke all on function authz.cedar_request_parts(text, text, jsonb, coord.caller, coord.profiles, text) from public;
