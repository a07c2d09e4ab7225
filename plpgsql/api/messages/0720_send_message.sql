-- Sends a message from the verified caller (never a parameter) to an agent, a team or every
-- agent of the tenant. Each recipient passes the two-sided allowlist or is skipped, with the
-- side and rule that refused it: a refusal is a result, audited, never an error. The message
-- is stored only when it reached someone; each recipient it reached gets a delivery row and,
-- while someone of the tenant watches its inbox, a NOTIFY carrying the message id.
create or replace function api.send_message(
  p_to text,
  p_body text,
  p_subject text default null,
  p_thread bigint default null,
  p_reply_to bigint default null
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
  v_to record;
  v_thread bigint;
  v_recipients uuid[];
  v_names jsonb;
  v_decision authz.decision;
  v_delivered uuid[];
  v_delivered_names text[];
  v_skipped jsonb;
  v_id bigint;
  v_now timestamptz := coord.now();
  v_to_text text;
  v_code text;
begin
  if p_body is null or char_length(p_body) not between 1 and 10000 or btrim(p_body) = '' then
    perform coord.fail('CO711', format('body of %s characters', coalesce(char_length(p_body), 0)));
  end if;
  if p_subject is not null and (char_length(p_subject) not between 1 and 200 or p_subject ~ '[[:cntrl:]]') then
    perform coord.fail('CO713', format('subject of %s characters', char_length(p_subject)));
  end if;
  select * into v_to from coord.message_party(v_me.tenant_id, p_to, 'CO710', 'address');
  if p_reply_to is not null then
    v_thread := coord.message_thread(v_me, p_reply_to, false);
  end if;
  if p_thread is not null then
    if v_thread is not null and v_thread <> coord.message_thread(v_me, p_thread, true) then
      perform coord.fail('CO712', format('message %s is not in thread %s', p_reply_to, p_thread));
    end if;
    v_thread := coord.message_thread(v_me, p_thread, true);
  end if;

  v_to_text := case v_to.kind when 'any' then '*' when 'team' then 'team:' || v_to.name else v_to.name end;
  v_recipients := coord.message_recipients(v_me.tenant_id, v_me.principal_id, v_to.kind, v_to.principal_id,
                                           v_to.profile_id);
  select coalesce(jsonb_object_agg(p.id, p.name), '{}') into v_names
  from coord.principals as p where p.tenant_id = v_me.tenant_id and p.id = any (v_recipients);

  v_decision := authz.gate('message.send', 'message', null,
    jsonb_build_object('to', v_to_text, 'recipients', cardinality(v_recipients)),
    jsonb_build_object('to', v_to_text));
  if not v_decision.allowed then
    return coord.result(p_refusal => v_decision);
  end if;

  select coalesce(array_agg(x.recipient_id order by v_names ->> x.recipient_id::text)
                    filter (where x.allowed and p.disabled_at is null), '{}'),
         coalesce(array_agg(v_names ->> x.recipient_id::text order by v_names ->> x.recipient_id::text)
                    filter (where x.allowed and p.disabled_at is null), '{}'),
         coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
                    'recipient', v_names ->> x.recipient_id::text,
                    'side', case when p.disabled_at is null then x.side end,
                    'rule_id', case when p.disabled_at is null then x.rule_id end,
                    'reason', case when p.disabled_at is not null then 'the recipient is disabled'
                                   when x.side = 'send' then format('%s may not send to %s (%s)', v_me.name,
                                          v_names ->> x.recipient_id::text,
                                          coalesce('rule ' || x.rule_id, 'tenant default'))
                                   else format('%s does not accept messages from %s (%s)',
                                          v_names ->> x.recipient_id::text, v_me.name,
                                          coalesce('rule ' || x.rule_id, 'tenant default')) end))
                    order by v_names ->> x.recipient_id::text)
                    filter (where not x.allowed or p.disabled_at is not null), '[]')
  into v_delivered, v_delivered_names, v_skipped
  from coord.message_routes(v_me.tenant_id, v_me.principal_id, v_recipients) as x
  join coord.principals as p on p.tenant_id = v_me.tenant_id and p.id = x.recipient_id;

  if cardinality(v_delivered) = 0 then
    v_code := case when cardinality(v_recipients) = 0 then 'no_recipients' else 'refused' end;
    perform audit.record('message.send', v_code, 'message', null,
      case when v_code = 'refused' then 'no recipient passed the message allowlist' else 'the address names no recipient' end,
      jsonb_build_object('to', v_to_text, 'recipients', cardinality(v_recipients),
                         'skipped', (select coalesce(jsonb_agg(e), '[]') from (
                                       select e from jsonb_array_elements(v_skipped) as e limit 100) as k)),
      v_decision, case when v_code = 'refused' then 'notice' else 'info' end);
    return coord.result(v_code, p_details => jsonb_build_object('to', v_to_text, 'skipped', v_skipped));
  end if;

  v_id := pg_catalog.nextval(pg_catalog.pg_get_serial_sequence('coord.messages', 'id'));
  insert into coord.messages (tenant_id, id, sender_id, thread_id, reply_to, to_kind, to_name, subject, body, created_at)
  overriding system value
  values (v_me.tenant_id, v_id, v_me.principal_id, coalesce(v_thread, v_id), p_reply_to,
          case v_to.kind when 'any' then 'broadcast' else v_to.kind end,
          case when v_to.kind <> 'any' then v_to.name end, p_subject, p_body, v_now);
  insert into coord.message_deliveries (tenant_id, message_id, recipient_id)
  select v_me.tenant_id, v_id, r from unnest(v_delivered) as r;
  perform coord.notify_inbox(v_me.tenant_id, v_id, v_delivered);
  -- The message text stays out of the audit log: who, to whom, how much, and who was skipped.
  perform audit.record('message.send', 'sent', 'message', v_id::text, null,
    jsonb_strip_nulls(jsonb_build_object('to', v_to_text, 'thread_id', coalesce(v_thread, v_id), 'reply_to', p_reply_to,
      'characters', char_length(p_body), 'delivered', cardinality(v_delivered),
      'recipients', (select jsonb_agg(n) from (select n from unnest(v_delivered_names) as n limit 100) as k),
      'skipped', case when jsonb_array_length(v_skipped) > 0
                      then (select jsonb_agg(e) from (select e from jsonb_array_elements(v_skipped) as e limit 100) as k) end)),
    v_decision);
  return coord.result('sent', p_details => jsonb_build_object(
    'message_id', v_id, 'thread_id', coalesce(v_thread, v_id), 'to', v_to_text,
    'delivered', to_jsonb(v_delivered_names), 'skipped', v_skipped));
end;
$$;

comment on function api.send_message(text, text, text, bigint, bigint) is
'Sends a message from you to p_to: an agent (NAME or agent:NAME), a team (team:NAME, the enabled agents acting under that profile, you excepted) or * (every enabled agent of your tenant but you). p_body 1-10000 characters, p_subject optional, 1-200 characters without control characters; p_reply_to a message you sent or received (the reply joins its thread), p_thread a thread you are in (without either: a new thread). Each recipient must pass the two-sided allowlist (you may send to it and it accepts from you; docs/messages.md): code sent with details.message_id, thread_id, delivered (names) and skipped (each recipient refused, the side send or receive and the rule_id, null for the tenant default, or a disabled recipient); refused when nobody passed (nothing is stored); no_recipients when the team or tenant has no one else; denied when the policy refuses (details.rule). Recipients watching their inbox are notified with the message id. Audited as message.send (sizes and names, never the text). Errors: CO710 address, CO711 body, CO713 subject, CO712 unknown message or thread (or reply_to outside p_thread), CO302 unknown principal, CO462 unknown team.';
revoke all on function api.send_message(text, text, text, bigint, bigint) from public;
grant execute on function api.send_message(text, text, text, bigint, bigint) to coord_agent, coord_operator;
