-- Operators: a rule that messages from p_sender to p_recipient are refused on one side of the allowlist
-- (send: the sender's permission; receive: the recipient's acceptance) or on both.
create or replace function api.deny_messages(p_sender text, p_recipient text, p_side text default 'both',
                                            p_reason text default null)
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
  v_rule coord.message_rules := coord.message_rule(v_me, 'deny', p_sender, p_recipient, p_side, p_reason);
  v_decision authz.decision;
begin
  v_decision := authz.gate('message.rule', 'message_rule', null,
    jsonb_build_object('action', 'deny', 'side', p_side, 'sender', p_sender, 'recipient', p_recipient),
    p_event => 'message.rule_add');
  if not v_decision.allowed then
    return coord.result(p_refusal => v_decision);
  end if;
  return coord.add_message_rule(v_rule, p_sender, p_recipient, v_decision);
end;
$$;

comment on function api.deny_messages(text, text, text, text) is
'Operators: adds a deny rule to your tenant''s message allowlist: p_sender (a sender) may not message p_recipient (a recipient), each NAME or agent:NAME (a principal), team:NAME (the agents acting under a profile) or * (anyone), on p_side send (the sender''s permission), receive (the recipient''s acceptance) or both (default). On each side a matching deny wins over any allow, an allow over the tenant default (set_message_default); a message passes when both sides allow. Code added with details.rule_id; unchanged when the same rule exists (its rule_id); denied when the policy refuses (details.rule). Audited as message.rule_add. Errors: CO714 side or malformed party, CO215 reason, CO302 unknown principal, CO462 unknown profile.';
revoke all on function api.deny_messages(text, text, text, text) from public;
grant execute on function api.deny_messages(text, text, text, text) to coord_operator;
