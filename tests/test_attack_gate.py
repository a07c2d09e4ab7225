"""Attacks on the gate's newest code: the follower memo of the transaction (coord.events_woken),
and the request headers audit.request_context checks with pg_input_is_valid on 16 and later and
with an EXCEPTION block on 15 (api.authenticate parses the same text first). Each test is a
fault found (its fix is in the database) or a rule that held."""

from __future__ import annotations

import json
import uuid

import psycopg
import pytest

from coordinator.client import Client
from tests.conftest import Database, make_principal
from tests.test_events import _payloads_until


def _tenant() -> str:
    return f"gate-{uuid.uuid4().hex[:8]}"


def _client(database: Database, token: str, *, autocommit: bool = True) -> Client:
    return Client(connection=psycopg.connect(database.client_dsn, autocommit=autocommit), token=token)


@pytest.mark.parametrize("answer", ["f", "t"])
def test_a_client_cannot_silence_its_tenants_followers_with_a_memo_of_its_own(committed_db: Database,
                                                                              answer: str) -> None:
    """audit.record skips audit.wake_followers when coord.events_woken starts with the tenant: the
    memo of a transaction that looked already. A client sets any custom parameter: set at session
    level to '<tenant>|f' (or '|t'), every transaction of its connection skipped the lock and the
    NOTIFY, and a registered follower heard none of its commits."""
    tenant = _tenant()
    with committed_db.connect() as admin:
        agent = make_principal(admin, tenant=tenant)
        operator = make_principal(admin, tenant=tenant, role="operator").token
    follower, writer, sentinel = (_client(committed_db, operator), _client(committed_db, agent.token),
                                  _client(committed_db, agent.token))
    with committed_db.connect() as listener:
        channel = listener.execute("select coord.events_channel(%s)", (agent.tenant_id,)).fetchone()[0]
        listener.execute(f'listen "{channel}"')
        try:
            assert follower.follow_events().code == "following"
            writer.connection.execute("select set_config('coord.events_woken', %s, false)",
                                      (f"{agent.tenant_id}|{answer}",))
            assert writer.acquire_lock("silenced.py").ok
            assert sentinel.acquire_lock("sentinel.py").ok
            txids = dict(listener.execute("select target_id, txid::text from audit.events "
                                          "where target_id in ('silenced.py', 'sentinel.py')").fetchall())
            payloads = _payloads_until(listener, txids["sentinel.py"])
            assert txids["silenced.py"] in payloads, payloads
        finally:
            for c in (follower, writer, sentinel):
                c.connection.close()


# Headers that are not a JSON object, each for a different reason. The first ones raise
# invalid_text_representation; a NUL escape raises untranslatable_character and a number past
# numeric's range numeric_value_out_of_range (on 15 a hard error the EXCEPTION block let through,
# on 16 and later a soft one pg_input_is_valid answers false to). Nesting past the stack is
# statement_too_complex everywhere: api.authenticate refuses it (CO225); audit.request_context
# raises it on 15 and 18 alike.
MALFORMED = {
    "not-json": "{not json",
    "lone-surrogate": '{"user-agent": "\\ud800"}',
    "nul-escape": '{"user-agent": "\\u0000"}',
    "numeric-overflow": '{"n": 1e1000000}',
    "numeric-underflow": '{"n": 1e-1000000}',
    "json-null": "null",
    "array": "[1]",
    "deep": '{"a": ' + "[" * 200000 + "]" * 200000 + "}",
}


@pytest.mark.parametrize("name", list(MALFORMED))
def test_malformed_headers_are_co225_on_every_server(committed_db: Database, name: str) -> None:
    """api.begin_request with headers that are not a JSON object: CO225 (registered, with its
    hint) on 15 and 18 alike, never the parser's own SQLSTATE."""
    conn = psycopg.connect(committed_db.client_dsn, autocommit=True)
    try:
        with pytest.raises(psycopg.Error) as caught:
            conn.execute("select api.begin_request('acquire_lock', %s)", (MALFORMED[name],))
        assert caught.value.sqlstate == "CO225", (caught.value.sqlstate, str(caught.value))
    finally:
        conn.close()


@pytest.mark.parametrize("name", list(MALFORMED))
def test_headers_replaced_after_authentication_are_audited_alike_on_every_server(committed_db: Database,
                                                                                  name: str) -> None:
    """A client authenticates (api.begin_request), then replaces request.headers with malformed
    text before its call, in the same transaction. audit.request_context checks that text with
    pg_input_is_valid on 16 and later, with an EXCEPTION block on 15: the call must end the same
    way on both (allowed, its audit event without the client's headers)."""
    with committed_db.connect() as admin:
        agent = make_principal(admin, tenant=_tenant())
    conn = psycopg.connect(committed_db.client_dsn, autocommit=False)
    try:
        conn.execute("select api.begin_request('acquire_lock', %s)",
                     (json.dumps({"x-coord-token": agent.token, "user-agent": "honest"}),))
        conn.execute("select set_config('request.headers', %s, true)", (MALFORMED[name],))
        if name == "deep":  # an error of the parser on 16+ too (not a soft one): the same on 15
            with pytest.raises(psycopg.errors.StatementTooComplex):
                conn.execute("select api.acquire_lock('replaced.py')")
            return
        row = conn.execute("select (r).ok from api.acquire_lock('replaced.py') as r").fetchone()
        assert row == (True,)
        conn.commit()
    finally:
        conn.close()
    with committed_db.connect() as admin:
        request = admin.execute("select request from audit.events where target_id = 'replaced.py'").fetchone()[0]
    assert "user_agent" not in request and request["method"] == "POST"


# Every coord.* setting a function reads, and why a value the client set beforehand (any custom
# setting is the client's to set) does no harm. A new one needs its reason here: coord.events_woken
# was read as the transaction's own memo and let a client silence its tenant's followers.
CLIENT_SETTABLE_READS = {
    "coord.principal_cache": "reset on entry by every function a client may execute (test_principal_cache)",
    "coord.event_tenant": "reset on entry likewise (test_attack_round)",
    "coord.vouch": "a MAC over the claims, this backend and this transaction (coord.try_principal checks it)",
    "coord.decision": "stamped with the statement's start; the gate notes its own before any write",
    "coord.tasks_changed": "only 'no' skips work, and 'no' is believed only without a write lock on tasks",
    "coord.task_floor_lag": "only when a claim tries to move its kind's floor, never whether a move is safe",
    "coord.task_moved": "set by the row trigger every moved task passes, before the statement trigger reads it",
    "coord.sweeping": "read by a trigger on coord.locks, which no client role may write",
    "coord.migrating": "must equal the transaction's id, and guards DDL only a superuser runs",
    "coord.audit_acl": "compared within the DDL guard's own transaction, DDL only a superuser runs",
}


def test_every_setting_read_from_a_client_settable_name_has_its_reason(db: psycopg.Connection) -> None:
    read = {name for (name,) in db.execute(r"""
        select distinct m[1]
        from pg_proc as p join pg_namespace as n on n.oid = p.pronamespace,
             regexp_matches(p.prosrc, $$current_setting\('(coord\.[a-z_]+)'$$, 'g') as m
        where n.nspname in ('api', 'coord', 'audit', 'authz')""").fetchall()}
    assert read == set(CLIENT_SETTABLE_READS), read ^ set(CLIENT_SETTABLE_READS)
