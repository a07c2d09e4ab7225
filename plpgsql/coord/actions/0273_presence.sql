-- Presence of a device or agent from when it was last seen: online while not disabled and its
-- last device_heartbeat or action call (coord.principals.last_seen_at) is within
-- coord.action_settings.presence_window (2 minutes), or its newest session's heartbeat is
-- within twice that session's ttl; offline otherwise. One definition for list_devices and
-- discover_devices.
create or replace function coord.presence(p_last_seen_at timestamptz, p_session_heartbeat_at timestamptz,
                                          p_session_ttl interval, p_disabled_at timestamptz)
returns text
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  select case when p_disabled_at is null
                   and (coord.now() - p_last_seen_at <= (select s.presence_window from coord.action_settings as s)
                        or coord.now() - p_session_heartbeat_at <= 2 * p_session_ttl)
              then 'online' else 'offline' end;
$$;

comment on function coord.presence(timestamptz, timestamptz, interval, timestamptz) is 'online while not disabled and last seen (device_heartbeat, action calls) within coord.action_settings.presence_window or the newest session''s heartbeat within twice its ttl; offline otherwise.';
revoke all on function coord.presence(timestamptz, timestamptz, interval, timestamptz) from public;
