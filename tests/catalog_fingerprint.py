"""A database's catalog as comparable rows, for the upgrade tests: an upgraded database must have
exactly the catalog of a fresh install. Everything is named (regprocedure, regclass,
pg_describe_object), never by OID, so two databases compare; bodies are compared by hash."""

from __future__ import annotations

import psycopg

# Every schema but PostgreSQL's own: the product schemas, public, and anything a file left behind.
_SCHEMAS = "select oid from pg_namespace where nspname !~ '^pg_' and nspname <> 'information_schema'"

SECTIONS: dict[str, str] = {
    "schemas": """
        select n.nspname, pg_get_userbyid(n.nspowner), n.nspacl::text
        from pg_namespace n where n.oid in (""" + _SCHEMAS + ")",
    "functions": """
        select p.oid::regprocedure::text, p.prokind, pg_get_userbyid(p.proowner), l.lanname, md5(p.prosrc),
               p.probin, p.provolatile, p.proisstrict, p.prosecdef, p.proleakproof, p.proparallel, p.procost,
               p.prorows, p.proretset, pg_get_function_result(p.oid), pg_get_function_arguments(p.oid),
               p.proconfig::text, p.proacl::text, md5(coalesce(pg_get_expr(p.prosqlbody, 0), ''))
        from pg_proc p join pg_language l on l.oid = p.prolang
        where p.pronamespace in (""" + _SCHEMAS + ")",
    "relations": """
        select c.oid::regclass::text, c.relkind, pg_get_userbyid(c.relowner), c.relacl::text, c.relrowsecurity,
               c.relforcerowsecurity, c.relpersistence, c.reloptions::text, c.relreplident, c.relispartition,
               pg_get_expr(c.relpartbound, c.oid),
               case when c.relkind = 'p' then pg_get_partkeydef(c.oid) end,
               case when c.relkind in ('v', 'm') then pg_get_viewdef(c.oid) end
        from pg_class c where c.relnamespace in (""" + _SCHEMAS + ")",
    "columns": """
        select a.attrelid::regclass::text, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
               pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated, a.attisdropped,
               co.collname, a.attacl::text, a.attstorage, a.attcompression
        from pg_attribute a
        join pg_class c on c.oid = a.attrelid
        left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
        left join pg_collation co on co.oid = a.attcollation and a.attcollation <> 100
        where c.relnamespace in (""" + _SCHEMAS + ") and a.attnum > 0",
    "constraints": """
        select coalesce(con.conrelid::regclass::text, con.contypid::regtype::text), con.conname, con.contype,
               pg_get_constraintdef(con.oid), con.condeferrable, con.condeferred, con.convalidated, con.connoinherit
        from pg_constraint con where con.connamespace in (""" + _SCHEMAS + ")",
    "indexes": """
        select i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid), i.indisvalid, i.indisreplident
        from pg_index i join pg_class c on c.oid = i.indexrelid
        where c.relnamespace in (""" + _SCHEMAS + ")",
    "triggers": """
        select t.tgrelid::regclass::text, t.tgname, pg_get_triggerdef(t.oid), t.tgenabled, t.tgparentid <> 0
        from pg_trigger t join pg_class c on c.oid = t.tgrelid
        where c.relnamespace in (""" + _SCHEMAS + ") and not t.tgisinternal",
    "policies": """
        select pol.polrelid::regclass::text, pol.polname, pol.polcmd, pol.polpermissive,
               array(select case when r = 0 then 'public' else pg_get_userbyid(r) end
                     from unnest(pol.polroles) r order by 1)::text,
               pg_get_expr(pol.polqual, pol.polrelid), pg_get_expr(pol.polwithcheck, pol.polrelid)
        from pg_policy pol join pg_class c on c.oid = pol.polrelid
        where c.relnamespace in (""" + _SCHEMAS + ")",
    "types": """
        select t.oid::regtype::text, t.typtype, pg_get_userbyid(t.typowner), t.typacl::text,
               t.typbasetype::regtype::text, t.typnotnull, t.typdefault,
               array(select e.enumlabel from pg_enum e where e.enumtypid = t.oid order by e.enumsortorder)::text
        from pg_type t where t.typnamespace in (""" + _SCHEMAS + ")",
    "rules": """
        select r.ev_class::regclass::text, r.rulename, md5(pg_get_ruledef(r.oid)), r.ev_enabled
        from pg_rewrite r join pg_class c on c.oid = r.ev_class
        where c.relnamespace in (""" + _SCHEMAS + ") and r.rulename <> '_RETURN'",
    "sequences": """
        select s.seqrelid::regclass::text, s.seqtypid::regtype::text, s.seqstart, s.seqincrement, s.seqmax,
               s.seqmin, s.seqcache, s.seqcycle
        from pg_sequence s join pg_class c on c.oid = s.seqrelid
        where c.relnamespace in (""" + _SCHEMAS + ")",
    "other objects": """
        select 'operator', o.oid::regoperator::text from pg_operator o where o.oprnamespace in (""" + _SCHEMAS + """)
        union all select 'collation', c.collname from pg_collation c where c.collnamespace in (""" + _SCHEMAS + """)
        union all select 'opclass', c.opcname from pg_opclass c where c.opcnamespace in (""" + _SCHEMAS + """)
        union all select 'statistics', s.stxname from pg_statistic_ext s where s.stxnamespace in (""" + _SCHEMAS + """)
        union all select 'extension', e.extname || ' ' || e.extversion from pg_extension e
        union all select 'publication', p.pubname from pg_publication p""",
    "event triggers": """
        select e.evtname, e.evtevent, e.evtfoid::regprocedure::text, e.evtenabled, e.evttags::text,
               pg_get_userbyid(e.evtowner)
        from pg_event_trigger e""",
    "default privileges": """
        select pg_get_userbyid(d.defaclrole), d.defaclnamespace::regnamespace::text, d.defaclobjtype, d.defaclacl::text
        from pg_default_acl d""",
    # Every comment on an object of this database, named the way \\dd names it.
    "comments": """
        select pg_describe_object(d.classoid, d.objoid, d.objsubid), md5(d.description)
        from pg_description d where d.objoid >= 16384""",
    "database": "select datacl::text from pg_database where datname = current_database()",
}


def fingerprint(dsn: str) -> dict[str, list[tuple]]:
    """Every section's rows, sorted."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        return {name: sorted(conn.execute(query).fetchall(), key=repr) for name, query in SECTIONS.items()}


def differences(actual: dict[str, list[tuple]], expected: dict[str, list[tuple]]) -> list[str]:
    """Rows only one side has, by section: an empty list when the catalogs are the same."""
    found = []
    for name in SECTIONS:
        mine, theirs = set(actual[name]), set(expected[name])
        found += [f"{name}: only here: {row}" for row in sorted(mine - theirs, key=repr)]
        found += [f"{name}: missing: {row}" for row in sorted(theirs - mine, key=repr)]
        if not mine ^ theirs and actual[name] != expected[name]:
            found.append(f"{name}: the same rows, repeated differently")
    return found
