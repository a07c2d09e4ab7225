-- A dry run of the allowlist for operators: would a message from p_sender to p_recipient pass, per
-- recipient and per side, and which rule decided. The same function send_message uses.
create or replace function api.check_message_route(p_sender text, p_recipient text)
returns table (
  recipient text,
  allowed boolean,
  side text,
  rule_id bigint,
  send_action text,
  send_rule_id bigint,
  receive_action text,
  receive_rule_id bigint
)
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := authz.require_read('message.rule_read');
  v_from record;
  v_to record;
begin
  select * into v_from from coord.message_party(v_me.tenant_id, p_sender, 'CO710', 'from');
  if v_from.kind <> 'agent' then
    perform coord.fail('CO710', 'from names one principal (NAME or agent:NAME)');
  end if;
  select * into v_to from coord.message_party(v_me.tenant_id, p_recipient, 'CO710', 'address');
  return query
    select p.name::text, x.allowed, x.side, x.rule_id, x.send_action, x.send_rule_id, x.receive_action, x.receive_rule_id
    from coord.message_routes(v_me.tenant_id, v_from.principal_id,
           coord.message_recipients(v_me.tenant_id, v_from.principal_id, v_to.kind, v_to.principal_id,
                                    v_to.profile_id)) as x
    join coord.principals as p on p.tenant_id = v_me.tenant_id and p.id = x.recipient_id
    order by p.name;
end;
$$;

comment on function api.check_message_route(text, text) is 'Operators and auditors: would a message from p_sender (NAME or agent:NAME) to p_recipient (NAME, team:NAME or *) pass your tenant''s allowlist? One row per recipient as send_message would address them: allowed, the refusing side and rule_id (null: the tenant default), and each side''s decision and rule. Nothing is sent. Read-only. Errors: CO710, CO302, CO462, PT403.';
revoke all on function api.check_message_route(text, text) from public;
grant execute on function api.check_message_route(text, text) to coord_operator, coord_auditor;
