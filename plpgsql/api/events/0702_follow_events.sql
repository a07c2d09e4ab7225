-- A follower registers the connection this is called on (its backend) and is told the tenant's
-- events channel; audit.record announces the tenant's events there while a follower is
-- registered. Registering takes the tenant's follow lock exclusively (the key audit.record takes shared):
-- it waits for writers that decided not to announce, so the follower's next read sees their
-- events, and writers meanwhile announce.
create or replace function api.follow_events()
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
  v_settled boolean := true;
begin
  v_decision := authz.gate('event.follow', 'tenant', v_me.tenant_id::text);
  if not v_decision.allowed then
    return coord.result(p_refusal => v_decision);
  end if;
  begin
    perform pg_catalog.set_config('lock_timeout', '10s', true);
    perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('coord_events:' || v_me.tenant_id::text, 0));
  exception when lock_not_available then
    v_settled := false;  -- a writer has run for 10 s: its events come with a later read
  end;
  -- Followers whose backends ended are forgotten here. (The backend ids, not pg_stat_activity:
  -- that is for superusers only, and a pid is all this needs.)
  delete from coord.event_followers as f
  where f.tenant_id = v_me.tenant_id
    and not exists (select from pg_catalog.pg_stat_get_backend_idset() as b (backend)
                    where pg_catalog.pg_stat_get_backend_pid(b.backend) = f.pid);
  insert into coord.event_followers as f (tenant_id, pid, registered_at)
  values (v_me.tenant_id, pg_catalog.pg_backend_pid(), coord.now())
  on conflict (tenant_id, pid) do update set registered_at = excluded.registered_at;
  perform audit.record('event.follow', 'following', 'tenant', v_me.tenant_id::text, null, '{}', v_decision);
  return coord.result('following', p_details => jsonb_build_object(
    'channel', coord.events_channel(v_me.tenant_id), 'settled', v_settled));
end;
$$;

comment on function api.follow_events() is
'Register this connection as a follower of your tenant''s event stream until it closes: new events are then announced on details.channel (LISTEN on it first; the payload is a transaction id, no content: read them with events_since). Code following (details.settled false when a writer older than 10 s may finish unannounced: read again later), or denied. Call it on a connection of its own, not a pooled one. Audited as event.follow.';
revoke all on function api.follow_events() from public;
grant execute on function api.follow_events() to coord_agent, coord_operator, coord_auditor;
