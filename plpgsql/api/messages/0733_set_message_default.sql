-- The tenant default of the message allowlist: what each side decides when none of its rules
-- matches. Shipped as deny: messages pass only along rules.
create or replace function api.set_message_default(p_action text)
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
  v_old text;
begin
  if p_action is null or p_action not in ('allow', 'deny') then
    perform coord.fail('CO714', format('default %s', coalesce(pg_catalog.quote_literal(left(p_action, 50)), 'null')));
  end if;
  v_decision := authz.gate('message.rule', 'tenant', v_me.tenant_id::text, jsonb_build_object('default', p_action),
                           p_event => 'message.default');
  if not v_decision.allowed then
    return coord.result(p_refusal => v_decision);
  end if;
  select n.message_default into v_old from coord.tenants as n where n.id = v_me.tenant_id for update;
  if v_old = p_action then
    perform audit.record('message.default', 'unchanged', 'tenant', v_me.tenant_id::text, null,
      jsonb_build_object('default', p_action), v_decision);
    return coord.result('unchanged', p_details => jsonb_build_object('default', p_action));
  end if;
  update coord.tenants as n set message_default = p_action where n.id = v_me.tenant_id;
  perform audit.record('message.default', 'changed', 'tenant', v_me.tenant_id::text, null,
    jsonb_build_object('default', p_action, 'previous', v_old), v_decision);
  return coord.result('changed', p_details => jsonb_build_object('default', p_action, 'previous', v_old));
end;
$$;

comment on function api.set_message_default(text) is 'Operators: the decision of each side of your tenant''s message allowlist when none of its rules matches, allow or deny (new tenants: deny, so messages pass only along rules). Code changed (details.previous) or unchanged; denied when the policy refuses (details.rule). Audited as message.default. Errors: CO714.';
revoke all on function api.set_message_default(text) from public;
grant execute on function api.set_message_default(text) to coord_operator;
