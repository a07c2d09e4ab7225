create or replace function api.add_approval_policy(
  p_name text,
  p_scopes text[],
  p_kinds text[] default null,
  p_rules text[] default null,
  p_min_trust smallint default 0,
  p_path_prefix text default null,
  p_description text default null
)
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
  v_id bigint;
begin
  perform coord.check_approval_policy(p_name, p_scopes, p_kinds, p_rules, p_min_trust, p_path_prefix, p_description);
  v_decision := authz.gate('approval.policy', 'approval_policy', p_name);
  if not v_decision.allowed then
    return coord.result(p_refusal => v_decision);
  end if;
  if exists (select from coord.approval_policies as p where p.tenant_id = v_me.tenant_id and p.name = p_name) then
    perform coord.fail('CO470', format('approval policy %s', p_name));
  end if;
  insert into coord.approval_policies (tenant_id, name, kinds, rules, min_trust, path_prefix, scopes, description,
                                       created_by, created_by_name, created_at)
  values (v_me.tenant_id, p_name,
          case when p_kinds is not null then array(select distinct x from unnest(p_kinds) as x order by 1) end,
          case when p_rules is not null then array(select distinct x from unnest(p_rules) as x order by 1) end,
          coalesce(p_min_trust, 0), p_path_prefix,
          array(select distinct x from unnest(coalesce(p_scopes, '{}')) as x order by 1),
          p_description, v_me.principal_id, v_me.name, coord.now())
  returning id into v_id;
  perform audit.record('approval.policy.add', 'added', 'approval_policy', p_name, null,
    jsonb_strip_nulls(jsonb_build_object('policy_id', v_id, 'scopes', to_jsonb(p_scopes), 'kinds', to_jsonb(p_kinds),
      'rules', to_jsonb(p_rules), 'min_trust', p_min_trust, 'path_prefix', p_path_prefix)), v_decision, 'notice');
  return coord.result('added', format('approval policy %s added', p_name), jsonb_build_object('policy_id', v_id));
end;
$$;

comment on function api.add_approval_policy(text, text[], text[], text[], smallint, text, text) is
'Operators: adds an auto-approval policy. A pending approval request is approved by it (audited as the policy''s approval, and used by the asking call at once) only when p_scopes covers every scope the request needs (guardrail:<category> for each guardrail rule that asked); a policy without scopes approves nothing. p_kinds (operation kinds: command, sql, path, task.complete, action:<kind>; null any but an action, which only a policy naming its action:<kind> approves) must hold the request''s kind, p_rules (null any) every rule that asked, the requester''s trust must reach p_min_trust (0-4), and p_path_prefix (optional) limits it to path operations under that prefix (dir/ or an exact path). Code added (details.policy_id); denied when the policy gate refuses (details.rule). Errors: CO468 invalid field, CO470 name exists, CO241 list shape.';
revoke all on function api.add_approval_policy(text, text[], text[], text[], smallint, text, text) from public;
grant execute on function api.add_approval_policy(text, text[], text[], text[], smallint, text, text) to coord_operator;
