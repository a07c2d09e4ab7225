-- Which sanctioned path, if any, a DDL statement on the audit trail comes from. p_context is
-- the PG_CONTEXT the guard (audit.tg_ddl__guard) read at its first statement.
--
-- 'migration': coord migrate announced itself in this transaction (coord.migrating holds the
--   transaction's own id; the runner sets it at the start of every transaction it runs). A
--   setting is no secret: a superuser who sets it by hand runs a migration by hand, with the
--   power of one who drops the event triggers. The guard stops hand-typed DDL and accidents; the
--   chain head kept outside the database catches a superuser set on defeating it.
-- 'retention' (audit.archive_month) or 'partitions' (audit.rehome_default,
--   audit.ensure_partitions, audit.protect_table): one of these functions executed the statement
--   itself. The context must begin, line by line, with the guard's own frame, the statement (on
--   one line: these functions execute one-line statements, so a statement text cannot forge the
--   lines after it) and then the frame of that audit function at its EXECUTE. A function of
--   someone else's executing the same statement, or DDL nested inside a sanctioned call (say an
--   event trigger of someone else's firing during it), puts its own frame there instead. Who
--   called the sanctioned function does not matter: what it executes is its own fixed text, and
--   the functions themselves are under the guard, so only a migration changes them.
create or replace function audit.ddl_path(p_context text)
returns text
language sql
volatile
set search_path = pg_catalog, pg_temp
as $$
  select case
    when pg_catalog.current_setting('coord.migrating', true) = pg_catalog.pg_current_xact_id()::text
      then 'migration'
    else
      case (pg_catalog.regexp_match(p_context,
              '^PL/pgSQL function audit\.tg_ddl__guard\(\) line [0-9]+ at GET DIAGNOSTICS'
              '\nSQL statement "[^\n]*"'
              '\nPL/pgSQL function audit\.(archive_month\(jsonb\)|rehome_default\(\)|ensure_partitions\(integer\)'
              '|protect_table\(regclass\)) line [0-9]+ at EXECUTE(\n|$)'))[1]
        when 'archive_month(jsonb)' then 'retention'
        when 'rehome_default()' then 'partitions'
        when 'ensure_partitions(integer)' then 'partitions'
        when 'protect_table(regclass)' then 'partitions'
      end
  end
$$;

comment on function audit.ddl_path(text) is 'The sanctioned path of a DDL statement on the audit trail: migration (coord migrate announced this transaction), retention (audit.archive_month executed it) or partitions (audit.rehome_default, ensure_partitions or protect_table executed it); null for anything else.';
revoke all on function audit.ddl_path(text) from public;
