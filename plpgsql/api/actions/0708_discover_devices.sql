-- PL/pgSQL so the caller is checked first, whatever plan the query gets.
create or replace function api.discover_devices(p_presence text default null, p_scope text default null)
returns table (
  name text,
  owner_name text,
  scopes text[],
  presence text,
  last_seen_at timestamptz,
  claimable_actions integer
)
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := authz.require_read('device.discover');
  v_now timestamptz := coord.now();
begin
  if p_presence is not null and p_presence not in ('online', 'offline') then
    perform coord.fail('CO478', format('presence %s', pg_catalog.quote_literal(left(p_presence, 100))));
  end if;
  if p_scope is not null and p_scope !~ '^(\*|[a-z_]+:(\*|read|write|claim))$' then
    perform coord.fail('CO222', format('scope %s', pg_catalog.quote_literal(left(p_scope, 100))));
  end if;
  return query
    select * from (
      select d.name, o.name, sc.scopes,
             coord.presence(greatest(d.last_seen_at, s.last_heartbeat_at), s.last_heartbeat_at, s.ttl, d.disabled_at),
             greatest(d.last_seen_at, s.last_heartbeat_at),
             (select count(*)::integer from coord.actions as a
              where a.tenant_id = d.tenant_id and a.target_id = d.id and a.state = 'approved' and a.expires_at > v_now)
      from coord.principals as d
      join coord.principals as o on o.tenant_id = d.tenant_id and o.id = d.owner_id
      cross join lateral (
        select coalesce(array_agg(distinct x order by x), '{}') as scopes
        from coord.tokens as t, unnest(t.scopes) as x
        where t.tenant_id = d.tenant_id and t.principal_id = d.id and t.revoked_at is null
          and (t.expires_at is null or t.expires_at > v_now)
      ) as sc
      left join lateral (
        select x.last_heartbeat_at, x.ttl from coord.sessions as x
        where x.tenant_id = d.tenant_id and x.agent_id = d.id
        order by x.last_heartbeat_at desc nulls last limit 1
      ) as s on true
      where d.tenant_id = v_me.tenant_id and d.kind = 'device' and d.disabled_at is null
    ) as a (name, owner_name, scopes, presence, last_seen_at, claimable_actions)
    where (p_presence is null or a.presence = p_presence)
      and (p_scope is null or a.scopes && array['*', p_scope, split_part(p_scope, ':', 1) || ':*'])
    order by a.name;
end;
$$;

comment on function api.discover_devices(text, text) is
'Devices of your tenant that are not revoked, with their owner, the scopes of their live tokens, presence (online while last seen within 2 minutes, coord.action_settings.presence_window, by device_heartbeat or an action call, or while the newest session''s heartbeat is within twice its ttl; offline otherwise), when they were last seen and how many approved actions wait for them; optionally only p_presence (online or offline) and only devices whose tokens grant p_scope (e.g. actions:claim). Read-only. Errors: CO478 presence, CO222 scope, PT403.';
revoke all on function api.discover_devices(text, text) from public;
grant execute on function api.discover_devices(text, text) to coord_agent, coord_operator, coord_auditor;
