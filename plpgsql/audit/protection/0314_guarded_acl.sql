-- A digest of every privilege on the audit trail (its schema, relations, partitions and
-- functions, and the two api functions guarded_object names). GRANT and REVOKE do not say what
-- they changed (pg_event_trigger_ddl_commands gives no object for them), so the guard compares
-- this digest before and after the statement.
create or replace function audit.guarded_acl()
returns text
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  select pg_catalog.md5(pg_catalog.concat_ws('|',
    (select n.nspacl::text from pg_catalog.pg_namespace as n where n.nspname = 'audit'),
    (select pg_catalog.string_agg(c.oid::text || '=' || coalesce(c.relacl::text, ''), ',' order by c.oid)
     from pg_catalog.pg_class as c
     where c.relnamespace = pg_catalog.to_regnamespace('audit')::oid
        or (c.relispartition and audit.guarded_object('pg_catalog.pg_class'::pg_catalog.regclass, c.oid))),
    (select pg_catalog.string_agg(p.oid::text || '=' || coalesce(p.proacl::text, ''), ',' order by p.oid)
     from pg_catalog.pg_proc as p
     where p.pronamespace in (pg_catalog.to_regnamespace('audit')::oid, pg_catalog.to_regnamespace('api')::oid)
       and audit.guarded_object('pg_catalog.pg_proc'::pg_catalog.regclass, p.oid))))
$$;

comment on function audit.guarded_acl() is 'md5 over the privileges of every object audit.guarded_object protects; the DDL guard compares it around GRANT and REVOKE.';
revoke all on function audit.guarded_acl() from public;
