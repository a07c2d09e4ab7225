-- A wake-up hint for fleet watchers: each row a statement inserts, updates or deletes in leases,
-- tasks, sessions and alerts (approval requests and actions: their own domains) NOTIFYs its
-- tenant's channel with the tenant id, while a watcher holds or awaits the tenant's watch lock
-- (api.watch_fleet). Delivered at commit, duplicates folded: one notification per tenant and
-- transaction however many rows changed.
-- Unwatched, the triggers cost no call: their WHEN takes the watch lock shared (the key below,
-- (1131376502, uuid_hash(tenant id)), the same in api.watch_fleet) and succeeds, so no event is
-- queued, and the lock is held to commit: a watcher taking it then waits for this transaction,
-- so its next read sees the change that was not announced. (A statement-level trigger with a
-- transition table cost ~90 us per lock pair even when nobody watched: the tuplestore, the
-- PL/pgSQL call and the channel lookup before the try; docs/benchmarks.md.)
create or replace function coord.tg_fleet__changed()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  v_tenant_id uuid := case tg_op when 'DELETE' then old.tenant_id else new.tenant_id end;
begin
  perform pg_catalog.pg_notify(coord.fleet_channel(v_tenant_id), v_tenant_id::text);
  return null;
end;
$$;

comment on function coord.tg_fleet__changed() is 'Trigger (row level, queued only when its WHEN failed to take the tenant''s watch lock shared, i.e. while a watcher holds or awaits it: api.watch_fleet): NOTIFY coord.fleet_channel(tenant) with the tenant id.';
revoke all on function coord.tg_fleet__changed() from public;

-- WHEN cannot tell OLD from NEW by the event, so each table has one trigger per event.
create or replace trigger locks_fleet_inserted after insert on coord.locks for each row
  when (not pg_catalog.pg_try_advisory_xact_lock_shared(1131376502, pg_catalog.uuid_hash(new.tenant_id)))
  execute function coord.tg_fleet__changed();
create or replace trigger locks_fleet_updated after update on coord.locks for each row
  when (not pg_catalog.pg_try_advisory_xact_lock_shared(1131376502, pg_catalog.uuid_hash(new.tenant_id)))
  execute function coord.tg_fleet__changed();
create or replace trigger locks_fleet_deleted after delete on coord.locks for each row
  when (not pg_catalog.pg_try_advisory_xact_lock_shared(1131376502, pg_catalog.uuid_hash(old.tenant_id)))
  execute function coord.tg_fleet__changed();

create or replace trigger tasks_fleet_inserted after insert on coord.tasks for each row
  when (not pg_catalog.pg_try_advisory_xact_lock_shared(1131376502, pg_catalog.uuid_hash(new.tenant_id)))
  execute function coord.tg_fleet__changed();
create or replace trigger tasks_fleet_updated after update on coord.tasks for each row
  when (not pg_catalog.pg_try_advisory_xact_lock_shared(1131376502, pg_catalog.uuid_hash(new.tenant_id)))
  execute function coord.tg_fleet__changed();
create or replace trigger tasks_fleet_deleted after delete on coord.tasks for each row
  when (not pg_catalog.pg_try_advisory_xact_lock_shared(1131376502, pg_catalog.uuid_hash(old.tenant_id)))
  execute function coord.tg_fleet__changed();

create or replace trigger sessions_fleet_inserted after insert on coord.sessions for each row
  when (not pg_catalog.pg_try_advisory_xact_lock_shared(1131376502, pg_catalog.uuid_hash(new.tenant_id)))
  execute function coord.tg_fleet__changed();
create or replace trigger sessions_fleet_updated after update on coord.sessions for each row
  when (not pg_catalog.pg_try_advisory_xact_lock_shared(1131376502, pg_catalog.uuid_hash(new.tenant_id)))
  execute function coord.tg_fleet__changed();
create or replace trigger sessions_fleet_deleted after delete on coord.sessions for each row
  when (not pg_catalog.pg_try_advisory_xact_lock_shared(1131376502, pg_catalog.uuid_hash(old.tenant_id)))
  execute function coord.tg_fleet__changed();

create or replace trigger alerts_fleet_inserted after insert on coord.alerts for each row
  when (not pg_catalog.pg_try_advisory_xact_lock_shared(1131376502, pg_catalog.uuid_hash(new.tenant_id)))
  execute function coord.tg_fleet__changed();
create or replace trigger alerts_fleet_updated after update on coord.alerts for each row
  when (not pg_catalog.pg_try_advisory_xact_lock_shared(1131376502, pg_catalog.uuid_hash(new.tenant_id)))
  execute function coord.tg_fleet__changed();
create or replace trigger alerts_fleet_deleted after delete on coord.alerts for each row
  when (not pg_catalog.pg_try_advisory_xact_lock_shared(1131376502, pg_catalog.uuid_hash(old.tenant_id)))
  execute function coord.tg_fleet__changed();
