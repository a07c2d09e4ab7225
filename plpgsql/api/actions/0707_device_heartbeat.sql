create or replace function api.device_heartbeat()
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
  v_seen timestamptz;
begin
  perform coord.require_read_committed();
  v_decision := authz.gate('presence.heartbeat', 'principal', v_me.name);
  if not v_decision.allowed then
    return coord.result(p_refusal => v_decision);
  end if;
  v_seen := coord.touch_presence(v_me);
  perform audit.record('presence.heartbeat', 'alive', 'principal', v_me.name, null, '{}', v_decision, 'debug');
  return coord.result('alive', format('%s seen at %s', v_me.name, v_seen),
    jsonb_build_object('last_seen_at', v_seen,
                       'online_until', v_seen + (select s.presence_window from coord.action_settings as s)));
end;
$$;

comment on function api.device_heartbeat() is
'Devices and agents (scope presence:write): say you are alive. Sets when you were last seen; you count as online (discover_devices, list_devices) for coord.action_settings.presence_window (2 minutes) after it, so heartbeat every minute or so. Claiming, renewing and reporting actions count as being seen too. Code alive with details.last_seen_at and online_until; denied when the policy refuses (details.rule). Errors: CO213.';
revoke all on function api.device_heartbeat() from public;
grant execute on function api.device_heartbeat() to coord_agent;
