create or replace function api.list_webhook_deliveries(
  p_state text default null,
  p_webhook text default null,
  p_limit integer default 50,
  p_before_id bigint default null
)
returns table (
  delivery_id bigint,
  webhook text,
  event_id bigint,
  event_type text,
  idempotency_key uuid,
  state text,
  attempts integer,
  next_attempt_at timestamptz,
  last_status integer,
  last_error text,
  created_at timestamptz,
  finished_at timestamptz
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
  perform coord.check_limit(p_limit);
  if p_state is not null and p_state not in ('pending', 'delivered', 'dead') then
    perform coord.fail('CO496', format('state %s', pg_catalog.quote_literal(left(p_state, 50))));
  end if;
  return query
  select d.id, w.name::text, d.event_id, d.event_type, d.idempotency_key, d.state, d.attempts,
         case when d.state = 'pending' then d.next_attempt_at end, d.last_status, d.last_error, d.created_at,
         d.finished_at
  from coord.webhook_deliveries as d
  join coord.webhooks as w on w.tenant_id = d.tenant_id and w.id = d.webhook_id
  where d.tenant_id = v_me.tenant_id
    and (p_state is null or d.state = p_state)
    and (p_webhook is null or w.name = p_webhook)
    and (p_before_id is null or d.id < p_before_id)
  order by d.id desc
  limit p_limit;
end;
$$;

comment on function api.list_webhook_deliveries(text, text, integer, bigint) is
'Operators and auditors: webhook deliveries of your tenant, newest first (paged with p_before_id), by state (pending, delivered, dead) and webhook name: attempts, the next attempt of a pending one, the last HTTP status and error. Errors: CO224 limit, CO496 state, PT403.';
revoke all on function api.list_webhook_deliveries(text, text, integer, bigint) from public;
grant execute on function api.list_webhook_deliveries(text, text, integer, bigint) to coord_operator, coord_auditor;
