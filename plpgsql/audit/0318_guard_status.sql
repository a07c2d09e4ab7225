-- Whether the DDL guard is in place: its three event triggers exist, call audit.tg_ddl__guard
-- on their events and fire ALWAYS, and event triggers are not switched off for this session
-- (event_triggers, PostgreSQL 17+). A superuser can drop or disable event triggers (nothing
-- guards them); api.verify_audit reports it as guard_missing or guard_disabled.
create or replace function audit.guard_status()
returns jsonb
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  with wanted (name, event) as (
    values ('coord_audit_guard_start', 'ddl_command_start'), ('coord_audit_guard_end', 'ddl_command_end'),
           ('coord_audit_guard_drop', 'sql_drop')
  ), found as (
    select w.name, e.oid is not null and e.evtevent = w.event
                   and e.evtfoid = pg_catalog.to_regprocedure('audit.tg_ddl__guard()') as present,
           e.evtenabled = 'A' as always
    from wanted as w
    left join pg_catalog.pg_event_trigger as e on e.evtname = w.name
  )
  select pg_catalog.jsonb_build_object(
    'ok', bool_and(f.present and f.always) and coalesce(pg_catalog.current_setting('event_triggers', true), 'on') = 'on',
    'missing', coalesce(pg_catalog.jsonb_agg(f.name order by f.name) filter (where not f.present), '[]'),
    'disabled', coalesce(pg_catalog.jsonb_agg(f.name order by f.name) filter (where f.present and not f.always), '[]'),
    'event_triggers', coalesce(pg_catalog.current_setting('event_triggers', true), 'on'))
  from found as f
$$;

comment on function audit.guard_status() is 'The DDL guard''s state: ok, missing and disabled event triggers (they must exist and fire ALWAYS), and the event_triggers setting.';
revoke all on function audit.guard_status() from public;
