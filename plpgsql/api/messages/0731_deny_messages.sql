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
as $$
declare
  v_me coord.caller := coord.principal();
  v_from record;
  v_to record;
  v_decision authz.decision;
  v_id bigint;
  v_code text := 'added';
begin
  if p_side is null or p_side not in ('send', 'receive', 'both') then
    perform coord.fail('CO714', format('side %s', coalesce(pg_catalog.quote_literal(left(p_side, 50)), 'null')));
  end if;
  if char_length(p_reason) > 1000 then
    perform coord.fail('CO215', format('reason has %s characters', char_length(p_reason)));
  end if;
  select * into v_from from coord.message_party(v_me.tenant_id, p_sender, 'CO714', 'from');
  select * into v_to from coord.message_party(v_me.tenant_id, p_recipient, 'CO714', 'to');

  v_decision := authz.gate('message.rule', 'message_rule', null,
    jsonb_build_object('action', 'deny', 'side', p_side, 'sender', p_sender, 'recipient', p_recipient), p_event => 'message.rule_add');
  if not v_decision.allowed then
    return coord.result(p_refusal => v_decision);
  end if;
  insert into coord.message_rules (tenant_id, action, side, from_kind, from_principal_id, from_profile_id,
                                   to_kind, to_principal_id, to_profile_id, reason, created_by, created_at)
  values (v_me.tenant_id, 'deny', p_side, v_from.kind, v_from.principal_id, v_from.profile_id,
          v_to.kind, v_to.principal_id, v_to.profile_id, p_reason, v_me.principal_id, coord.now())
  on conflict (tenant_id, action, side, from_kind, from_principal_id, from_profile_id, to_kind, to_principal_id,
               to_profile_id) do nothing
  returning id into v_id;
  if v_id is null then
    v_code := 'unchanged';
    select u.id into v_id from coord.message_rules as u
    where u.tenant_id = v_me.tenant_id and u.action = 'deny' and u.side = p_side
      and u.from_kind = v_from.kind and u.from_principal_id is not distinct from v_from.principal_id
      and u.from_profile_id is not distinct from v_from.profile_id
      and u.to_kind = v_to.kind and u.to_principal_id is not distinct from v_to.principal_id
      and u.to_profile_id is not distinct from v_to.profile_id;
  end if;
  perform audit.record('message.rule_add', v_code, 'message_rule', v_id::text, p_reason,
    jsonb_build_object('action', 'deny', 'side', p_side, 'sender', p_sender, 'recipient', p_recipient), v_decision);
  return coord.result(v_code, p_details => jsonb_build_object('rule_id', v_id, 'action', 'deny', 'side', p_side));
end;
$$;

comment on function api.deny_messages(text, text, text, text) is
'Operators: adds a deny rule to your tenant''s message allowlist: p_sender (a sender) may not message p_recipient (a recipient), each NAME or agent:NAME (a principal), team:NAME (the agents acting under a profile) or * (anyone), on p_side send (the sender''s permission), receive (the recipient''s acceptance) or both (default). On each side a matching deny wins over any allow, an allow over the tenant default (set_message_default); a message passes when both sides allow. Code added with details.rule_id; unchanged when the same rule exists (its rule_id); denied when the policy refuses (details.rule). Audited as message.rule_add. Errors: CO714 side or malformed party, CO215 reason, CO302 unknown principal, CO462 unknown profile.';
revoke all on function api.deny_messages(text, text, text, text) from public;
grant execute on function api.deny_messages(text, text, text, text) to coord_operator;
