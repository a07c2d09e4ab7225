"""Checks over the live catalog: the shape every object must have."""

from __future__ import annotations

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


def test_every_function_pins_a_safe_search_path(db: psycopg.Connection) -> None:
    # pg_catalog first and pg_temp explicitly last: with search_path = '' PostgreSQL would
    # search pg_temp FIRST for type and relation names (a temp domain named jsonb hijacks it).
    offenders = _rows(db, """select n.nspname || '.' || p.proname, p.prosecdef from pg_proc p
                             join pg_namespace n on n.oid = p.pronamespace
                             where n.nspname = any(%s) and p.prokind = 'f'
                               and not coalesce(p.proconfig @> array['search_path=pg_catalog, pg_temp'], false)""",
                      list(SCHEMAS))
    assert offenders == []
    definers = _rows(db, """select count(*) from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                            where n.nspname = any(%s) and p.prosecdef""", list(SCHEMAS))
    assert definers[0][0] >= 10, "the security definer functions were not found"


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
