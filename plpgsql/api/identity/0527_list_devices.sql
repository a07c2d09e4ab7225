-- PL/pgSQL so the caller is checked first, whatever plan the query gets.
-- Presence as coord.presence defines it: online while the device was seen (device_heartbeat,
-- action calls) within the presence window, or its newest session's heartbeat is within twice
-- the session ttl (a device heartbeats less steadily than an agent); offline otherwise.
create or replace function api.list_devices(p_presence text default null)
returns table (
  principal_id uuid,
  name text,
  owner_name text,
  scopes text[],
  presence text,
  last_seen_at timestamptz,
  created_at timestamptz,
  disabled_at timestamptz
)
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := authz.require_read('device.list');
  v_now timestamptz := coord.now();
begin
  if p_presence is not null and p_presence not in ('online', 'offline') then
    perform coord.fail('CO434', format('presence %s', pg_catalog.quote_literal(left(p_presence, 100))),
      'device presence is online or offline');
  end if;
  return query
    select * from (
      select d.id, d.name, o.name,
             (select coalesce(array_agg(distinct sc order by sc), '{}')
              from coord.tokens as t, unnest(t.scopes) as sc
              where t.tenant_id = d.tenant_id and t.principal_id = d.id and t.revoked_at is null
                and (t.expires_at is null or t.expires_at > v_now)),
             coord.presence(d.last_seen_at, s.last_heartbeat_at, s.ttl, d.disabled_at),
             greatest(d.last_seen_at, s.last_heartbeat_at), d.created_at, d.disabled_at
      from coord.principals as d
      join coord.principals as o on o.tenant_id = d.tenant_id and o.id = d.owner_id
      left join lateral (
        select x.last_heartbeat_at, x.ttl from coord.sessions as x
        where x.tenant_id = d.tenant_id and x.agent_id = d.id
        order by x.last_heartbeat_at desc nulls last limit 1
      ) as s on true
      where d.tenant_id = v_me.tenant_id and d.kind = 'device'
    ) as a (principal_id, name, owner_name, scopes, presence, last_seen_at, created_at, disabled_at)
    where p_presence is null or a.presence = p_presence
    order by a.name;
end;
$$;

comment on function api.list_devices(text) is
'Devices of your tenant with their owner, the scopes of their live tokens and presence: online while last seen (device_heartbeat, action calls) within 2 minutes or while the newest session''s heartbeat is within twice its ttl, offline otherwise (or revoked); optionally only p_presence. Read-only. Errors: CO434 presence, PT403.';
revoke all on function api.list_devices(text) from public;
grant execute on function api.list_devices(text) to coord_agent, coord_operator, coord_auditor;
