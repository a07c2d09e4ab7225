-- Leases and claims taken in a session live at least as long as the session currently does,
-- so the session's heartbeat alone keeps them alive whatever ttl each was asked with; never
-- longer than the agent's max_lock_ttl, though (a session started under a longer limit, or
-- before the limit was lowered, does not lend its life to the leases taken in it).
-- p_profile: the caller's coord.effective_profile when the api function read it already (one
-- read per call); null, it is read here.
create or replace function coord.session_lease_floor(p_me coord.caller, p_profile coord.profiles default null)
returns interval
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_floor interval;
begin
  select coalesce(greatest(max(s.expires_at) - coord.clock_now(), interval '0'), interval '0') into v_floor
  from coord.sessions as s
  where p_me.session_id is not null and s.tenant_id = p_me.tenant_id and s.id = p_me.session_id
    and s.ended_at is null;
  return least(v_floor, (case when p_profile.id is not null then p_profile else coord.effective_profile(p_me) end).max_lock_ttl);
end;
$$;

comment on function coord.session_lease_floor(coord.caller, coord.profiles) is 'How long the caller''s session still lives (0 without a live session), at most the profile''s max_lock_ttl (p_profile: the caller''s effective profile, read here when null): the minimum lifetime of leases and claims taken in it.';
revoke all on function coord.session_lease_floor(coord.caller, coord.profiles) from public;
