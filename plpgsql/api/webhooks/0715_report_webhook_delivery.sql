-- The deliverer reports one attempt of a delivery it claimed: 2xx delivers it; anything else
-- (an error status, a timeout, a refused connection) schedules the next attempt with backoff,
-- or buries it when that was the last attempt the subscription allows.
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
as $$
declare
  v_me coord.caller := coord.principal();
  v_decision authz.decision;
  v_now timestamptz;
  v_row record;
  v_code text;
  v_next timestamptz;
begin
  if p_delivery_id is null or p_claim is null or p_ok is null or p_status not between 100 and 599
     or char_length(p_error) > 1000 then
    perform coord.fail('CO654', format('delivery %s, status %s', p_delivery_id, p_status));
  end if;
  v_decision := authz.gate('webhook.deliver', 'webhook_delivery', p_delivery_id::text);
  if not v_decision.allowed then
    return coord.result(p_refusal => v_decision);
  end if;
  v_now := coord.now();
  select d.id, d.state, d.claim, d.attempts, d.event_id, d.event_type, w.name, w.max_attempts into v_row
  from coord.webhook_deliveries as d
  join coord.webhooks as w on w.tenant_id = d.tenant_id and w.id = d.webhook_id
  where d.tenant_id = v_me.tenant_id and d.id = p_delivery_id
  for update of d;
  if not found then
    perform coord.fail('CO654', format('delivery %s is not of your tenant', p_delivery_id));
  end if;
  if v_row.state <> 'pending' or v_row.claim is distinct from p_claim then
    return coord.result('stale_delivery_claim', format('delivery %s is %s, claim %s', p_delivery_id, v_row.state,
                                                      case when v_row.claim is null then 'none' else 'another' end),
                        jsonb_build_object('delivery_id', p_delivery_id, 'state', v_row.state));
  end if;
  if p_ok then
    v_code := 'delivered';
    update coord.webhook_deliveries
    set state = 'delivered', finished_at = v_now, claim = null, claimed_until = null, last_status = p_status,
        last_error = null
    where id = p_delivery_id;
  elsif v_row.attempts >= v_row.max_attempts then
    v_code := 'delivery_dead';
    update coord.webhook_deliveries
    set state = 'dead', finished_at = v_now, claim = null, claimed_until = null, last_status = p_status,
        last_error = left(p_error, 1000)
    where id = p_delivery_id;
  else
    v_code := 'retry_scheduled';
    v_next := v_now + coord.webhook_backoff(v_row.attempts);
    update coord.webhook_deliveries
    set next_attempt_at = v_next, claim = null, claimed_until = null, last_status = p_status,
        last_error = left(p_error, 1000)
    where id = p_delivery_id;
  end if;
  perform audit.record('webhook.deliver', v_code, 'webhook_delivery', p_delivery_id::text, left(p_error, 1000),
    jsonb_strip_nulls(jsonb_build_object('webhook', v_row.name, 'event_id', v_row.event_id, 'event_type', v_row.event_type,
      'attempt', v_row.attempts, 'status', p_status, 'next_attempt_at', v_next)),
    v_decision, case when v_code = 'delivery_dead' then 'warning' else 'info' end);
  return coord.result(v_code, p_details => jsonb_strip_nulls(jsonb_build_object(
    'delivery_id', p_delivery_id, 'attempt', v_row.attempts, 'max_attempts', v_row.max_attempts,
    'next_attempt_at', v_next)));
end;
$$;

comment on function api.report_webhook_delivery(bigint, uuid, boolean, integer, text) is
'Operators (the deliverer): report one attempt of a delivery claimed with claim_webhook_deliveries: p_ok for a 2xx answer (delivered); otherwise p_status (HTTP status, none for a timeout or refused connection) and p_error: retry_scheduled (details.next_attempt_at: 10 s after the first failure, doubling, at most 1 h), or delivery_dead after the subscription''s max_attempts. stale_delivery_claim when the claim ran out and the delivery was claimed again or finished; denied. Errors: CO654.';
revoke all on function api.report_webhook_delivery(bigint, uuid, boolean, integer, text) from public;
grant execute on function api.report_webhook_delivery(bigint, uuid, boolean, integer, text) to coord_operator;
