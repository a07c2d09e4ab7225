-- The operator-run deliverer's report (coord notify): the gate, then coord.report_webhook_delivery.
create or replace function api.report_webhook_delivery(
  p_delivery_id bigint,
  p_claim uuid,
  p_ok boolean,
  p_status integer default null,
  p_error text default null
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
  -- 2xx delivers and nothing else does: an ok without a 2xx status, or a failure with one, is malformed.
  if p_delivery_id is null or p_claim is null or p_ok is null or p_status not between 100 and 599
     or char_length(p_error) > 1000 or p_ok is distinct from coalesce(p_status between 200 and 299, false) then
    perform coord.fail('CO654', format('delivery %s, status %s', p_delivery_id, p_status));
  end if;
  v_decision := authz.gate('webhook.deliver', 'webhook_delivery', p_delivery_id::text);
  if not v_decision.allowed then
    return coord.result(p_refusal => v_decision);
  end if;
  return coord.report_webhook_delivery(v_me.tenant_id, p_delivery_id, p_claim, p_ok, p_status, p_error, v_decision);
end;
$$;

comment on function api.report_webhook_delivery(bigint, uuid, boolean, integer, text) is
'Operators (the deliverer): report one attempt of a delivery claimed with claim_webhook_deliveries: p_ok for a 2xx answer (delivered); otherwise p_status (HTTP status, none for a timeout or refused connection) and p_error: retry_scheduled (details.next_attempt_at: 10 s after the first failure, doubling, at most 1 h), or delivery_dead after the subscription''s max_attempts. stale_delivery_claim when the claim ran out and the delivery was claimed again or finished, or the webhook was removed (details.state gone); denied. Errors: CO654.';
revoke all on function api.report_webhook_delivery(bigint, uuid, boolean, integer, text) from public;
grant execute on function api.report_webhook_delivery(bigint, uuid, boolean, integer, text) to coord_operator;
