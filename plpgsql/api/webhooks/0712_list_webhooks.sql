create or replace function api.list_webhooks()
returns table (
  webhook_id bigint,
  name text,
  url text,
  event_types text[],
  max_attempts integer,
  enabled boolean,
  created_at timestamptz,
  pending bigint,
  delivered bigint,
  dead bigint
)
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := authz.require_read('webhook.read');
begin
  return query
  select w.id, w.name::text, w.url, w.event_types, w.max_attempts, w.enabled, w.created_at,
         count(*) filter (where d.state = 'pending'), count(*) filter (where d.state = 'delivered'),
         count(*) filter (where d.state = 'dead')
  from coord.webhooks as w
  left join coord.webhook_deliveries as d on d.tenant_id = w.tenant_id and d.webhook_id = w.id
  where w.tenant_id = v_me.tenant_id
  group by w.id
  order by w.name;
end;
$$;

comment on function api.list_webhooks() is
'Operators and auditors: the webhook subscriptions of your tenant (never their secrets) with their deliveries pending, delivered and dead. Errors: PT403.';
revoke all on function api.list_webhooks() from public;
grant execute on function api.list_webhooks() to coord_operator, coord_auditor;
