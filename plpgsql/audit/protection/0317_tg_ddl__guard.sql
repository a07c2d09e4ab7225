-- The audit trail's DDL guard, fired by the event triggers coord_audit_guard_start
-- (ddl_command_start), coord_audit_guard_end (ddl_command_end) and coord_audit_guard_drop
-- (sql_drop), all ENABLE ALWAYS and owned by a superuser (migration 0015). Refuses (CO602), to
-- everyone, superusers included, any DDL on what audit.guarded_object protects: ALTER (DETACH,
-- ATTACH, RENAME, SET SCHEMA, DISABLE TRIGGER, NO FORCE ROW LEVEL SECURITY, OWNER ...), DROP,
-- CREATE TRIGGER / RULE / POLICY / INDEX on it, CREATE TABLE ... PARTITION OF it, CREATE OR
-- REPLACE of its functions, COMMENT, SECURITY LABEL, GRANT and REVOKE, unless audit.ddl_path
-- names a sanctioned path (retention, partition upkeep, coord migrate). Raising aborts the
-- statement's transaction, so the change never happens.
--
-- Cascading drops of schemas, functions, owned objects, languages and extensions are refused at
-- ddl_command_start: one of them could remove this function and the event triggers with it.
--
-- What it cannot do: event triggers do not fire for event-trigger DDL, so a superuser can drop
-- or disable these three (api.verify_audit reports it: audit.guard_status), or turn them off for
-- a session (SET event_triggers = off, PostgreSQL 17+), edit the catalogs directly, or announce
-- a migration by hand (audit.ddl_path). The guard stops the hand-typed DETACH and every accident;
-- what catches a superuser set on tampering is the chain head kept outside the database.
--
-- Self-contained on purpose: it calls only pg_catalog and schema audit, which it guards.
-- SECURITY DEFINER (as coord_owner): it fires for the DDL of every role, temporary objects of
-- clients included, and must reach schema audit to judge it; it runs no dynamic SQL, and the
-- statement text it reads is only matched and resolved, never executed.
create or replace function audit.tg_ddl__guard()
returns event_trigger
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_context text;
  v_refused text;
  v_target regclass;
begin
  get diagnostics v_context = pg_context;
  begin
    if audit.ddl_path(v_context) is not null then
      return;
    end if;
    if tg_event = 'ddl_command_start' then
      if tg_tag in ('GRANT', 'REVOKE') then
        perform pg_catalog.set_config('coord.audit_acl', audit.guarded_acl(), true);
      elsif tg_tag in ('DROP SCHEMA', 'DROP FUNCTION', 'DROP PROCEDURE', 'DROP ROUTINE', 'DROP OWNED',
                       'DROP LANGUAGE', 'DROP EXTENSION')
            and (pg_catalog.current_query() ~* '\mcascade\M' or v_context ~* '\mcascade\M') then
        -- A cascade can take this function, and with it the event triggers, away (its schema,
        -- owner or language going); sql_drop would then never fire. Without CASCADE such a drop
        -- fails on the event triggers' dependency instead.
        v_refused := tg_tag || ' ... CASCADE, which could drop the guard itself';
      elsif tg_tag = 'ALTER TABLE'
            and pg_catalog.current_query() ~* '\mdetach\M.*\m(concurrently|finalize)\M' then
        v_target := audit.detach_target(pg_catalog.current_query());
        if v_target is null or audit.guarded_object('pg_catalog.pg_class'::pg_catalog.regclass, v_target) then
          v_refused := pg_catalog.format('ALTER TABLE %s DETACH PARTITION CONCURRENTLY/FINALIZE',
                                         coalesce(v_target::text, '(a table this guard cannot read)'));
        end if;
      end if;
    elsif tg_event = 'ddl_command_end' then
      if tg_tag in ('GRANT', 'REVOKE') then
        if audit.guarded_acl() is distinct from pg_catalog.current_setting('coord.audit_acl', true) then
          v_refused := tg_tag || ' on the audit trail';
        end if;
      else
        select c.command_tag || ' ' || coalesce(c.object_identity, c.object_type)
        into v_refused
        from pg_catalog.pg_event_trigger_ddl_commands() as c
        where c.objid is not null and c.command_tag <> 'REINDEX'  -- rebuilds, changes nothing
          and audit.guarded_object(c.classid, c.objid)
        limit 1;
      end if;
    elsif tg_event = 'sql_drop' then
      -- The objects are gone from the catalogs by now: judge them by name. Every audit relation
      -- lives in schema audit (moving one out is refused above).
      select 'DROP ' || o.object_type || ' ' || o.object_identity
      into v_refused
      from pg_catalog.pg_event_trigger_dropped_objects() as o
      where o.schema_name = 'audit'
         or o.address_names[1] = 'audit'
         or (o.object_type = 'schema' and o.object_name = 'audit')
         or (o.object_type = 'function' and o.address_names[1] = 'api'
             and o.address_names[2] in ('verify_audit', 'audit_head'))
      limit 1;
    end if;
  exception when others then
    -- Whatever keeps the guard from judging (schema audit renamed or dropped under it) refuses.
    v_refused := pg_catalog.format('%s, which the guard could not judge (%s)', tg_tag, sqlerrm);
  end;

  if v_refused is not null then
    raise exception using
      errcode = 'CO602',
      message = 'DDL on the audit trail is refused outside retention and migrations',
      detail = pg_catalog.format('%s (session user %s)', v_refused, session_user),
      hint = 'audit data leaves only through coord audit archive; schema changes come as coord migrate';
  end if;
end;
$$;

comment on function audit.tg_ddl__guard() is 'Event trigger function of coord_audit_guard_start/_end/_drop: refuses DDL on the audit trail (audit.guarded_object) with CO602 unless audit.ddl_path names retention, partition upkeep or coord migrate.';
revoke all on function audit.tg_ddl__guard() from public;
