-- The outbox is written from the stream, not by a trigger on the hot path: each enabled
-- subscription of the tenant reads its types after its cursor (coord.event_stream, so an event
-- of a transaction that commits late is not skipped) and gets one delivery per event, with its
-- body, signature and idempotency key fixed now. The subscription's row lock serializes two
-- deliverers fanning out the same subscription; the unique (webhook, event) key makes a repeat
-- harmless. At most p_limit events per subscription per call.
create or replace function coord.webhook_fanout(p_tenant_id uuid, p_limit integer default 1000)
returns integer
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_hook coord.webhooks;
  v_last_txid xid8;
  v_last_id bigint;
  v_count integer := 0;
  v_added integer;
begin
  for v_hook in
    select w.* from coord.webhooks as w
    where w.tenant_id = p_tenant_id and w.enabled
    order by w.id
    for update skip locked
  loop
    with events as (
      select s.* from coord.event_stream(p_tenant_id, v_hook.cursor_txid, v_hook.cursor_id,
                                         coord.check_event_types(v_hook.event_types), p_limit) as s
    ), bodies as (
      select e.id, e.txid, e.event_type, k.key,
             jsonb_build_object('id', e.id, 'type', e.event_type, 'occurred_at', e.occurred_at,
               'action', e.action, 'actor_type', e.actor_type, 'actor_name', e.actor_name,
               'target_type', e.target_type, 'target_id', e.target_id, 'decision', e.decision,
               'severity', e.severity, 'reason', e.reason, 'details', e.details,
               'webhook', v_hook.name, 'idempotency_key', k.key)::text as body
      from events as e, lateral (select gen_random_uuid() as key) as k
    ), added as (
      insert into coord.webhook_deliveries (tenant_id, webhook_id, event_id, event_type, idempotency_key, body,
                                            signature, next_attempt_at, created_at)
      select p_tenant_id, v_hook.id, b.id, b.event_type, b.key, b.body,
             pg_catalog.encode(coord.hmac_sha256(pg_catalog.convert_to(v_hook.secret, 'UTF8'),
                                                 pg_catalog.convert_to(b.body, 'UTF8')), 'hex'),
             coord.now(), coord.now()
      from bodies as b
      on conflict (webhook_id, event_id) do nothing
      returning 1
    )
    select (select count(*) from added)::integer, l.txid, l.id into v_added, v_last_txid, v_last_id
    from (select 1) as one
    left join lateral (select b.txid, b.id from bodies as b order by b.txid desc, b.id desc limit 1) as l on true;
    if v_last_id is not null then
      update coord.webhooks set cursor_txid = v_last_txid, cursor_id = v_last_id where id = v_hook.id;
    end if;
    v_count := v_count + v_added;
  end loop;
  return v_count;
end;
$$;

comment on function coord.webhook_fanout(uuid, integer) is 'Writes the outbox rows (one signed delivery per subscription and event) for the tenant''s enabled webhooks'' new events, and moves each subscription''s cursor; returns how many rows it added.';
revoke all on function coord.webhook_fanout(uuid, integer) from public;
