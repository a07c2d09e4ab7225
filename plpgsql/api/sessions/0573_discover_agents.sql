create or replace function api.discover_agents(p_capability text default null, p_presence text default null)
returns setof api.agent_presence
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := authz.require_read('agent.discover');
  v_now timestamptz := coord.now();
begin
  if p_presence is not null and p_presence not in ('online', 'idle', 'offline') then
    perform coord.fail('CO434', format('presence %s', pg_catalog.quote_literal(left(p_presence, 100))),
      'presence is online, idle or offline');
  end if;
  return query
    select * from (
      select p.id, p.name, s.id, s.agent_type, s.capabilities, s.status,
             case when s.ended_at is not null or s.expires_at <= v_now then 'offline'
                  when v_now - s.last_heartbeat_at <= s.ttl / 2 then 'online'
                  else 'idle' end,
             s.current_task_id, s.started_at, s.last_heartbeat_at, s.expires_at
      from coord.sessions as s
      join coord.principals as p on p.tenant_id = s.tenant_id and p.id = s.agent_id
      where s.tenant_id = v_me.tenant_id
        and (s.ended_at is null or s.ended_at > v_now - interval '1 hour')
        and (p_capability is null or p_capability = any (s.capabilities))
    ) as a (principal_id, name, session_id, agent_type, capabilities, status, presence, current_task_id,
            started_at, last_heartbeat_at, expires_at)
    where p_presence is null or a.presence = p_presence
    order by a.name, a.started_at desc;
end;
$$;

comment on function api.discover_agents(text, text) is
'Sessions of your tenant (live, and those ended within the last hour), optionally with a capability and a presence: online (heartbeat within half its ttl), idle (older, still within ttl) or offline (ended or expired). Read-only. Errors: CO434 presence, PT403.';
revoke all on function api.discover_agents(text, text) from public;
grant execute on function api.discover_agents(text, text) to coord_agent, coord_operator, coord_auditor;
