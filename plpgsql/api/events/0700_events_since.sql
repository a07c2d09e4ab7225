-- The tenant's events after p_after (an event id the stream handed out; 0: from the start),
-- oldest first in stream order, at most p_limit. Only events of the types the filter names
-- and the caller may read (each type's read action in coord.event_types) are returned; only
-- events whose transactions are below the visibility horizon are handed out
-- (coord.event_stream), so resuming after the last id received misses nothing.
create or replace function api.events_since(
  p_after bigint default 0,
  p_types text[] default null,
  p_limit integer default 100
)
returns table (
  id bigint,
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
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := authz.require_read('event.read');
  v_types text[];
  v_txid xid8;
  v_id bigint;
begin
  perform coord.check_limit(p_limit);
  if p_after < 0 then
    perform coord.fail('CO651', format('event %s', p_after));
  end if;
  v_types := coord.check_event_types(p_types);
  -- Each type also needs its own read: one decision per read action, not per event.
  select coalesce(array_agg(t.event_type), '{}') into v_types
  from coord.event_types as t
  join (select r.read_action, authz.may_read(r.read_action) as allowed
        from (select distinct x.read_action from coord.event_types as x where x.event_type = any (v_types)) as r
        offset 0) as d on d.read_action = t.read_action
  where d.allowed and t.event_type = any (v_types);
  select p.txid, p.id into v_txid, v_id from coord.event_position(v_me.tenant_id, p_after) as p;
  if cardinality(v_types) = 0 then
    return;
  end if;
  return query
  select s.id, s.event_type, s.occurred_at, s.action, s.actor_type, s.actor_name, s.target_type, s.target_id,
         s.decision, s.severity, s.reason, s.details
  from coord.event_stream(v_me.tenant_id, v_txid, v_id, v_types, p_limit) as s;
end;
$$;

comment on function api.events_since(bigint, text[], integer) is
'The typed event stream of your tenant (lease.*, task.*, session.*, alert.*, approval.*): events after p_after (an id this function returned; 0: from the start), oldest first, at most p_limit. p_types: event types, families (lease.*) or * (null: all). Each type needs its read permission (alerts: operators and auditors; approvals: audit readers); types you may not read are left out. Only events of finished transactions older than every running one are handed out, so resuming after the last id you received misses nothing even when a transaction commits late; ids are not increasing in stream order, so keep the last one, not the largest. Errors: CO224 limit, CO650 types, CO651 unknown id, PT403.';
revoke all on function api.events_since(bigint, text[], integer) from public;
grant execute on function api.events_since(bigint, text[], integer) to coord_agent, coord_operator, coord_auditor;
