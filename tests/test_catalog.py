"""Checks over the live catalog: the shape every object must have."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg

from coordinator.docs import render_api

SCHEMAS = ("api", "coord", "authz", "audit")
REQUEST_ROLES = ("coord_anon", "coord_agent", "coord_operator", "coord_auditor", "coord_authenticator")


def _rows(db: psycopg.Connection, query: str, *params: object) -> list[tuple]:
    return db.execute(query, params).fetchall()


def test_no_overloaded_function_names(db: psycopg.Connection) -> None:
    assert _rows(db, """select n.nspname, p.proname, count(*) from pg_proc p
                        join pg_namespace n on n.oid = p.pronamespace
                        where n.nspname = any(%s) group by 1, 2 having count(*) > 1""", list(SCHEMAS)) == []


# An SQL-standard body (LANGUAGE sql ... RETURN expr / BEGIN ATOMIC) is parsed when it is created:
# every function, operator, type and table in it is bound by OID then, so the caller's
# search_path reaches nothing in it, and SQL has no dynamic SQL (EXECUTE is PL/pgSQL's). Such a
# function may go without the SET clause, which is what lets the planner inline it
# (plpgsql/README.md, "Inlined helpers"), as long as it is not SECURITY DEFINER (that blocks
# inlining too, and would run the body with the owner's rights), no name in it is looked up from
# text at run time (a cast of text to regclass or regproc, to_regclass(), ...: any value of a reg*
# type that is not a constant), and what it was bound to at creation lives in pg_catalog or our
# own schemas (no object of public or pg_temp was picked up).
REG_TYPES = ("regclass", "regproc", "regprocedure", "regoper", "regoperator", "regtype", "regconfig",
             "regdictionary", "regnamespace", "regrole", "regcollation")


def _bound_body_functions(db: psycopg.Connection) -> list[tuple[str, str]]:
    """(name, parse tree text) of our functions that rely on an SQL-standard body instead of a SET clause."""
    return _rows(db, """select p.oid::regprocedure::text, p.prosqlbody::text from pg_proc p
                        join pg_namespace n on n.oid = p.pronamespace
                        where n.nspname = any(%s) and p.prokind = 'f' and p.prosqlbody is not null
                          and not coalesce(p.proconfig @> array['search_path=pg_catalog, pg_temp'], false)""",
                 list(SCHEMAS))


def test_every_function_pins_a_safe_search_path(db: psycopg.Connection) -> None:
    # pg_catalog first and pg_temp explicitly last: with search_path = '' PostgreSQL would
    # search pg_temp FIRST for type and relation names (a temp domain named jsonb hijacks it).
    offenders = _rows(db, """select n.nspname || '.' || p.proname, p.prosecdef from pg_proc p
                             join pg_namespace n on n.oid = p.pronamespace
                             where n.nspname = any(%s) and p.prokind = 'f'
                               and not coalesce(p.proconfig @> array['search_path=pg_catalog, pg_temp'], false)
                               and not (p.prosqlbody is not null and not p.prosecdef)""",
                      list(SCHEMAS))
    assert offenders == []
    definers = _rows(db, """select count(*) from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                            where n.nspname = any(%s) and p.prosecdef""", list(SCHEMAS))
    assert definers[0][0] >= 10, "the security definer functions were not found"


def test_functions_without_a_search_path_resolve_no_name_at_run_time(db: psycopg.Connection) -> None:
    bound = _bound_body_functions(db)
    assert len(bound) >= 5, "the inlined helpers were not found"
    reg_types = {str(oid) for (oid,) in _rows(db, "select oid from pg_type where typname = any(%s)", list(REG_TYPES))}
    # functions that make a reg* value (to_regclass, regclassin, text::regclass, ...)
    lookups = {str(oid) for (oid,) in _rows(db, "select oid from pg_proc where prorettype = any(%s::regtype[])",
                                            list(REG_TYPES))}
    found = {}
    for name, tree in bound:
        called = set(re.findall(r":(?:funcid|opfuncid) (\d+)", tree))
        typed = set(re.findall(r":(?:funcresulttype|resulttype|opresulttype) (\d+)", tree))
        if called & lookups or typed & reg_types:
            found[name] = sorted(called & lookups) + sorted(typed & reg_types)
    assert found == {}
    # what the bodies were bound to (built-ins are pinned and not recorded): our schemas only
    foreign = _rows(db, """select p.oid::regprocedure::text, pg_describe_object(d.refclassid, d.refobjid, d.refobjsubid)
                           from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                           join pg_depend d on d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'n'
                           where n.nspname = any(%s) and p.prosqlbody is not null
                             and d.refclassid = any(array['pg_proc', 'pg_operator', 'pg_type', 'pg_class']::regclass[])
                             and coalesce((pg_identify_object(d.refclassid, d.refobjid, 0)).schema, '') <> all(%s)""",
                    list(SCHEMAS), [*SCHEMAS, "pg_catalog"])
    assert foreign == []


def test_functions_without_a_search_path_are_closed_to_clients(db: psycopg.Connection) -> None:
    # Without SET clauses they also skip the per-call wipes (tests/test_principal_cache.py):
    # only the owner roles may execute them, never PUBLIC (a null ACL is PUBLIC's default grant).
    names = [name for name, _ in _bound_body_functions(db)]
    opened = _rows(db, """select p.oid::regprocedure::text, r.rolname from pg_proc p, unnest(%s::text[]) as r(rolname)
                          where p.oid = any(%s::regprocedure[]) and has_function_privilege(r.rolname, p.oid, 'execute')
                          union all
                          select p.oid::regprocedure::text, 'PUBLIC' from pg_proc p
                          where p.oid = any(%s::regprocedure[])
                            and (p.proacl is null
                                 or exists (select from aclexplode(p.proacl) as a where a.grantee = 0))""",
                   list(REQUEST_ROLES), names, names)
    assert opened == []


def test_every_api_function_and_table_is_documented(db: psycopg.Connection) -> None:
    assert _rows(db, """select p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                        where n.nspname = 'api' and coalesce(obj_description(p.oid, 'pg_proc'), '') = ''""") == []
    assert _rows(db, """select c.oid::regclass from pg_class c join pg_namespace n on n.oid = c.relnamespace
                        where n.nspname = any(%s) and c.relkind in ('r', 'p') and not c.relispartition
                          and coalesce(obj_description(c.oid, 'pg_class'), '') = ''""", list(SCHEMAS)) == []


def test_the_api_doc_is_generated_from_the_catalog(db: psycopg.Connection) -> None:
    committed = (Path(__file__).parent.parent / "docs" / "api.md").read_text()
    assert committed == render_api(db), "docs/api.md is stale: run coord docs"


def test_every_table_has_row_level_security_forced(db: psycopg.Connection) -> None:
    tables = _rows(db, """select c.oid::regclass::text, c.relrowsecurity, c.relforcerowsecurity
                          from pg_class c join pg_namespace n on n.oid = c.relnamespace
                          where n.nspname = any(%s) and c.relkind in ('r', 'p')""", list(SCHEMAS))
    assert len(tables) >= 8
    assert [t for t in tables if not (t[1] and t[2])] == []


def test_objects_are_owned_by_the_owner_roles(db: psycopg.Connection) -> None:
    owners = _rows(db, """select distinct pg_get_userbyid(c.relowner) from pg_class c
                          join pg_namespace n on n.oid = c.relnamespace where n.nspname = any(%s)
                          union select distinct pg_get_userbyid(p.proowner) from pg_proc p
                          join pg_namespace n on n.oid = p.pronamespace where n.nspname = any(%s)""",
                   list(SCHEMAS), list(SCHEMAS))
    assert {o[0] for o in owners} <= {"coord_owner", "coord_auth"}


def test_no_function_is_executable_by_public(db: psycopg.Connection) -> None:
    assert _rows(db, """select p.oid::regprocedure from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                        where n.nspname = any(%s) and (p.proacl is null or exists (
                          select from aclexplode(p.proacl) a where a.grantee = 0))""", list(SCHEMAS)) == []


def test_request_roles_reach_only_the_api(db: psycopg.Connection) -> None:
    for role in REQUEST_ROLES:
        for schema in ("coord", "authz", "audit"):
            assert _rows(db, "select has_schema_privilege(%s, %s, 'usage')", role, schema) == [(False,)], (role, schema)
        assert _rows(db, """select c.oid::regclass from pg_class c join pg_namespace n on n.oid = c.relnamespace
                            where n.nspname = any(%s) and c.relkind in ('r', 'p', 'v')
                              and has_table_privilege(%s, c.oid, 'select, insert, update, delete, truncate')""",
                     list(SCHEMAS), role) == []


def test_every_api_function_is_granted_to_some_request_role(db: psycopg.Connection) -> None:
    assert _rows(db, """select p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                        where n.nspname = 'api' and not exists (
                          select from unnest(%s::text[]) r where has_function_privilege(r, p.oid, 'execute'))""",
                 list(REQUEST_ROLES)) == []


def test_roles_are_as_designed(db: psycopg.Connection) -> None:
    roles = dict((r[0], r[1:]) for r in _rows(db, """select rolname, rolcanlogin, rolinherit, rolbypassrls, rolsuper
                                                      from pg_roles where rolname like 'coord\\_%%'"""))
    assert roles["coord_owner"] == (False, False, False, False)
    assert roles["coord_auth"] == (False, False, True, False)
    assert roles["coord_authenticator"] == (True, False, False, False)
    for role in ("coord_anon", "coord_agent", "coord_operator", "coord_auditor"):
        assert roles[role] == (False, False, False, False)
