-- One attempt of a delivery, reported by the deliverer that claimed it: 2xx delivers it;
-- anything else (an error status, a timeout, a refused connection) schedules the next attempt
-- with backoff, or buries it when that was the last attempt the subscription allows. Called by
-- api.report_webhook_delivery after the gate and by coord maintain (p_authz null: system).
create or replace function coord.report_webhook_delivery(p_tenant_id uuid, p_delivery_id bigint, p_claim uuid,
                                                         p_ok boolean, p_status integer, p_error text,
                                                         p_authz authz.decision default null)
returns api.result
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_now timestamptz;
  v_row record;
  v_code text;
  v_next timestamptz;
begin
  if p_ok is null or p_ok is distinct from coalesce(p_status between 200 and 299, false) then
    perform coord.fail('CO654', format('delivery %s: ok %s with status %s', p_delivery_id, p_ok, p_status));
  end if;
  v_now := coord.now();
  select d.id, d.state, d.claim, d.attempts, d.event_id, d.event_type, w.name, w.max_attempts into v_row
  from coord.webhook_deliveries as d
  join coord.webhooks as w on w.tenant_id = d.tenant_id and w.id = d.webhook_id
  where d.tenant_id = p_tenant_id and d.id = p_delivery_id
  for update of d;
  if not found then
    -- Gone: its webhook was removed (the deliveries go with it) while this attempt was under
    -- way. A claim that no longer holds anything is stale, not an error: the deliverer goes on
    -- with the rest of its batch. (Another tenant's id looks the same: nothing is told of it.)
    return coord.result('stale_delivery_claim', format('delivery %s is gone', p_delivery_id),
                        jsonb_build_object('delivery_id', p_delivery_id, 'state', 'gone'));
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
    p_authz, case when v_code = 'delivery_dead' then 'warning' else 'info' end, p_system => p_authz is null,
    p_tenant_id => p_tenant_id);
  return coord.result(v_code, p_details => jsonb_strip_nulls(jsonb_build_object(
    'delivery_id', p_delivery_id, 'attempt', v_row.attempts, 'max_attempts', v_row.max_attempts,
    'next_attempt_at', v_next)));
end;
$$;

comment on function coord.report_webhook_delivery(uuid, bigint, uuid, boolean, integer, text, authz.decision) is 'Records one attempt of a claimed delivery: delivered, retry_scheduled (backoff) or delivery_dead; stale_delivery_claim when the claim no longer holds it (or the delivery is gone with its webhook). Audited as webhook.deliver.';
revoke all on function coord.report_webhook_delivery(uuid, bigint, uuid, boolean, integer, text, authz.decision) from public;
