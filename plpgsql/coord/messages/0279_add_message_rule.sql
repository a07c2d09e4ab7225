-- Writes the rule coord.message_rule built once the gate allowed it (p_decision), or finds the
-- same rule already there: code added or unchanged, with its rule_id. Audited as
-- message.rule_add with the sender and recipient as the operator wrote them.
create or replace function coord.add_message_rule(p_rule coord.message_rules, p_sender text, p_recipient text,
                                                  p_decision authz.decision)
returns api.result
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_id bigint;
  v_code text := 'added';
begin
  insert into coord.message_rules (tenant_id, action, side, from_kind, from_principal_id, from_profile_id,
                                   to_kind, to_principal_id, to_profile_id, reason, created_by, created_at)
  values (p_rule.tenant_id, p_rule.action, p_rule.side, p_rule.from_kind, p_rule.from_principal_id,
          p_rule.from_profile_id, p_rule.to_kind, p_rule.to_principal_id, p_rule.to_profile_id, p_rule.reason,
          p_rule.created_by, p_rule.created_at)
  on conflict (tenant_id, action, side, from_kind, from_principal_id, from_profile_id, to_kind, to_principal_id,
               to_profile_id) do nothing
  returning id into v_id;
  if v_id is null then
    v_code := 'unchanged';
    select u.id into v_id from coord.message_rules as u
    where u.tenant_id = p_rule.tenant_id and u.action = p_rule.action and u.side = p_rule.side
      and u.from_kind = p_rule.from_kind and u.from_principal_id is not distinct from p_rule.from_principal_id
      and u.from_profile_id is not distinct from p_rule.from_profile_id
      and u.to_kind = p_rule.to_kind and u.to_principal_id is not distinct from p_rule.to_principal_id
      and u.to_profile_id is not distinct from p_rule.to_profile_id;
  end if;
  perform audit.record('message.rule_add', v_code, 'message_rule', v_id::text, p_rule.reason,
    jsonb_build_object('action', p_rule.action, 'side', p_rule.side, 'sender', p_sender, 'recipient', p_recipient),
    p_decision);
  return coord.result(v_code, p_details => jsonb_build_object('rule_id', v_id, 'action', p_rule.action,
                                                              'side', p_rule.side));
end;
$$;

comment on function coord.add_message_rule(coord.message_rules, text, text, authz.decision) is 'Writes the allowlist rule coord.message_rule built (after the gate allowed it: p_decision), or finds the same one: code added or unchanged with details.rule_id, action, side. Audited as message.rule_add.';
revoke all on function coord.add_message_rule(coord.message_rules, text, text, authz.decision) from public;
