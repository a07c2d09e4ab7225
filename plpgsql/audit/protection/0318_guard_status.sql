-- Whether the DDL guard is in place: its three event triggers exist, call audit.tg_ddl__guard
-- on their events and fire ALWAYS, and event triggers are not switched off (event_triggers,
-- PostgreSQL 17+): not for this session (the server's configuration, ALTER SYSTEM) and not as a
-- default of any role or database (ALTER ROLE postgres SET event_triggers = off would leave every
-- later session of that role unguarded). A superuser can do all of these (nothing guards event
-- triggers); api.verify_audit reports them as guard_missing or guard_disabled.
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
  ), switched_off as (
    select coalesce(pg_catalog.jsonb_agg(
             pg_catalog.concat_ws(' ', 'role ' || pg_catalog.quote_ident(r.rolname),
                                  'database ' || pg_catalog.quote_ident(d.datname)) order by r.rolname, d.datname),
             '[]') as settings
    from pg_catalog.pg_db_role_setting as s
    left join pg_catalog.pg_roles as r on r.oid = s.setrole
    left join pg_catalog.pg_database as d on d.oid = s.setdatabase
    where exists (select from pg_catalog.unnest(s.setconfig) as c
                  where pg_catalog.lower(c) ~ '^event_triggers\s*=\s*''?(off|false|no|0|of|f|n)''?$')
  )
  select pg_catalog.jsonb_build_object(
    'ok', bool_and(f.present and f.always)
          and coalesce(pg_catalog.current_setting('event_triggers', true), 'on') = 'on'
          and pg_catalog.jsonb_array_length(o.settings) = 0,
    'missing', coalesce(pg_catalog.jsonb_agg(f.name order by f.name) filter (where not f.present), '[]'),
    'disabled', coalesce(pg_catalog.jsonb_agg(f.name order by f.name) filter (where f.present and not f.always), '[]'),
    'event_triggers', coalesce(pg_catalog.current_setting('event_triggers', true), 'on'),
    'switched_off_for', o.settings)
  from found as f cross join switched_off as o
  group by o.settings
$$;

comment on function audit.guard_status() is 'The DDL guard''s state: ok, missing and disabled event triggers (they must exist and fire ALWAYS), the event_triggers setting of this session, and roles or databases whose defaults switch event triggers off.';
revoke all on function audit.guard_status() from public;
