create or replace function api.remove_webhook(p_name text)
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
  v_hook record;
begin
  v_decision := authz.gate('webhook.admin', 'webhook', p_name);
  if not v_decision.allowed then
    return coord.result(p_refusal => v_decision);
  end if;
  delete from coord.webhooks as w where w.tenant_id = v_me.tenant_id and w.name = p_name
  returning w.id, w.url into v_hook;
  if not found then
    perform coord.fail('CO653', format('webhook %s', coalesce(pg_catalog.quote_literal(left(p_name, 100)), 'null')));
  end if;
  perform audit.record('webhook.remove', 'removed', 'webhook', v_hook.id::text, null,
    jsonb_build_object('name', p_name, 'url', v_hook.url), v_decision, 'notice');
  return coord.result('removed', p_details => jsonb_build_object('webhook_id', v_hook.id, 'name', p_name));
end;
$$;

comment on function api.remove_webhook(text) is
'Operators: remove a webhook subscription and its deliveries (pending ones are not sent). Codes removed, denied. Errors: CO653 unknown webhook.';
revoke all on function api.remove_webhook(text) from public;
grant execute on function api.remove_webhook(text) to coord_operator;
