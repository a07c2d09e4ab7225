-- coord:owner coord_auth
-- The stream after a position, in (txid, id) order, under the tenant's visibility horizon
-- (coord.event_horizon): only events below the oldest running transaction that may write the
-- tenant's events are handed out. Every such transaction, and every future one, writes at or
-- above that horizon, so no event can later appear before one handed out: a follower that
-- resumes after the last event it got misses nothing, even when a transaction that started
-- earlier commits later (ids come from a sequence and are not in commit order; (txid, id) past
-- the horizon is). Another tenant's running transaction does not hold it back.
-- Owned by coord_auth (BYPASSRLS): the webhook fan-out reads it for the subscription's tenant;
-- the api passes the caller's own tenant.
create or replace function coord.event_stream(
  p_tenant_id uuid,
  p_after_txid xid8,
  p_after_id bigint,
  p_types text[],
  p_limit integer
)
returns table (
  id bigint,
  txid xid8,
  event_type text,
  occurred_at timestamptz,
  action text,
  actor_type text,
  actor_name text,
  target_type text,
  target_id text,
  decision text,
  severity text,
  reason text,
  details jsonb
)
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
  select e.id, e.txid, t.event_type, e.occurred_at, e.action, e.actor_type::text, e.actor_name, e.target_type,
         e.target_id, e.decision, e.severity, e.reason, e.details - 'authz'
  from audit.events as e
  join coord.event_types as t on t.action = e.action and t.decision = e.decision
  where e.tenant_id = p_tenant_id
    and e.txid < (select coord.event_horizon(p_tenant_id))
    and (e.txid, e.id) > (p_after_txid, p_after_id)
    and e.action = any (array(select distinct s.action from coord.event_types as s where s.event_type = any (p_types)))
    and t.event_type = any (p_types)
  order by e.txid, e.id
  limit p_limit;
$$;

comment on function coord.event_stream(uuid, xid8, bigint, text[], integer) is 'The tenant''s events of the given types after position (txid, id), oldest first, only from below the tenant''s visibility horizon (coord.event_horizon: nothing can appear before them later).';
revoke all on function coord.event_stream(uuid, xid8, bigint, text[], integer) from public;
grant execute on function coord.event_stream(uuid, xid8, bigint, text[], integer) to coord_owner;
