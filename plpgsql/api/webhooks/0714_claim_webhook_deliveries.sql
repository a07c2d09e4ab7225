-- The operator-run deliverer's claim (coord notify): the gate, then coord.claim_webhook_deliveries.
create or replace function api.claim_webhook_deliveries(
  p_limit integer default 20,
  p_lease interval default interval '30 seconds'
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
  v_decision authz.decision;
begin
  perform coord.check_limit(p_limit);
  perform coord.check_interval(p_lease, 'CO654', 'lease', interval '1 second', interval '1 hour');
  v_decision := authz.gate('webhook.deliver', 'tenant', v_me.tenant_id::text);
  if not v_decision.allowed then
    return coord.result(p_refusal => v_decision);
  end if;
  return coord.claim_webhook_deliveries(v_me.tenant_id, p_limit, p_lease, v_decision);
end;
$$;

comment on function api.claim_webhook_deliveries(integer, interval) is
'Operators (the deliverer: coord notify, coord maintain): writes the outbox rows for your tenant''s webhooks'' new events, then claims up to p_limit due deliveries until now + p_lease (SKIP LOCKED: concurrent deliverers share the work). details.deliveries: delivery_id, claim, url, body, signature (send as X-Coord-Signature), idempotency_key (send as Idempotency-Key), event_type, attempt. POST each and call report_webhook_delivery. A claimed attempt counts; deliveries whose last attempt was never reported become dead (details.died). Code deliveries_claimed, or denied. Errors: CO224 limit, CO654 lease (1 s to 1 h). Audited as webhook.claim when something was claimed, fanned out or buried.';
revoke all on function api.claim_webhook_deliveries(integer, interval) from public;
grant execute on function api.claim_webhook_deliveries(integer, interval) to coord_operator;
