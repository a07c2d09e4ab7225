create or replace function api.propose_action(
  p_kind text,
  p_payload jsonb,
  p_required_scopes text[],
  p_target text,
  p_max_attempts integer default null
)
returns api.action_result
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller;
  v_decision authz.decision;
  v_now timestamptz := coord.now();
  v_target record;
  v_scopes text[];
  v_operation jsonb;
  v_row coord.actions;
  v_request coord.approval_requests;
  v_ops jsonb;
  v_op jsonb;
  v_eval jsonb;
  v_checks jsonb := '[]';
  v_rules text[] := '{}';
  v_guard_scopes text[] := '{}';
begin
  perform coord.check_action_input(p_kind, p_payload, p_required_scopes, p_max_attempts, p_proposing => true);
  -- The operations the action declares it will run (payload.operations, shaped as a task
  -- result's: command strings or {kind, text}); malformed ones are errors like any input.
  v_ops := coord.guard_operations(p_payload);
  perform coord.require_read_committed();
  v_decision := authz.gate('action.propose', 'principal', left(p_target, 200),
    jsonb_build_object('kind', p_kind, 'target', left(p_target, 200)),
    jsonb_build_object('kind', p_kind, 'target', left(p_target, 200), 'required_scopes', to_jsonb(p_required_scopes)));
  if not v_decision.allowed then
    return coord.action_result(p_kind => p_kind, p_refusal => v_decision);
  end if;
  v_me := coord.principal();
  select p.id, p.name into v_target from coord.principals as p
  where p.tenant_id = v_me.tenant_id and p.name = p_target and p.kind in ('agent', 'device') and p.disabled_at is null;
  if not found then
    perform coord.fail('CO459', format('target %s', pg_catalog.quote_literal(left(p_target, 100))));
  end if;

  -- The guardrails check_operation runs, on each declared operation at the proposer's trust,
  -- each check recorded (audited, a violation kept). A blocked operation refuses the proposal:
  -- nobody may approve it. One that needs approval adds its rules and guardrail scopes to what
  -- the action's approval request asks, so an auto-approval policy must cover them too.
  for v_op in select e from jsonb_array_elements(v_ops) as e loop
    v_eval := coord.guard_evaluate(v_me.tenant_id, v_op ->> 'kind', v_op ->> 'text', coord.current_trust());
    if v_eval ->> 'code' = 'needs_approval' then
      v_rules := v_rules || coord.approval_rules(v_eval);
      v_guard_scopes := v_guard_scopes || coord.approval_scopes(v_eval);
    end if;
    v_checks := v_checks || jsonb_build_array(jsonb_build_object(
      'kind', v_op ->> 'kind', 'text', left(v_op ->> 'text', 1000), 'code', v_eval ->> 'code',
      'reason', v_eval ->> 'reason', 'overridden', v_eval -> 'overridden',
      'violation_id', coord.record_guard_check(v_op ->> 'kind', v_op ->> 'text', v_eval, null, v_decision),
      'rules', (select coalesce(jsonb_agg(m ->> 'name'), '[]') from jsonb_array_elements(v_eval -> 'matches') as m)));
  end loop;
  if exists (select from jsonb_array_elements(v_checks) as c where c ->> 'code' = 'blocked') then
    perform audit.record('action.propose', 'blocked', 'principal', v_target.name,
      (select string_agg(format('operation %s: %s', c.o - 1, c.e ->> 'reason'), '; ' order by c.o)
       from jsonb_array_elements(v_checks) with ordinality as c (e, o) where c.e ->> 'code' = 'blocked'),
      jsonb_build_object('kind', p_kind, 'operations', v_checks), v_decision, 'warning');
    return coord.action_result('blocked', null,
      (select string_agg(format('operation %s: %s', c.o - 1, c.e ->> 'reason'), '; ' order by c.o)
       from jsonb_array_elements(v_checks) with ordinality as c (e, o) where c.e ->> 'code' = 'blocked'),
      p_kind => p_kind, p_details => jsonb_build_object('operations', v_checks, 'target', v_target.name));
  end if;

  -- What the approval is bound to: the action in canonical form (scopes sorted, no duplicates).
  v_scopes := array(select distinct s from unnest(p_required_scopes) as s order by 1);
  v_operation := jsonb_build_object('action', p_kind, 'payload', p_payload, 'required_scopes', to_jsonb(v_scopes),
                                    'target_id', v_target.id);
  insert into coord.actions as a (tenant_id, kind, payload, required_scopes, operation_hash, proposer_id, proposer_name,
                                  target_id, target_name, max_attempts, created_at, expires_at)
  values (v_me.tenant_id, p_kind, p_payload, v_scopes, coord.operation_hash(v_operation), v_me.principal_id, v_me.name,
          v_target.id, v_target.name,
          coalesce(p_max_attempts, (select s.max_attempts from coord.action_settings as s)),
          v_now, v_now + (select s.request_ttl from coord.approval_settings as s))
  returning a.* into v_row;
  perform coord.action_audit('action.propose', 'proposed', v_row, null, '{}', 'notice', false, v_decision);

  -- The approval: one request per action (target the action); a policy whose scopes cover
  -- every required scope approves it at once, and the action follows it (the trigger on
  -- coord.approval_requests).
  v_request := coord.request_approval('action:' || p_kind, v_operation, 'action', v_row.id::text,
    array(select distinct r from unnest(v_rules) as r order by 1),
    array(select distinct s from unnest(v_scopes || v_guard_scopes) as s order by 1),
    jsonb_build_object('action_id', v_row.id, 'target', v_target.name)
      || case when jsonb_array_length(v_checks) > 0 then jsonb_build_object('operations', v_checks) else '{}' end);
  update coord.actions as a set approval_id = v_request.id,
         expires_at = case when a.state = 'proposed' then v_request.expires_at else a.expires_at end
  where a.id = v_row.id
  returning a.* into v_row;
  return coord.action_result(case v_row.state when 'approved' then 'approved' else 'proposed' end, v_row.id,
    case v_row.state when 'approved'
         then format('approved by an auto-approval policy: %s may claim action %s', v_row.target_name, v_row.id)
         else format('action %s waits for approval request %s', v_row.id, v_request.id) end,
    v_row.state, v_row.claim, v_row.approval_id, p_kind => v_row.kind, p_payload => v_row.payload,
    p_details => jsonb_build_object('expires_at', v_row.expires_at, 'target', v_row.target_name)
                 || case when jsonb_array_length(v_checks) > 0 then jsonb_build_object('operations', v_checks) else '{}' end);
end;
$$;

comment on function api.propose_action(text, jsonb, text[], text, integer) is
'Agents and operators: propose an action of p_kind with p_payload (a JSON object) for device or agent p_target, needing p_required_scopes from an auto-approval policy, tried at most p_max_attempts times (1-10, default 3). Its approval is an approval request (approval_id; kind action:<kind>, target the action), decided with approve_request / deny_request (never by you or a principal you act for) or by a policy whose scopes cover every required scope. Operations the action declares it will run (p_payload.operations: command strings or {"kind": "command|sql|path", "text": ...}, at most 100) are checked against the guardrails at your trust, as check_operation checks them (each check audited, violations kept, details.operations): a blocked one refuses the proposal (blocked, nothing proposed); one that needs approval adds its rules and guardrail:<category> scopes to the approval request, which an auto-approval policy must then cover too. Code proposed (waiting for approval) or approved (a policy approved it; the target may claim it); blocked; denied when the policy refuses (details.rule). Errors: CO458 bad field, CO459 unknown target, CO477 malformed operations, CO471, CO472, CO241, CO213.';
revoke all on function api.propose_action(text, jsonb, text[], text, integer) from public;
grant execute on function api.propose_action(text, jsonb, text[], text, integer) to coord_agent, coord_operator;
