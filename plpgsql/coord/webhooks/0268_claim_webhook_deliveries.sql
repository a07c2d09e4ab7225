-- The deliverer's turn for one tenant: fan the stream out into the outbox
-- (coord.webhook_fanout), bury deliveries whose last allowed attempt was claimed and never
-- reported, then claim the due ones with SKIP LOCKED (two deliverers never get the same delivery
-- while a claim is live), round-robin over the tenant's webhooks (each webhook's oldest due one,
-- then each one's second, ...: one subscription whose receiver fails and piles up retries does
-- not take the batch from the tenant's other subscriptions). Claiming counts the attempt, so a
-- deliverer that dies mid-POST still
-- uses one up. The body and signature were fixed when the row was written: the secret never
-- leaves the database. Called by api.claim_webhook_deliveries (an operator's deliverer, after
-- the gate) and by coord maintain for every tenant (p_authz null: a system event).
create or replace function coord.claim_webhook_deliveries(p_tenant_id uuid, p_limit integer, p_lease interval,
                                                          p_authz authz.decision default null)
returns api.result
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_now timestamptz;
  v_until timestamptz;
  v_fanned integer;
  v_died integer;
  v_claimed jsonb;
begin
  v_now := coord.now();
  v_until := v_now + p_lease;
  v_fanned := coord.webhook_fanout(p_tenant_id);

  with buried as (
    update coord.webhook_deliveries as d
    set state = 'dead', finished_at = v_now, claim = null, claimed_until = null,
        last_error = coalesce(d.last_error, 'the last attempt was claimed and never reported')
    from coord.webhooks as w
    where d.tenant_id = p_tenant_id and w.tenant_id = d.tenant_id and w.id = d.webhook_id
      and d.state = 'pending' and d.attempts >= w.max_attempts and d.claimed_until <= v_now
    returning 1
  )
  select count(*) into v_died from buried;

  with ranked as (
    select c.id, c.turn, c.next_attempt_at
    from coord.webhooks as w
    cross join lateral (
      select d.id, d.next_attempt_at, row_number() over (order by d.next_attempt_at, d.id) as turn
      from coord.webhook_deliveries as d
      where d.tenant_id = p_tenant_id and d.webhook_id = w.id and d.state = 'pending' and d.next_attempt_at <= v_now
        and (d.claimed_until is null or d.claimed_until <= v_now) and d.attempts < w.max_attempts
      order by d.next_attempt_at, d.id
      limit p_limit
    ) as c
    where w.tenant_id = p_tenant_id and w.enabled
    order by c.turn, c.next_attempt_at, c.id
    limit p_limit
  ), due as (
    -- Locked after ranking (FOR UPDATE takes no window function): a row another deliverer
    -- claimed meanwhile is skipped, and the conditions are checked again on the locked row.
    select d.id from coord.webhook_deliveries as d
    join ranked as r on r.id = d.id
    where d.tenant_id = p_tenant_id and d.state = 'pending' and (d.claimed_until is null or d.claimed_until <= v_now)
    for update of d skip locked
  ), claimed as (
    update coord.webhook_deliveries as d
    set attempts = d.attempts + 1, claim = gen_random_uuid(), claimed_until = v_until
    from due
    where d.id = due.id
    returning d.*
  )
  select coalesce(jsonb_agg(jsonb_build_object(
           'delivery_id', c.id, 'claim', c.claim, 'webhook', w.name, 'url', w.url, 'event_id', c.event_id,
           'event_type', c.event_type, 'idempotency_key', c.idempotency_key, 'attempt', c.attempts,
           'max_attempts', w.max_attempts, 'body', c.body, 'signature', 'sha256=' || c.signature)
           order by r.turn, c.next_attempt_at, c.id), '[]')
  into v_claimed
  from claimed as c
  join ranked as r on r.id = c.id
  join coord.webhooks as w on w.tenant_id = c.tenant_id and w.id = c.webhook_id;

  -- Only a call that changed something is audited: an idle deliverer asks every few seconds.
  if v_fanned > 0 or v_died > 0 or jsonb_array_length(v_claimed) > 0 then
    perform audit.record('webhook.claim', 'deliveries_claimed', 'tenant', p_tenant_id::text, null,
      jsonb_build_object('claimed', jsonb_array_length(v_claimed), 'fanned_out', v_fanned, 'died', v_died,
                         'deliveries', (select jsonb_agg(x -> 'delivery_id') from jsonb_array_elements(v_claimed) as x)),
      p_authz, p_system => p_authz is null, p_tenant_id => p_tenant_id);
  end if;
  -- The deliverer resolves host names: it may not connect to these (none when the tenant may).
  return coord.result('deliveries_claimed', p_details => jsonb_build_object(
    'deliveries', v_claimed, 'claimed_until', v_until, 'fanned_out', v_fanned, 'died', v_died,
    'refused_networks', case when (select t.webhook_private_targets from coord.tenants as t where t.id = p_tenant_id)
                             then '[]'::jsonb else to_jsonb(coord.webhook_refused_networks()::text[]) end));
end;
$$;

comment on function coord.claim_webhook_deliveries(uuid, integer, interval, authz.decision) is 'Fans the tenant''s stream out to its webhooks, buries unreported last attempts and claims up to p_limit due deliveries (round-robin over its webhooks) until now + p_lease (result deliveries_claimed, details.deliveries, and details.refused_networks the deliverer may not connect to); audited as webhook.claim when it changed anything.';
revoke all on function coord.claim_webhook_deliveries(uuid, integer, interval, authz.decision) from public;
