-- The caller was seen now (device_heartbeat and the target's action calls): presence follows.
create or replace function coord.touch_presence(p_me coord.caller)
returns timestamptz
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_now timestamptz := coord.now();
begin
  update coord.principals as p set last_seen_at = v_now
  where p.tenant_id = p_me.tenant_id and p.id = p_me.principal_id
    and (p.last_seen_at is null or p.last_seen_at < v_now);
  return v_now;
end;
$$;

comment on function coord.touch_presence(coord.caller) is 'Sets the caller''s last_seen_at to now (presence).';
revoke all on function coord.touch_presence(coord.caller) from public;
