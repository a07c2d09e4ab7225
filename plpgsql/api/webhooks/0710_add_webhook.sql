-- A subscription starts at the stream's head: it is sent what happens from now on. Without a
-- secret one is generated and returned once (like a token).
create or replace function api.add_webhook(
  p_name text,
  p_url text,
  p_event_types text[] default array['alert.raised'],
  p_secret text default null,
  p_max_attempts integer default 8
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
  v_secret text := p_secret;
  v_head record;
  v_id bigint;
begin
  perform coord.check_webhook(p_name, p_url, p_event_types, p_secret, p_max_attempts);
  perform coord.check_webhook_target(v_me.tenant_id, p_url);
  v_decision := authz.gate('webhook.admin', 'webhook', p_name);
  if not v_decision.allowed then
    return coord.result(p_refusal => v_decision);
  end if;
  if exists (select from coord.webhooks as w where w.tenant_id = v_me.tenant_id and w.name = p_name) then
    return coord.result('webhook_exists', format('webhook %s exists', p_name), jsonb_build_object('name', p_name));
  end if;
  if v_secret is null then
    v_secret := pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(gen_random_uuid()::text || gen_random_uuid()::text, 'UTF8')), 'hex');
  end if;
  select h.txid, h.id into v_head from coord.event_head(v_me.tenant_id) as h;
  insert into coord.webhooks (tenant_id, name, url, event_types, secret, max_attempts, cursor_txid, cursor_id,
                              created_by, created_at)
  values (v_me.tenant_id, p_name, p_url, p_event_types, v_secret, p_max_attempts, v_head.txid, v_head.id,
          v_me.principal_id, coord.now())
  on conflict (tenant_id, name) do nothing
  returning id into v_id;
  if v_id is null then
    return coord.result('webhook_exists', format('webhook %s exists', p_name), jsonb_build_object('name', p_name));
  end if;
  perform audit.record('webhook.add', 'added', 'webhook', v_id::text, null,
    jsonb_build_object('name', p_name, 'url', p_url, 'event_types', p_event_types, 'max_attempts', p_max_attempts,
                       'secret_generated', p_secret is null),
    v_decision, 'notice');
  return coord.result('added', p_details => jsonb_build_object('webhook_id', v_id, 'name', p_name)
    || case when p_secret is null then jsonb_build_object('secret', v_secret) else '{}' end);
end;
$$;

comment on function api.add_webhook(text, text, text[], text, integer) is
'Operators: subscribe a URL to event types of your tenant (default alert.raised; type, family.* or *), from now on. Each delivery is a POST of the event as JSON with headers X-Coord-Signature: sha256=<hex HMAC-SHA256 of the body under the secret>, Idempotency-Key (the same for every attempt) and X-Coord-Event-Type; retried with exponential backoff, dead after p_max_attempts. Without p_secret one is generated and returned once in details.secret. Codes added (details.webhook_id), webhook_exists, denied. Errors: CO652 (also a URL with credentials, or whose host is a loopback, link-local, private or metadata address, unless the server''s owner set the tenant''s webhook_private_targets), CO650 event types.';
revoke all on function api.add_webhook(text, text, text[], text, integer) from public;
grant execute on function api.add_webhook(text, text, text[], text, integer) to coord_operator;
