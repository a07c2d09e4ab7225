-- coord.session_lease_floor takes the caller's profile when the api function read it already
-- (acquire_lock, acquire_locks), so one call reads the profile once; the new signature is
-- created by plpgsql/coord/sessions/0107_session_lease_floor.sql.
drop function if exists coord.session_lease_floor(coord.caller);
