-- Declares the principals of the caller's tenant from a team document (the JSON form of a
-- team.yaml; docs/teams.md). The plan (create / change / unchanged / disable) is computed here
-- from the tables, then either returned (dry run) or carried out in this same transaction.
--
-- Semantics, in order:
--   * an undeclared name is created with its first token (shown once, in details.tokens);
--   * a declared principal's role never changes (CO233);
--   * a disabled principal that is declared again is enabled: its live tokens are revoked and
--     one new token is issued;
--   * a scope change revokes every live token whose scopes differ from the declared ones and
--     issues one new token with them (scopes compare as sets); a principal without live tokens
--     is left alone, so apply never undoes a revocation;
--   * prune disables every enabled principal not declared, except the caller;
--   * the caller itself is never changed (CO234) nor disabled;
--   * tokens are issued only with scopes the calling token holds (authz: scope.escalation);
--   * an agent's declared profile (a name, or null for the tenant default) is assigned; an
--     agent declared without the key keeps whatever profile it has.
create or replace function api.apply_team(p_team jsonb, p_dry_run boolean default false)
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
  v_decision authz.decision;
  v_dry_run boolean := coalesce(p_dry_run, false);
  v_prune boolean;
  v_text text;
  v_entry jsonb;
  v_item jsonb;
  v_position bigint;
  v_where text;
  v_name text;
  v_role text;
  v_scopes text[];
  v_names text[] := '{}';
  v_declared jsonb := '[]';
  v_principal record;
  v_revoke jsonb;
  v_create jsonb := '[]';
  v_change jsonb := '[]';
  v_unchanged jsonb := '[]';
  v_disable jsonb := '[]';
  v_grants jsonb;
  v_grant api.token_grant;
  v_tokens jsonb := '{}';
  v_details jsonb;
  v_code text;
  v_summary text;
  v_profile uuid;
  v_profile_differs boolean;
begin
  perform coord.check_json(p_team, 'team', 4194304);
  v_decision := authz.gate('team.apply', 'tenant', v_me.tenant_name, '{}', jsonb_build_object('dry_run', v_dry_run));
  if not v_decision.allowed then
    return coord.result(p_details => jsonb_build_object('dry_run', v_dry_run), p_refusal => v_decision);
  end if;

  -- 1. The document. Version 1 knows version, agents and prune; other keys are refused by name
  --    so that later versions (profiles, allowlists) are added deliberately.
  if p_team is null or jsonb_typeof(p_team) <> 'object' then
    perform coord.fail('CO231', format('the team must be a mapping, got %s', coalesce(jsonb_typeof(p_team), 'nothing')));
  end if;
  select string_agg(k, ', ' order by k) into v_text
  from jsonb_object_keys(p_team) as k
  where k <> all (array['version', 'agents', 'prune']);
  if v_text is not null then
    perform coord.fail('CO231', format('unknown top-level keys: %s', left(v_text, 200)),
      'version 1 of the team format knows version, agents and prune (docs/teams.md)');
  end if;
  if p_team -> 'version' is distinct from '1'::jsonb then
    perform coord.fail('CO231', format('version must be 1, got %s', left(coalesce((p_team -> 'version')::text, 'nothing'), 100)));
  end if;
  if jsonb_typeof(p_team -> 'agents') is distinct from 'array' then
    perform coord.fail('CO231',
      format('agents must be a list, got %s', coalesce(jsonb_typeof(p_team -> 'agents'), 'nothing')));
  end if;
  if jsonb_array_length(p_team -> 'agents') > 1000 then
    perform coord.fail('CO231',
      format('agents has %s entries; at most 1000 are allowed', jsonb_array_length(p_team -> 'agents')));
  end if;
  if p_team ? 'prune' and jsonb_typeof(p_team -> 'prune') <> 'boolean' then
    perform coord.fail('CO231', format('prune must be true or false, got %s', left((p_team -> 'prune')::text, 100)));
  end if;
  v_prune := coalesce((p_team ->> 'prune')::boolean, false);

  for v_entry, v_position in
    select a.entry, a.position - 1
    from jsonb_array_elements(p_team -> 'agents') with ordinality as a (entry, position)
  loop
    v_where := format('agents[%s]', v_position);
    if jsonb_typeof(v_entry) <> 'object' then
      perform coord.fail('CO231', format('%s must be a mapping with name, role, scopes and description, got %s',
                                         v_where, jsonb_typeof(v_entry)));
    end if;
    select string_agg(k, ', ' order by k) into v_text
    from jsonb_object_keys(v_entry) as k
    where k <> all (array['name', 'role', 'scopes', 'description', 'profile']);
    if v_text is not null then
      perform coord.fail('CO231', format('%s has unknown keys: %s', v_where, left(v_text, 200)),
        'an agent has name, role, scopes, description and profile (docs/teams.md)');
    end if;
    if jsonb_typeof(v_entry -> 'name') is distinct from 'string' then
      perform coord.fail('CO231', format('%s.name is required and must be a string, got %s',
                                         v_where, left(coalesce((v_entry -> 'name')::text, 'nothing'), 100)),
        'quote names that YAML reads as something else, e.g. name: "no" or name: "1234"');
    end if;
    v_name := v_entry ->> 'name';
    if v_name !~ '^[A-Za-z0-9][A-Za-z0-9_.@-]{0,62}$' then
      perform coord.fail('CO221', format('%s.name %s', v_where, left(v_name, 100)));
    end if;
    if v_name = any (v_names) then
      perform coord.fail('CO232', format('%s and agents[%s] are both named %s',
                                         v_where, array_position(v_names, v_name) - 1, v_name));
    end if;
    v_where := format('agents[%s] (%s)', v_position, v_name);

    if v_entry ? 'role' and (jsonb_typeof(v_entry -> 'role') <> 'string'
                             or v_entry ->> 'role' <> all (array['agent', 'operator', 'auditor'])) then
      perform coord.fail('CO231', format('%s.role must be agent, operator or auditor, got %s',
                                         v_where, left((v_entry -> 'role')::text, 100)));
    end if;
    v_role := coalesce(v_entry ->> 'role', 'agent');

    if not v_entry ? 'scopes' then
      v_scopes := '{*}';
    elsif jsonb_typeof(v_entry -> 'scopes') <> 'array'
          or exists (select from jsonb_array_elements(v_entry -> 'scopes') as s where jsonb_typeof(s) <> 'string') then
      perform coord.fail('CO231', format('%s.scopes must be a list of strings such as locks:write, got %s',
                                         v_where, left((v_entry -> 'scopes')::text, 200)));
    else
      v_scopes := array(select distinct s from jsonb_array_elements_text(v_entry -> 'scopes') as s order by s);
      if cardinality(v_scopes) not between 1 and 64
         or exists (select from unnest(v_scopes) as s where s !~ '^(\*|[a-z_]+:(\*|read|write|claim))$') then
        perform coord.fail('CO222', format('%s.scopes %s', v_where, left((v_entry -> 'scopes')::text, 200)));
      end if;
    end if;

    if v_entry ? 'description' and (jsonb_typeof(v_entry -> 'description') <> 'string'
                                    or length(v_entry ->> 'description') > 1000) then
      perform coord.fail('CO231', format('%s.description must be a string of at most 1000 characters', v_where));
    end if;

    if v_entry ? 'profile' then
      if v_role <> 'agent' then
        perform coord.fail('CO231', format('%s.profile: only agents have profiles (operators act with trust 4, auditors with 1)', v_where));
      end if;
      if jsonb_typeof(v_entry -> 'profile') not in ('string', 'null') then
        perform coord.fail('CO231', format('%s.profile must be a profile name, or null for the tenant default, got %s',
                                           v_where, left((v_entry -> 'profile')::text, 100)));
      end if;
      perform coord.profile_id(v_me.tenant_id, v_entry ->> 'profile') where v_entry ->> 'profile' is not null;
    end if;

    v_names := array_append(v_names, v_name);
    v_declared := v_declared || jsonb_build_array(jsonb_strip_nulls(jsonb_build_object(
      'name', v_name, 'role', v_role, 'scopes', v_scopes, 'description', v_entry -> 'description'))
      || case when v_entry ? 'profile' then jsonb_build_object('profile', v_entry -> 'profile') else '{}' end);
  end loop;

  -- 2. The plan, against the tenant as it is. Applies of one tenant run one at a time, so the
  --    plan cannot go stale before it is carried out (a dry run writes nothing and waits for no one).
  if not v_dry_run then
    perform pg_advisory_xact_lock(1952801133, hashtext(v_me.tenant_id::text));  -- 1952801133 = 'team'
  end if;

  for v_item in select d from jsonb_array_elements(v_declared) as d loop
    v_name := v_item ->> 'name';
    v_role := v_item ->> 'role';
    v_scopes := array(select jsonb_array_elements_text(v_item -> 'scopes'));
    select p.id, p.role::text as role, p.disabled_at, p.profile_id
    into v_principal
    from coord.principals as p
    where p.tenant_id = v_me.tenant_id and p.name = v_name;
    if not found then
      v_create := v_create || jsonb_build_array(v_item);
      continue;
    end if;
    if v_principal.role <> v_role then
      perform coord.fail('CO233', format('%s is %s in the tenant; the team file declares it %s',
                                         v_name, v_principal.role, v_role));
    end if;

    -- The live tokens to revoke: all of a disabled principal's, else those with other scopes.
    select coalesce(jsonb_agg(jsonb_build_object('token_id', t.id, 'prefix', t.prefix, 'scopes', t.scopes)
                              order by t.created_at, t.id), '[]')
    into v_revoke
    from coord.tokens as t
    where t.tenant_id = v_me.tenant_id and t.principal_id = v_principal.id
      and t.revoked_at is null and (t.expires_at is null or t.expires_at > coord.now())
      and (v_principal.disabled_at is not null
           or array(select distinct s from unnest(t.scopes) as s order by s) <> v_scopes);

    v_profile_differs := v_item ? 'profile' and v_principal.profile_id is distinct from
      (select f.id from coord.profiles as f where f.tenant_id = v_me.tenant_id and f.name = v_item ->> 'profile');
    if v_principal.disabled_at is null and v_revoke = '[]' and not v_profile_differs then
      v_unchanged := v_unchanged || jsonb_build_array(v_item);
      continue;
    end if;
    if v_principal.id = v_me.principal_id then
      perform coord.fail('CO234', format('%s is the calling principal; the file would revoke its tokens %s',
        v_name, (select string_agg(r ->> 'prefix', ', ') from jsonb_array_elements(v_revoke) as r)));
    end if;
    v_change := v_change || jsonb_build_array(v_item || jsonb_build_object(
      'principal_id', v_principal.id,
      'change', case when v_principal.disabled_at is not null then 'enable'
                     when v_revoke <> '[]' then 'scopes' else 'profile' end,
      'profile_before', (select f.name from coord.profiles as f
                         where f.tenant_id = v_me.tenant_id and f.id = v_principal.profile_id),
      'profile_changes', v_profile_differs,
      'revoke', v_revoke));
  end loop;

  if v_prune then
    select coalesce(jsonb_agg(jsonb_build_object('name', p.name, 'role', p.role, 'principal_id', p.id)
                              order by p.name), '[]')
    into v_disable
    from coord.principals as p
    where p.tenant_id = v_me.tenant_id and p.disabled_at is null
      and p.id <> v_me.principal_id and p.name <> all (v_names);
  end if;

  -- 3. Every token the plan issues must carry only scopes the caller's own token holds.
  select coalesce(jsonb_agg(distinct s order by s), '[]')
  into v_grants
  from jsonb_array_elements(v_create || v_change) as e, jsonb_array_elements_text(e -> 'scopes') as s
  where e ->> 'change' is distinct from 'profile';  -- a profile change issues no token
  if v_grants <> '[]' then
    v_decision := authz.gate('team.apply', 'tenant', v_me.tenant_name, jsonb_build_object('grants', v_grants),
      jsonb_build_object('dry_run', v_dry_run, 'grants', v_grants));
    if not v_decision.allowed then
      return coord.result(p_details => jsonb_build_object('dry_run', v_dry_run), p_refusal => v_decision);
    end if;
  end if;

  v_details := jsonb_build_object('dry_run', v_dry_run, 'prune', v_prune, 'create', v_create, 'change', v_change,
                                  'unchanged', v_unchanged, 'disable', v_disable);
  if v_dry_run then
    return coord.result('planned',
      format('%s to create, %s to change, %s unchanged, %s to disable', jsonb_array_length(v_create),
             jsonb_array_length(v_change), jsonb_array_length(v_unchanged), jsonb_array_length(v_disable)),
      v_details);
  end if;

  -- 4. Carry the plan out. Each step audits itself (principal.create, token.issue, ...).
  for v_item in select e from jsonb_array_elements(v_create) as e loop
    v_grant := coord.register_principal(v_me.tenant_id, (v_item ->> 'role')::coord.request_role, v_item ->> 'name',
                                        array(select jsonb_array_elements_text(v_item -> 'scopes')));
    v_tokens := v_tokens || jsonb_build_object(v_grant.principal_name, v_grant.token);
    if v_item ->> 'profile' is not null then
      perform coord.set_agent_profile(v_me.tenant_id, v_grant.principal_id, v_item ->> 'name', v_item ->> 'profile',
                                      'declared in a team file');
    end if;
  end loop;

  for v_item in select e from jsonb_array_elements(v_change) as e loop
    if v_item ->> 'change' = 'enable' then
      update coord.principals set disabled_at = null
      where tenant_id = v_me.tenant_id and id = (v_item ->> 'principal_id')::uuid;
      perform audit.record('principal.enable', 'enabled', 'principal', v_item ->> 'name', 'declared in a team file',
        jsonb_build_object('principal_id', v_item -> 'principal_id', 'role', v_item -> 'role'), p_severity => 'notice');
    end if;
    if (v_item ->> 'profile_changes')::boolean then
      perform coord.set_agent_profile(v_me.tenant_id, (v_item ->> 'principal_id')::uuid, v_item ->> 'name',
                                      v_item ->> 'profile', 'declared in a team file');
    end if;
    if v_item ->> 'change' <> 'profile' then
      perform coord.revoke_token(v_me.tenant_id, (r ->> 'token_id')::uuid)
      from jsonb_array_elements(v_item -> 'revoke') as r;
      v_grant := coord.issue_token(v_me.tenant_id, (v_item ->> 'principal_id')::uuid,
                                   array(select jsonb_array_elements_text(v_item -> 'scopes')), null, 'team');
      v_tokens := v_tokens || jsonb_build_object(v_item ->> 'name', v_grant.token);
    end if;
  end loop;

  for v_item in select e from jsonb_array_elements(v_disable) as e loop
    update coord.principals set disabled_at = coord.now()
    where tenant_id = v_me.tenant_id and id = (v_item ->> 'principal_id')::uuid;
    perform audit.record('principal.disable', 'disabled', 'principal', v_item ->> 'name',
      'not declared in the team file (prune)',
      jsonb_build_object('principal_id', v_item -> 'principal_id', 'role', v_item -> 'role'), p_severity => 'notice');
  end loop;

  v_code := case when jsonb_array_length(v_create) + jsonb_array_length(v_change) + jsonb_array_length(v_disable) = 0
                 then 'no_change' else 'applied' end;
  v_summary := format('created %s, changed %s, unchanged %s, disabled %s', jsonb_array_length(v_create),
                      jsonb_array_length(v_change), jsonb_array_length(v_unchanged), jsonb_array_length(v_disable));
  perform audit.record('team.apply', v_code, 'tenant', v_me.tenant_name, v_summary,
    v_details || jsonb_build_object('team_sha256', encode(sha256(convert_to(p_team::text, 'UTF8')), 'hex')),
    v_decision);
  return coord.result(v_code, v_summary, v_details || jsonb_build_object('tokens', v_tokens));
end;
$$;

comment on function api.apply_team(jsonb, boolean) is
'Operators: declares the principals of your tenant from a team document (p_team is a JSON object: {"version": 1, "agents": [{"name", "role", "scopes", "description", "profile"}], "prune": false}; docs/teams.md) and returns the diff in details (create, change, unchanged, disable) with each new token once in details.tokens (code applied or no_change; planned and nothing written with p_dry_run). Idempotent. A scope change revokes the tokens with other scopes and issues one new token; a declared disabled principal is enabled with a new token; an agent''s declared profile (null: the tenant default) is assigned (change profile, no new token); prune disables principals not declared, never you. denied when the policy refuses or a token would carry a scope yours lacks. Errors: CO404 over 4 MiB, CO242 nested over 32 levels, CO231 malformed file, CO221 bad name, CO222 bad scopes, CO232 duplicate name, CO233 role change, CO234 change to yourself, CO462 unknown profile.';
revoke all on function api.apply_team(jsonb, boolean) from public;
grant execute on function api.apply_team(jsonb, boolean) to coord_operator;
