create or replace function api.remove_message_rule(p_rule_id bigint)
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
  v_rule coord.message_rules;
  v_decision authz.decision;
begin
  select u.* into v_rule from coord.message_rules as u where u.tenant_id = v_me.tenant_id and u.id = p_rule_id;
  if not found then
    perform coord.fail('CO715', format('no message rule %s', coalesce(p_rule_id::text, 'null')));
  end if;
  v_decision := authz.gate('message.rule', 'message_rule', p_rule_id::text,
    jsonb_build_object('action', v_rule.action, 'side', v_rule.side), p_event => 'message.rule_remove');
  if not v_decision.allowed then
    return coord.result(p_refusal => v_decision);
  end if;
  delete from coord.message_rules as u where u.tenant_id = v_me.tenant_id and u.id = p_rule_id;
  perform audit.record('message.rule_remove', 'removed', 'message_rule', p_rule_id::text, null,
    jsonb_build_object('action', v_rule.action, 'side', v_rule.side, 'from_kind', v_rule.from_kind,
                       'to_kind', v_rule.to_kind), v_decision);
  return coord.result('removed', p_details => jsonb_build_object('rule_id', p_rule_id));
end;
$$;

comment on function api.remove_message_rule(bigint) is 'Operators: removes a rule of your tenant''s message allowlist (list_message_rules shows the ids). Code removed; denied when the policy refuses (details.rule). Audited as message.rule_remove. Errors: CO715 unknown rule.';
revoke all on function api.remove_message_rule(bigint) from public;
grant execute on function api.remove_message_rule(bigint) to coord_operator;
