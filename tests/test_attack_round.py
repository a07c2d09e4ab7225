"""Attacks on the last merges: the per-tenant event horizon, the webhook SSRF guard, guardrails on
proposed actions, verifications bound to a claim, the caller handed to the gate and the audit, and
claims by kind. Each test states a promise; an xfail(strict=True) test is an open hole described
in its reason, the others hold (regression tests)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import httpx2
import psycopg
import pytest

from coordinator.client import Client
from coordinator.errors import CoordError
from coordinator.webhooks import _target
from tests.conftest import Database, make_principal
from tests.event_streams import client as _client
from tests.event_streams import stream_cast
from tests.event_streams import tenant_name as _tenant

SECRET = "attack-webhook-secret-0123456789"
CLIENT_ROLES = ("coord_agent", "coord_operator", "coord_auditor", "coord_anon", "coord_authenticator",
                "coord_loopback")


# --- the event stream's per-tenant horizon -------------------------------------------------------

def test_a_client_cannot_forge_a_foreign_writer_key(committed_db: Database, db: psycopg.Connection) -> None:
    """coord.event_horizon passes a running transaction that holds another tenant's event-writer key
    (advisory classid 1131376500, objsubid 2) and not this tenant's. A client that could take such a
    key itself, after its xid was assigned, would be passed by its own tenant's readers and then
    write its tenant's event at its own xid, below the horizon already handed out: skipped by
    events_since, follow, SSE and webhooks. No client role executes any advisory lock function
    (bootstrap revokes them from PUBLIC), and the attempt fails."""
    forging = db.execute(
        "select r.rolname, p.oid::regprocedure::text from pg_proc as p cross join pg_roles as r "
        "where p.pronamespace = 'pg_catalog'::regnamespace and p.proname ~ '^pg_(try_)?advisory_' "
        "and r.rolname = any (%s) and has_function_privilege(r.oid, p.oid, 'execute')",
        (list(CLIENT_ROLES),)).fetchall()
    assert forging == []
    with committed_db.connect() as admin:
        mine = _tenant("hz-forge")
        agent = make_principal(admin, tenant=mine).token
        operator = make_principal(admin, tenant=mine, role="operator").token
    hider = _client(committed_db, agent, autocommit=False)
    writer, reader = _client(committed_db, agent), _client(committed_db, operator)
    try:
        hider.connection.execute("select pg_current_xact_id()")  # an xid, older than the writer's
        hider.connection.execute("savepoint forge")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            hider.connection.execute("select pg_advisory_xact_lock_shared(1131376500, 12345)")  # "another tenant"
        hider.connection.execute("rollback to savepoint forge")
        assert writer.acquire_lock("first.py").ok
        # A transaction holding no key of my tenant is passed (even my own tenant's agent's) ...
        first = reader.events_since(0, ["lease.*"])
        assert [r.target_id for r in first] == ["first.py"]
        assert hider.acquire_lock("hidden.py").ok
        hider.connection.commit()
        # ... and its event lands after what was handed out: its id came before its key, so its
        # event is positioned past the horizon.
        assert [r.target_id for r in reader.events_since(first[-1].id, ["lease.*"])] == ["hidden.py"]
        assert [r.target_id for r in reader.events_since(0, ["lease.*"])] == ["first.py", "hidden.py"]
    finally:
        for c in (hider, writer, reader):
            c.connection.close()


def test_a_savepoint_rolled_back_writer_does_not_hide_my_event(committed_db: Database) -> None:
    """Tenant A's key taken inside a savepoint that is rolled back is released while B's reader
    had passed the transaction for it; B's event written afterwards must land past that horizon."""
    with stream_cast(committed_db) as cast:
        other, turned, writer, reader = cast.other, cast.turned, cast.writer, cast.reader
        other.connection.execute("savepoint s")
        assert other.acquire_lock("theirs.py").ok  # tenant A: B's readers pass this transaction
        assert writer.acquire_lock("first.py").ok
        first = reader.events_since(0, ["lease.*"])
        assert [r.target_id for r in first] == ["first.py"]
        other.connection.execute("rollback to savepoint s")
        assert turned.acquire_lock("turned.py").ok  # now tenant B, in the transaction B's reader passed
        other.connection.commit()
        assert [r.target_id for r in reader.events_since(first[-1].id, ["lease.*"])] == ["turned.py"]


def test_a_forged_event_tenant_does_not_keep_the_transactions_own_position(committed_db: Database) -> None:
    """coord.event_tenant says which tenant's key a call took before its transaction had an id
    (that tenant's events keep the id as their position). A client can set any custom parameter:
    set by hand after the savepoint rollback, it must not make the later event take the id the
    reader passed. Every function a client executes resets it on entry."""
    with stream_cast(committed_db) as cast:
        other, turned, writer, reader = cast.other, cast.turned, cast.writer, cast.reader
        other.connection.execute("savepoint s")
        assert other.acquire_lock("theirs.py").ok
        assert writer.acquire_lock("first.py").ok
        first = reader.events_since(0, ["lease.*"])
        assert [r.target_id for r in first] == ["first.py"]
        other.connection.execute("rollback to savepoint s")
        other.connection.execute("select set_config('coord.event_tenant', %s, false)", (str(cast.tenant_id),))
        assert turned.acquire_lock("turned.py").ok
        other.connection.commit()
        assert [r.target_id for r in reader.events_since(first[-1].id, ["lease.*"])] == ["turned.py"]


def test_a_second_tenant_in_one_transaction_still_lands_after_the_horizon(committed_db: Database) -> None:
    """The covered case, with the first tenant's write not rolled back but the reader passing the
    transaction twice (before and after the turn): the turned event comes after both reads."""
    with stream_cast(committed_db) as cast:
        other, turned, writer, reader = cast.other, cast.turned, cast.writer, cast.reader
        assert other.acquire_lock("theirs.py").ok
        assert writer.acquire_lock("first.py").ok
        assert [r.target_id for r in reader.events_since(0, ["lease.*"])] == ["first.py"]
        assert writer.acquire_lock("second.py").ok
        seen = reader.events_since(0, ["lease.*"])
        assert [r.target_id for r in seen] == ["first.py", "second.py"]
        assert turned.acquire_lock("turned.py").ok
        assert turned.acquire_lock("turned-again.py").ok  # the same position as the first of this tenant
        other.connection.commit()
        assert [r.target_id for r in reader.events_since(seen[-1].id, ["lease.*"])] == ["turned.py", "turned-again.py"]


# --- the caller handed down to the gate and the audit ---------------------------------------------

def test_no_client_role_executes_a_function_that_takes_a_caller(db: psycopg.Connection) -> None:
    """authz.gate, authz.decide, audit.record and every other function with a coord.caller argument
    trust the caller they are handed: a client role that could call them would forge identity,
    tenant and trust."""
    callers = db.execute(
        "select p.oid::regprocedure::text from pg_proc as p "
        "where 'coord.caller'::regtype = any (p.proargtypes::oid[])").fetchall()
    names = {c[0] for c in callers}
    assert any(n.startswith("authz.gate(") for n in names) and any(n.startswith("audit.record(") for n in names)
    executable = db.execute(
        "select r.rolname, p.oid::regprocedure::text from pg_proc as p cross join pg_roles as r "
        "where 'coord.caller'::regtype = any (p.proargtypes::oid[]) and r.rolname = any (%s) "
        "and has_function_privilege(r.oid, p.oid, 'execute')", (list(CLIENT_ROLES),)).fetchall()
    assert executable == []
    # The api functions hand down only the caller they verified themselves: coord.principal() or
    # require_principal(), or try_principal() (verified, or null) with principal() when it is null.
    unverified = db.execute(
        "select p.oid::regprocedure::text from pg_proc as p join pg_namespace as n on n.oid = p.pronamespace "
        "where n.nspname = 'api' and p.prosrc ~ 'p_caller => ' "
        "and p.prosrc !~ 'v_me coord.caller := coord.(principal|require_principal)\\(' "
        "and not (p.prosrc ~ 'v_me coord.caller := coord.try_principal\\(\\);' "
        "         and p.prosrc ~ 'if v_me.principal_id is null then\\s+v_me := coord.principal\\(\\);')").fetchall()
    assert unverified == []


# --- webhook targets -------------------------------------------------------------------------------

IPV4_CARRYING = [
    "http://[64:ff9b:1::a9fe:a9fe]/",   # RFC 8215 local-use NAT64: 169.254.169.254
    "http://[64:ff9b:1::7f00:1]/",      # local-use NAT64: 127.0.0.1
    "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",  # Teredo (2001::/32) carries IPv4 server and client
    "http://192.88.99.1/",              # the 6to4 relay anycast
]


@pytest.mark.parametrize("url", IPV4_CARRYING)
def test_ipv6_forms_carrying_ipv4_are_refused(db: psycopg.Connection, url: str) -> None:
    """coord.webhook_refused_networks promises the IPv6 forms that carry an IPv4 address (NAT64 among
    them): the local-use NAT64 prefix and Teredo carry one too."""
    ops = Client(connection=db, token=make_principal(db, tenant=_tenant("ssrf"), role="operator").token)  # type: ignore[arg-type]
    with pytest.raises(CoordError) as caught:
        ops.add_webhook("carried", url, ["alert.raised"], SECRET)
    assert caught.value.code == "CO652"
    refused = db.execute("select coord.webhook_refused_networks()::text[]").fetchone()[0]
    with pytest.raises(PermissionError):
        _target(url, refused)


@pytest.mark.parametrize("url", [
    "http://127.0.0.1\t/", "http://127.0.0.\t1/", "http://10.0.0.1\n.example/", "http://[::1] /",
    "http://0177.0.0.1/", "http://0x7F000001/", "http://127.0.0.1.:80/", "HTTP://LOCALHOST/",
    "http://user:pw@127.0.0.1/", "http://[0:0:0:0:0:ffff:7f00:1]/", "http://[::127.0.0.1]/",
])
def test_odd_spellings_of_a_private_host_are_refused(db: psycopg.Connection, url: str) -> None:
    """What a URL parser strips (tab, newline; Python's urlsplit removes them) or reads as a number
    must not pass add_webhook as a host name: the database refuses it (CO652)."""
    ops = Client(connection=db, token=make_principal(db, tenant=_tenant("ssrf"), role="operator").token)  # type: ignore[arg-type]
    with pytest.raises(CoordError) as caught:
        ops.add_webhook("odd", url, ["alert.raised"], SECRET)
    assert caught.value.code == "CO652"


def test_no_client_role_may_open_private_targets(db: psycopg.Connection) -> None:
    for role in CLIENT_ROLES:
        assert db.execute("select has_column_privilege(%s, 'coord.tenants', 'webhook_private_targets', 'update') "
                          "or has_table_privilege(%s, 'coord.tenants', 'update')", (role, role)).fetchone() == (False,)
    writers = db.execute(
        "select p.oid::regprocedure::text from pg_proc as p join pg_namespace as n on n.oid = p.pronamespace "
        "where n.nspname = 'api' and p.prosrc ~* 'webhook_private_targets\\s*='").fetchall()
    assert writers == []


# --- guardrails on the operations an action declares ---------------------------------------------

def test_a_blocked_operation_anywhere_in_an_actions_list_refuses_it(db: psycopg.Connection) -> None:
    from tests.test_actions import setup
    proposer, _operator, _device = setup(db)
    ops: list[object] = ["ls"] * 99 + [{"kind": "command", "text": "rm -rf /"}]
    refused = proposer.propose_action("shell.run", {"operations": ops}, ["shell:run"], "lamp")
    assert (refused.ok, refused.code) == (False, "blocked")
    with pytest.raises(CoordError) as too_many:
        proposer.propose_action("shell.run", {"operations": ["ls"] * 101}, ["shell:run"], "lamp")
    assert too_many.value.code == "CO477"
    with pytest.raises(CoordError) as not_a_list:
        proposer.propose_action("shell.run", {"operations": "rm -rf /"}, ["shell:run"], "lamp")
    assert not_a_list.value.code == "CO477"
    for odd in ({"kind": "Command", "text": "rm -rf /"}, {"kind": "command", "text": "rm -rf /", "why": "x"},
                {"kind": "command", "text": ["rm -rf /"]}):
        with pytest.raises(CoordError) as caught:
            proposer.propose_action("shell.run", {"operations": [odd]}, ["shell:run"], "lamp")
        assert caught.value.code in ("CO471", "CO477"), odd


# --- verifications name their claim --------------------------------------------------------------

def test_a_verification_never_counts_for_another_claim(db: psycopg.Connection) -> None:
    """Claims come from one sequence, so a claim number never repeats across tasks, redrives or
    retries: a record made under one claim is stale for any other, and without a claim it is CO413."""
    op = Client(connection=db, token=make_principal(db, "op", role="operator").token)
    worker = Client(connection=db, token=make_principal(db, "w").token)
    one = op.submit_task("build", verify=["unit"])
    two = op.submit_task("build", verify=["unit"])
    first = worker.claim_task(["build"])
    second = worker.claim_task(["build"])
    assert {first.task_id, second.task_id} == {one.task_id, two.task_id}
    with pytest.raises(CoordError) as missing:
        worker.record_verification(first.task_id, "unit", "ci", "pass")
    assert missing.value.code == "CO413"
    assert worker.record_verification(first.task_id, "unit", "ci", "pass", claim=second.claim).code == "stale_claim"
    assert worker.complete_task(first.task_id, first.claim).code == "unverified"
    assert worker.fail_task(first.task_id, first.claim, "boom", retryable=False).ok
    assert op.redrive_task(first.task_id).ok
    again = worker.claim_task(["build"])
    assert again.task_id == first.task_id and again.claim not in (first.claim, second.claim)
    assert worker.record_verification(again.task_id, "unit", "ci", "pass", claim=first.claim).code == "stale_claim"
    assert worker.complete_task(again.task_id, again.claim).code == "unverified"


# --- claims by kind ----------------------------------------------------------------------------------

def test_several_kinds_claim_by_priority_then_age(db: psycopg.Connection) -> None:
    op = Client(connection=db, token=make_principal(db, "op", role="operator").token)
    worker = Client(connection=db, token=make_principal(db, "w").token)
    old_b = op.submit_task("b", priority=5).task_id
    a_low = op.submit_task("a", priority=1).task_id
    new_a = op.submit_task("a", priority=5).task_id
    c_high = op.submit_task("c", priority=9).task_id  # a kind not asked for
    order = [worker.claim_task(["a", "b"]).task_id for _ in range(3)]
    assert order == [old_b, new_a, a_low]
    assert worker.claim_task(["a", "b"]).code == "empty"
    assert worker.claim_task(["C"]).code == "empty"  # kinds are exact
    assert worker.claim_task(["c"]).task_id == c_high


@contextmanager
def _held_rows_race(committed_db: Database, prefix: str) -> Iterator[tuple[Client, psycopg.Connection, Client]]:
    """A fresh tenant's submitting operator, a superuser connection to hold task rows (rolled back
    at the end) and a claiming agent."""
    with committed_db.connect() as admin:
        name = _tenant(prefix)
        op = make_principal(admin, tenant=name, role="operator")
        agent = make_principal(admin, tenant=name).token
    submitter = _client(committed_db, op.token)
    holder = psycopg.connect(committed_db.admin_dsn)
    claimer = _client(committed_db, agent)
    try:
        yield submitter, holder, claimer
    finally:
        holder.rollback()
        for c in (submitter, claimer):
            c.connection.close()
        holder.close()


def test_locked_rows_do_not_make_a_several_kind_claim_take_a_worse_task(committed_db: Database) -> None:
    """Several kinds are merged from the first few ready tasks of each: when another transaction holds
    those of one kind (claims not yet committed), the claim must not take a worse task of another kind
    in place of a better one behind the held rows (one kind alone walks past them)."""
    with _held_rows_race(committed_db, "kinds") as (submitter, holder, claimer):
        held = [submitter.submit_task("a", priority=10).task_id for _ in range(5)]
        behind = submitter.submit_task("a", priority=10).task_id
        worse = submitter.submit_task("b", priority=0).task_id
        locked = holder.execute("select id from coord.tasks where id = any (%s) for update", (held,)).fetchall()
        assert len(locked) == 5
        taken = claimer.claim_task(["a", "b"])
        assert taken.task_id != worse
        assert taken.task_id == behind


def test_locked_rows_of_one_kind_are_skipped_not_waited_for(committed_db: Database) -> None:
    """SKIP LOCKED with one kind: rows another transaction holds are passed, the next ready one taken."""
    with _held_rows_race(committed_db, "kinds1") as (submitter, holder, claimer):
        held = [submitter.submit_task("a", priority=10).task_id for _ in range(40)]
        behind = submitter.submit_task("a", priority=10).task_id
        holder.execute("select id from coord.tasks where id = any (%s) for update", (held,)).fetchall()
        assert claimer.claim_task(["a"]).task_id == behind


# --- the MCP HTTP tools/call fast path ----------------------------------------------------------------

@pytest.fixture
def mcp_served(committed_db: Database) -> Iterator[object]:
    from tests.test_mcp_http_fast_path import Served

    with Served(committed_db) as served:
        yield served


def test_the_fast_path_refuses_a_token_revoked_mid_session(committed_db: Database, mcp_served: object) -> None:
    from tests.test_mcp_http_fast_path import Session

    with committed_db.connect() as admin:
        agent = make_principal(admin)
    session = Session(mcp_served, agent)  # type: ignore[arg-type]
    assert session.call("acquire_lock", {"p_path": "src/held.py"})["structuredContent"]["code"] == "granted"
    assert mcp_served.fast.answered == 1  # type: ignore[attr-defined]
    with committed_db.connect() as admin:
        admin.execute("update coord.tokens set revoked_at = now() where id = %s", (agent.token_id,))
    message = {"jsonrpc": "2.0", "id": 77, "method": "tools/call", "params": {"name": "my_locks", "arguments": {}}}
    response = session.post(message)
    assert "src/held.py" not in response.text
    if response.status_code == 200:
        result = response.json()["result"]
        assert result["isError"] and json.loads(result["content"][0]["text"])["code"] == "PT401", result
    else:
        assert response.status_code == 401, response.text


def test_the_fast_path_waits_for_the_handshake_as_the_sdk_does(committed_db: Database, mcp_served: object) -> None:
    """A tools/call after initialize but before notifications/initialized gets what the SDK answers."""
    from tests.test_mcp_http_fast_path import INITIALIZE, VERSION

    with committed_db.connect() as admin:
        agent = make_principal(admin)
    http = httpx2.Client(timeout=60)
    headers = {"authorization": f"Bearer {agent.token}", "content-type": "application/json",
               "accept": "application/json, text/event-stream"}
    url = mcp_served.url  # type: ignore[attr-defined]
    init = http.post(url, json={"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": INITIALIZE},
                     headers=headers)
    headers |= {"mcp-session-id": init.headers["mcp-session-id"], "mcp-protocol-version": VERSION}
    plain = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "my_locks", "arguments": {}}}
    meta = {**plain, "id": 2, "params": {**plain["params"], "_meta": {"progressToken": "p"}}}
    fast = http.post(url, json=plain, headers=headers)
    sdk = http.post(url, json=meta, headers=headers)
    assert fast.status_code == sdk.status_code
    assert {k: v for k, v in fast.json().items() if k != "id"} == {k: v for k, v in sdk.json().items() if k != "id"}


def test_an_oversize_tool_call_is_not_answered(committed_db: Database, mcp_served: object) -> None:
    from tests.test_mcp_http_fast_path import Session

    with committed_db.connect() as admin:
        session = Session(mcp_served, make_principal(admin))  # type: ignore[arg-type]
    big = {"jsonrpc": "2.0", "id": 5, "method": "tools/call",
           "params": {"name": "acquire_lock", "arguments": {"p_path": "a" * (8 * 1024 * 1024)}}}
    response = session.post(big)
    assert response.status_code in (200, 400, 413), response.status_code
    if response.status_code == 200:
        assert response.json()["result"]["isError"]
