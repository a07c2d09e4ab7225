-- A wake-up hint for fleet watchers: once per statement that changed leases, tasks, sessions or
-- alerts, NOTIFY each affected tenant's channel with its id, while a watcher holds or awaits
-- the tenant's watch lock (api.watch_fleet). Statement level with a transition table
-- (`changed`), so a statement that touches many rows sends one notification per tenant, and one
-- that touches none sends nothing. Delivered at commit, duplicates folded.
-- Unwatched, the shared try succeeds and is held to commit: a watcher taking the lock then waits
-- for this transaction, so its next read sees the change that was not announced.
create or replace function coord.tg_fleet__changed()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
  perform pg_catalog.pg_notify(c.channel, c.tenant_id::text)
  from (select d.tenant_id, coord.fleet_channel(d.tenant_id) as channel
        from (select distinct x.tenant_id from changed as x) as d
        offset 0) as c
  where not pg_catalog.pg_try_advisory_xact_lock_shared(pg_catalog.hashtextextended(c.channel, 0));
  return null;
end;
$$;

comment on function coord.tg_fleet__changed() is 'Trigger (statement level, transition table changed): NOTIFY coord.fleet_channel(tenant) with the tenant id for each tenant whose rows the statement changed, while a watcher holds or awaits the tenant''s watch lock (api.watch_fleet).';
revoke all on function coord.tg_fleet__changed() from public;

-- A trigger with a transition table takes one event, so each table has three.
create or replace trigger locks_fleet_inserted after insert on coord.locks
  referencing new table as changed for each statement execute function coord.tg_fleet__changed();
create or replace trigger locks_fleet_updated after update on coord.locks
  referencing new table as changed for each statement execute function coord.tg_fleet__changed();
create or replace trigger locks_fleet_deleted after delete on coord.locks
  referencing old table as changed for each statement execute function coord.tg_fleet__changed();

create or replace trigger tasks_fleet_inserted after insert on coord.tasks
  referencing new table as changed for each statement execute function coord.tg_fleet__changed();
create or replace trigger tasks_fleet_updated after update on coord.tasks
  referencing new table as changed for each statement execute function coord.tg_fleet__changed();
create or replace trigger tasks_fleet_deleted after delete on coord.tasks
  referencing old table as changed for each statement execute function coord.tg_fleet__changed();

create or replace trigger sessions_fleet_inserted after insert on coord.sessions
  referencing new table as changed for each statement execute function coord.tg_fleet__changed();
create or replace trigger sessions_fleet_updated after update on coord.sessions
  referencing new table as changed for each statement execute function coord.tg_fleet__changed();
create or replace trigger sessions_fleet_deleted after delete on coord.sessions
  referencing old table as changed for each statement execute function coord.tg_fleet__changed();

create or replace trigger alerts_fleet_inserted after insert on coord.alerts
  referencing new table as changed for each statement execute function coord.tg_fleet__changed();
create or replace trigger alerts_fleet_updated after update on coord.alerts
  referencing new table as changed for each statement execute function coord.tg_fleet__changed();
create or replace trigger alerts_fleet_deleted after delete on coord.alerts
  referencing old table as changed for each statement execute function coord.tg_fleet__changed();
