-- The dry run of a skill: for each operation, what a session running the skill would be
-- answered, by the decision the live calls take (coord.skill_decision), after the same
-- normalization they apply. Writes nothing.
create or replace function api.validate_skill(p_skill text, p_operations jsonb)
returns table (
  "position" integer,
  kind text,
  target text,
  allowed boolean,
  code text,
  needs jsonb,
  reason text
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
  v_op jsonb;
  v_i integer;
  v_kind text;
  v_field text;
  v_target text;
  v_mode text;
  v_decision jsonb;
begin
  if p_operations is null or jsonb_typeof(p_operations) <> 'array' or jsonb_array_length(p_operations) > 1000 then
    perform coord.fail('CO769', format('operations is a JSON %s%s', coalesce(jsonb_typeof(p_operations), 'null'),
      case when jsonb_typeof(p_operations) = 'array' then format(' of %s', jsonb_array_length(p_operations)) else '' end));
  end if;
  perform coord.check_json(p_operations, 'operations', 1048576);
  -- Check every operation's shape first: a malformed list is an error, not a partial answer.
  for v_op, v_i in select o, i::integer - 1 from jsonb_array_elements(p_operations) with ordinality as x (o, i) loop
    v_kind := v_op ->> 'kind';
    v_field := case v_kind when 'network' then 'domain' when 'lock' then 'path' when 'path' then 'path' when 'env' then 'name' end;
    if jsonb_typeof(v_op) <> 'object' or v_field is null or jsonb_typeof(v_op -> v_field) is distinct from 'string'
       or exists (select from jsonb_object_keys(v_op) as k where k not in ('kind', v_field, 'mode'))
       or (v_op ? 'mode' and (v_kind <> 'lock' or v_op ->> 'mode' is null or v_op ->> 'mode' not in ('exclusive', 'shared'))) then
      perform coord.fail('CO769', format('operation %s: %s', v_i, left(v_op::text, 200)));
    end if;
  end loop;
  for v_op, v_i in select o, i::integer - 1 from jsonb_array_elements(p_operations) with ordinality as x (o, i) loop
    v_kind := v_op ->> 'kind';
    v_mode := coalesce(v_op ->> 'mode', 'exclusive');
    begin
      -- The normalization each live call applies before it asks the manifest.
      v_target := case v_kind when 'network' then coord.normalize_host(v_op ->> 'domain')
                              when 'lock' then coord.normalize_path(v_op ->> 'path')
                              when 'path' then coord.skill_path_target(v_op ->> 'path')
                              else v_op ->> 'name' end;
      if v_kind = 'env' and v_target !~ '^[A-Za-z_][A-Za-z0-9_]{0,127}$' then
        perform coord.fail('CO770', format('variable %s', pg_catalog.quote_literal(left(v_target, 100))));
      end if;
      if v_kind = 'path' then
        perform coord.check_operation_input('path', v_op ->> 'path');
      end if;
      v_decision := coord.skill_decision(v_skill.manifest, v_kind, v_target, case when v_kind = 'lock' then v_mode end,
                                         v_op ->> 'path');
    exception when sqlstate 'CO201' or sqlstate 'CO202' or sqlstate 'CO203' or sqlstate 'CO204' or sqlstate 'CO205'
                    or sqlstate 'CO206' or sqlstate 'CO208' or sqlstate 'CO451' or sqlstate 'CO472' or sqlstate 'CO770' then
      -- The live call raises this error: it never reaches the manifest.
      "position" := v_i; kind := v_kind; target := coalesce(v_op ->> 'domain', v_op ->> 'path', v_op ->> 'name');
      allowed := false; code := 'error'; needs := jsonb_build_object('sqlstate', sqlstate); reason := sqlerrm;
      return next;
      continue;
    end;
    "position" := v_i; kind := v_kind; target := v_decision ->> 'target';
    allowed := (v_decision ->> 'allowed')::boolean;
    code := case when allowed then 'allowed' else 'outside_skill' end;
    needs := v_decision -> 'needs'; reason := v_decision ->> 'reason';
    return next;
  end loop;
end;
$$;

comment on function api.validate_skill(text, jsonb) is
'Dry run of skill p_skill (name@version, or a name for its highest version not retired): for each operation of p_operations (a JSON array of at most 1000: {"kind": "network", "domain": host}, {"kind": "lock", "path": p, "mode": "exclusive"|"shared"} for acquire_lock, acquire_locks and the leases a claimed task declares, {"kind": "path", "path": p} for check_operation kind path, {"kind": "env", "name": VAR} for check_operation kind env) what a session running the skill is answered: allowed (the manifest covers it; the profile and policy still decide), outside_skill (needs: the missing manifest entry, reason), or error (the call itself raises: needs.sqlstate). The same decision and normalization as the live calls, so they do exactly what it predicts. Writes nothing. Errors: CO760 reference, CO765 unknown skill, CO769 malformed operations, PT403.';
revoke all on function api.validate_skill(text, jsonb) from public;
grant execute on function api.validate_skill(text, jsonb) to coord_agent, coord_operator, coord_auditor;
