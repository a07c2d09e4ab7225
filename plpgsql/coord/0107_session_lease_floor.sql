-- Leases and claims taken in a session live at least as long as the session currently does,
-- so the session's heartbeat alone keeps them alive whatever ttl each was asked with.
create or replace function coord.session_lease_floor(p_me api.principal_info)
returns interval
language sql
volatile
set search_path = pg_catalog, pg_temp
as $$
  select coalesce(greatest(max(s.expires_at) - coord.clock_now(), interval '0'), interval '0')
  from coord.sessions as s
  where p_me.session_id is not null and s.tenant_id = p_me.tenant_id and s.id = p_me.session_id
    and s.ended_at is null;
$$;

comment on function coord.session_lease_floor(api.principal_info) is 'How long the caller''s session still lives (0 without a live session): the minimum lifetime of leases and claims taken in it.';
revoke all on function coord.session_lease_floor(api.principal_info) from public;
