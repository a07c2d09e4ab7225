-- Each new request and each transition is announced on the request's channel (payload: the
-- state), so a waiter LISTENs instead of polling; delivered at commit. Fleet watchers hear the
-- tenant's channel too (pending approvals are part of coord watch).
create or replace function coord.tg_approval_requests__notify()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
  perform pg_catalog.pg_notify(coord.approval_channel(new.tenant_id, new.id), new.state);
  return null;
end;
$$;

comment on function coord.tg_approval_requests__notify() is 'Trigger: NOTIFY coord.approval_channel(tenant, id) with the new state on insert and on each state change.';
revoke all on function coord.tg_approval_requests__notify() from public;

create or replace trigger approval_requests_notify_inserted after insert on coord.approval_requests
  for each row execute function coord.tg_approval_requests__notify();
create or replace trigger approval_requests_notify_updated after update of state on coord.approval_requests
  for each row when (new.state is distinct from old.state) execute function coord.tg_approval_requests__notify();

create or replace trigger approval_requests_fleet_inserted after insert on coord.approval_requests for each row
  when (not pg_catalog.pg_try_advisory_xact_lock_shared(1131376502, pg_catalog.uuid_hash(new.tenant_id)))
  execute function coord.tg_fleet__changed();
create or replace trigger approval_requests_fleet_updated after update on coord.approval_requests for each row
  when (not pg_catalog.pg_try_advisory_xact_lock_shared(1131376502, pg_catalog.uuid_hash(new.tenant_id)))
  execute function coord.tg_fleet__changed();
