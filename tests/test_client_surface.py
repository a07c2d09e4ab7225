"""What a bare client login can do besides calling the api: every volatile catalog function it
may execute has a reviewed reason, and the role-level abilities PostgreSQL grants every login
(ALTER ROLE itself, DROP OWNED, LISTEN/NOTIFY, ...) are each shown to stay inside the caller's
own session or login (docs/security.md, "What a bare login can do").

Large objects are one namespace for the whole database: open to clients, they let any holder of
the shared client DSN read, overwrite and unlink what another tenant's client stored
(lo_from_bytea / lo_get / lo_unlink), so bootstrap.sql revokes them with the rest of the list
below. tests/test_tenant_isolation.py covers pg_stat_activity, backend signals and advisory locks.
"""

from __future__ import annotations

import re

import psycopg
import pytest

from coordinator.client import Client
from tests.conftest import Database, make_principal, requires_18

CLIENT_ROLES = ("coord_authenticator", "coord_anon", "coord_agent", "coord_operator", "coord_auditor")

# Every VOLATILE function of pg_catalog and of installed extensions (the test-only pgTAP schema
# aside) that a client role may execute matches exactly one group; each group says why a client
# may keep it. Anything that reaches another session, another tenant or shared state is revoked
# in migrations/bootstrap.sql instead (large objects, advisory locks, backend signals and
# activity, WAL messages; replication origins, pg_stat resets and file access are superuser-only
# by PostgreSQL's own defaults). Functions taking or returning `internal`, and language and
# access-method handlers, cannot be called from SQL.
VOLATILE_ALLOWLIST = {
    "session-local: randomness, the session's own settings, snapshot, statistics, sleep": re.compile(
        r"(set_config|setseed|random|random_normal|array_sample|array_shuffle|gen_random_uuid|uuidv4|uuidv7"
        r"|pg_sleep|pg_sleep_for|pg_sleep_until|pg_stat_clear_snapshot|pg_stat_force_next_flush"
        r"|pg_export_snapshot|current_query|pg_get_loaded_modules|pg_stat_get_xact_\w+)"),
    "clock: the wall clock": re.compile(r"(clock_timestamp|timeofday)"),
    "caller's privileges: run SQL the caller could run anyway": re.compile(
        r"(query_to_xml|query_to_xml_and_xmlschema|query_to_xmlschema|cursor_to_xml|cursor_to_xmlschema"
        r"|ts_stat|ts_rewrite)"),
    "object privileges: check the caller's rights on the object (clients hold none on ours)": re.compile(
        r"(nextval|setval|currval|lastval|pg_sequence_last_value|pg_get_sequence_data|currtid2"
        r"|brin_summarize_new_values|brin_summarize_range|brin_desummarize_range|gin_clean_pending_list"
        r"|pg_clear_attribute_stats|pg_clear_relation_stats|pg_restore_attribute_stats|pg_restore_relation_stats)"),
    "self-guarded: refuse anyone but superusers, REPLICATION roles, binary upgrade or CREATE EXTENSION": re.compile(
        r"(binary_upgrade_\w+|pg_nextoid|pg_stop_making_pinned_objects|pg_import_system_collations"
        r"|pg_extension_config_dump|pg_create_(logical|physical)_replication_slot"
        r"|pg_copy_(logical|physical)_replication_slot|pg_drop_replication_slot|pg_replication_slot_advance"
        r"|pg_logical_slot_(get|peek)_(binary_)?changes|pg_sync_replication_slots"
        # PostgreSQL 15 only (adminpack 1.0 compatibility, removed in 16): "must be superuser"
        r"|pg_read_file_old|pg_rotate_logfile_old)"),
    "cluster facts: sizes, positions, versions, control data; no tenant's rows (volume at most, "
    "like the shared sequences, docs/security.md)": re.compile(
        r"(pg_control_\w+|pg_current_wal_\w+|pg_last_\w+|pg_is_in_recovery|pg_is_wal_replay_paused"
        r"|pg_get_wal_replay_pause_state|pg_get_wal_resource_managers|pg_get_wal_summarizer_state"
        r"|pg_available_wal_summaries|pg_wal_summary_contents|pg_jit_available|pg_get_wait_events|pg_stat_get_io"
        r"|pg_stat_get_recovery_prefetch|pg_xact_commit_timestamp\w*|pg_xact_status|txid_status"
        r"|pg_get_multixact_members|pg_notification_queue_usage|pg_prepared_xact|pg_database_size"
        r"|pg_tablespace_size|pg_relation_size|pg_table_size|pg_total_relation_size|pg_indexes_size"
        r"|pg_partition_ancestors|pg_partition_tree|pg_collation_actual_version"
        r"|pg_database_collation_actual_version|amvalidate|plpgsql_validator|plpython3_validator)"),
    "argued: a notification only wakes listeners, which re-read the database; task channel names are "
    "random per tenant; the NOTIFY statement cannot be revoked anyway (PostgREST: db-channel-enabled = false)":
        re.compile(r"pg_notify"),
}


def _client_volatile_functions(db: psycopg.Connection) -> list[str]:
    return [r[0] for r in db.execute(
        """select distinct p.oid::regprocedure::text from pg_proc p, unnest(%s::text[]) as r (role)
           where p.provolatile = 'v' and p.prokind = 'f'
             and (p.pronamespace = 'pg_catalog'::regnamespace or p.pronamespace in (
                    select e.extnamespace from pg_extension e where e.extname <> 'pgtap'))
             and not 'internal'::regtype = any (p.proargtypes::oid[] || p.prorettype)
             and p.prorettype not in ('trigger'::regtype, 'event_trigger'::regtype)
             and p.prorettype::regtype::text not like '%%handler'
             and has_function_privilege(r.role, p.oid, 'execute')
           order by 1""", (list(CLIENT_ROLES),)).fetchall()]


def test_every_volatile_catalog_function_a_client_may_call_has_a_reason(db: psycopg.Connection) -> None:
    functions = _client_volatile_functions(db)
    assert len(functions) >= 100, "the catalog query found too little"
    groups: dict[str, list[str]] = {reason: [] for reason in VOLATILE_ALLOWLIST}
    unreviewed, ambiguous = [], []
    for function in functions:
        name = function.split("(")[0].removeprefix("pg_catalog.")
        matched = [reason for reason, pattern in VOLATILE_ALLOWLIST.items() if pattern.fullmatch(name)]
        if not matched:
            unreviewed.append(function)
        elif len(matched) > 1:
            ambiguous.append(function)
        else:
            groups[matched[0]].append(function)
    assert unreviewed == [], "revoke these in bootstrap.sql or argue them in VOLATILE_ALLOWLIST"
    assert ambiguous == []
    assert [reason for reason, members in groups.items() if not members] == [], "stale allowlist group"
    for revoked in ("lo_from_bytea(oid,bytea)", "lo_get(oid)", "lo_unlink(oid)", "pg_advisory_lock(bigint)",
                    "pg_logical_emit_message(boolean,text,text,boolean)", "pg_terminate_backend(integer,bigint)",
                    "pg_blocking_pids(integer)", "pg_stat_reset()", "pg_replication_origin_create(text)",
                    "pg_read_file(text)"):
        assert revoked not in functions, revoked


def test_the_allowlist_sees_a_function_granted_to_a_client(db: psycopg.Connection) -> None:
    """The check is live: a large-object function granted back to a client is reported."""
    db.execute("grant execute on function lo_from_bytea(oid, bytea) to coord_agent")
    assert "lo_from_bytea(oid,bytea)" in _client_volatile_functions(db)


LARGE_OBJECT_PROBES = [
    "select lo_from_bytea(0, 'mine')", "select lo_create(0)", "select lo_creat(-1)",
    "select lo_get(%(oid)s)", "select lo_get(%(oid)s, 0, 4)", "select lo_put(%(oid)s, 0, 'overwritten')",
    "select lo_unlink(%(oid)s)", "select lo_open(%(oid)s, 262144)", "select loread(0, 4)",
    "select lowrite(0, 'x')", "select lo_truncate(0, 0)", "select lo_lseek(0, 0, 0)", "select lo_tell(0)",
    "select lo_close(0)", "select count(*) from pg_largeobject_metadata",
]


def test_large_objects_are_closed_to_clients(committed_db: Database) -> None:
    """Open to clients, a large object one client stored (owned by the shared login) could be
    read, overwritten or unlinked by any other tenant's client by its oid: nothing in RLS covers
    them."""
    with committed_db.connect() as admin:
        tenant_b = make_principal(admin, "bob", tenant="tb")
        oid = admin.execute("select lo_from_bytea(0, 'tenant b''s notes')").fetchone()[0]  # type: ignore[index]
        admin.execute(f"alter large object {int(oid)} owner to coord_authenticator")  # as a client made it
    with psycopg.connect(committed_db.client_dsn, autocommit=True) as client:
        identities = [("bare", None), ("token", tenant_b.token)] + [("role", role) for role in CLIENT_ROLES[1:]]
        for kind, identity in identities:
            for probe in LARGE_OBJECT_PROBES:
                with pytest.raises(psycopg.Error) as caught, client.transaction():
                    if kind == "role":
                        client.execute(f"set local role {identity}")  # test-owned role names
                    elif kind == "token":
                        client.execute("select api.login(%s)", (identity,))
                    client.execute(probe, {"oid": oid})
                assert caught.value.sqlstate == "42501", (kind, identity, probe)
    with committed_db.connect() as admin:
        assert admin.execute("select convert_from(lo_get(%s), 'UTF8')", (oid,)).fetchone() == ("tenant b's notes",)


def test_a_bare_login_cannot_drop_the_grants_it_holds(committed_db: Database) -> None:
    """DROP OWNED BY needs only the privileges of the role, which every role has of itself (and,
    after SET ROLE, of a request role). It revokes only grants the current role made, so the
    grants coord_owner made to the login and the request roles survive (with warnings)."""
    with psycopg.connect(committed_db.client_dsn, autocommit=True) as client:
        client.execute("drop owned by current_user")
        for role in ("coord_anon", "coord_agent", "coord_operator", "coord_auditor"):
            client.execute(f"set role {role}")
            client.execute(f"drop owned by {role}")
            client.execute("reset role")
    with committed_db.connect() as admin:
        assert admin.execute("""select bool_and(has_function_privilege(r, 'api.pre_request()', 'execute')
                                            and has_schema_privilege(r, 'api', 'usage'))
                                from unnest(%s::text[]) r""", (list(CLIENT_ROLES),)).fetchone() == (True,)
        assert admin.execute("select has_function_privilege('coord_agent', 'api.acquire_lock(text,interval,text,"
                             "text,interval)', 'execute')").fetchone() == (True,)


# What a bare login (the gateway, a bound login, or either after SET ROLE to a request role)
# tries beyond the api, and the SQLSTATE PostgreSQL answers. ALTER ROLE of itself and LISTEN /
# NOTIFY are allowed by PostgreSQL and argued in docs/security.md; tests/test_logins.py shows
# that ALTER ROLE reaches only the caller's own login.
REFUSED_TO_A_BARE_LOGIN = [
    ("create schema mine", "42501"),
    ("create temporary table mine (x int)", "42501"),
    ("create table public.mine (x int)", "42501"),
    ("grant coord_operator to coord_anon", "42501"),
    ("comment on role coord_authenticator is 'x'", "42501"),
    ("alter role coord_authenticator rename to mine", "0A000"),
    ("alter role coord_authenticator createrole", "42501"),
    ("alter role coord_authenticator valid until '2000-01-01'", "42501"),
    ("alter role coord_auditor set statement_timeout = '1ms'", "42501"),
    ("create role mine", "42501"),
    ("alter database postgres set statement_timeout = '1ms'", "42501"),
    ("checkpoint", "42501"),
    ("select pg_logical_emit_message(false, 'coord', 'fake event')", "42501"),
    ("select pg_blocking_pids(pg_backend_pid())", "42501"),
    ("select pg_stat_get_backend_io(pg_backend_pid())", "42501"),
    ("select pg_stat_reset()", "42501"),
    ("select pg_create_physical_replication_slot('mine')", "42501"),
    ("copy (select 1) to program 'true'", "42501"),
    ("load 'auto_explain'", "42501"),
]


ONLY_ON_18 = {"select pg_stat_get_backend_io(pg_backend_pid())": "pg_stat_get_backend_io (PostgreSQL 18)"}


@pytest.mark.parametrize(("statement", "sqlstate"), [
    pytest.param(s, code, marks=requires_18(ONLY_ON_18[s])) if s in ONLY_ON_18 else (s, code)
    for s, code in REFUSED_TO_A_BARE_LOGIN], ids=[s for s, _ in REFUSED_TO_A_BARE_LOGIN])
def test_what_a_bare_login_is_refused(statement: str, sqlstate: str, committed_db: Database) -> None:
    with psycopg.connect(committed_db.client_dsn, autocommit=True) as client:
        for role in (None, "coord_agent", "coord_operator"):
            with pytest.raises(psycopg.Error) as caught, client.transaction():
                if role:
                    client.execute(f"set local role {role}")
                client.execute(statement)
            assert caught.value.sqlstate == sqlstate, (role, str(caught.value))


def test_notifications_are_only_wake_ups(committed_db: Database) -> None:
    """Any login may LISTEN and NOTIFY on any channel (PostgreSQL has no privilege for either).
    Tenants' task channels are random names no other session can read, and a listener woken by
    a forged notification finds nothing new in the database."""
    with committed_db.connect() as admin:
        alice = make_principal(admin, "alice", tenant="ta")
    with psycopg.connect(committed_db.client_dsn, autocommit=True) as client:
        client.execute("notify coord_forged, 'task 1 is ready'")
        # Anyone may also wake PostgREST's schema reload: docs/postgrest.md turns its channel off.
        client.execute("select pg_notify('pgrst', 'reload schema')")
        assert client.execute("select pg_listening_channels()").fetchall() == []
    with Client(committed_db.client_dsn, alice.token) as worker:
        assert worker.claim_task(["build"]).code == "empty"
