-- Whether an object (as pg_event_trigger_ddl_commands names it: catalog and oid) belongs to the
-- audit trail, so that DDL on it is refused outside retention and migrations: anything in schema
-- audit and the schema itself; a relation that is a partition of an audit table wherever it
-- lives (moving one out of the schema is refused, creating or attaching one elsewhere too); the
-- triggers, rules, policies, constraints, defaults and statistics of those relations; and the two
-- api functions that report the verdict on the trail (api.verify_audit, api.audit_head).
create or replace function audit.guarded_object(p_classid oid, p_objid oid)
returns boolean
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  with audit_schema as (
    select pg_catalog.to_regnamespace('audit')::oid as nsp
  ), relation as (
    select case p_classid
      when 'pg_catalog.pg_class'::pg_catalog.regclass then p_objid
      when 'pg_catalog.pg_trigger'::pg_catalog.regclass then
        (select t.tgrelid from pg_catalog.pg_trigger as t where t.oid = p_objid)
      when 'pg_catalog.pg_rewrite'::pg_catalog.regclass then
        (select r.ev_class from pg_catalog.pg_rewrite as r where r.oid = p_objid)
      when 'pg_catalog.pg_policy'::pg_catalog.regclass then
        (select p.polrelid from pg_catalog.pg_policy as p where p.oid = p_objid)
      when 'pg_catalog.pg_constraint'::pg_catalog.regclass then
        (select nullif(c.conrelid, 0) from pg_catalog.pg_constraint as c where c.oid = p_objid)
      when 'pg_catalog.pg_attrdef'::pg_catalog.regclass then
        (select d.adrelid from pg_catalog.pg_attrdef as d where d.oid = p_objid)
      when 'pg_catalog.pg_statistic_ext'::pg_catalog.regclass then
        (select s.stxrelid from pg_catalog.pg_statistic_ext as s where s.oid = p_objid)
    end as relid
  )
  select coalesce(
    (select exists (select from pg_catalog.pg_class as c
                    where c.oid = r.relid and c.relnamespace = a.nsp)
            or exists (select from pg_catalog.pg_partition_ancestors(r.relid) as up (relid)
                       join pg_catalog.pg_class as c on c.oid = up.relid
                       where c.relnamespace = a.nsp)
     from relation as r, audit_schema as a
     where r.relid is not null),
    case p_classid
      when 'pg_catalog.pg_proc'::pg_catalog.regclass then
        exists (select from pg_catalog.pg_proc as p, audit_schema as a
                where p.oid = p_objid
                  and (p.pronamespace = a.nsp
                       or (p.pronamespace = pg_catalog.to_regnamespace('api')::oid
                           and p.proname in ('verify_audit', 'audit_head'))))
      when 'pg_catalog.pg_type'::pg_catalog.regclass then
        exists (select from pg_catalog.pg_type as t, audit_schema as a where t.oid = p_objid and t.typnamespace = a.nsp)
      when 'pg_catalog.pg_namespace'::pg_catalog.regclass then
        exists (select from audit_schema as a where a.nsp = p_objid)
      else false
    end)
$$;

comment on function audit.guarded_object(oid, oid) is 'Whether DDL on this object (catalog, oid) touches the audit trail: schema audit and everything in it, partitions of audit tables wherever they live, objects on those relations, api.verify_audit and api.audit_head.';
revoke all on function audit.guarded_object(oid, oid) from public;
