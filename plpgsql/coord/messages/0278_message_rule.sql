-- An allowlist rule as an operator asks for it (api.allow_messages, api.deny_messages): checked,
-- its parties resolved, not yet written. Malformed input raises here, before the gate: CO714
-- side or party, CO215 reason, CO302 unknown principal, CO462 unknown profile.
create or replace function coord.message_rule(p_me coord.caller, p_action text, p_sender text, p_recipient text,
                                              p_side text, p_reason text)
returns coord.message_rules
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_from record;
  v_to record;
  v_rule coord.message_rules;
begin
  if p_side is null or p_side not in ('send', 'receive', 'both') then
    perform coord.fail('CO714', format('side %s', coalesce(pg_catalog.quote_literal(left(p_side, 50)), 'null')));
  end if;
  if char_length(p_reason) > 1000 then
    perform coord.fail('CO215', format('reason has %s characters', char_length(p_reason)));
  end if;
  select * into v_from from coord.message_party(p_me.tenant_id, p_sender, 'CO714', 'from');
  select * into v_to from coord.message_party(p_me.tenant_id, p_recipient, 'CO714', 'to');
  v_rule.tenant_id := p_me.tenant_id;
  v_rule.action := p_action;
  v_rule.side := p_side;
  v_rule.from_kind := v_from.kind;
  v_rule.from_principal_id := v_from.principal_id;
  v_rule.from_profile_id := v_from.profile_id;
  v_rule.to_kind := v_to.kind;
  v_rule.to_principal_id := v_to.principal_id;
  v_rule.to_profile_id := v_to.profile_id;
  v_rule.reason := p_reason;
  v_rule.created_by := p_me.principal_id;
  v_rule.created_at := coord.now();
  return v_rule;
end;
$$;

comment on function coord.message_rule(coord.caller, text, text, text, text, text) is 'The allowlist rule (p_action allow or deny) of p_sender to p_recipient on p_side, checked and resolved for the caller''s tenant, not written (id null): CO714, CO215, CO302, CO462 on malformed input.';
revoke all on function coord.message_rule(coord.caller, text, text, text, text, text) from public;
