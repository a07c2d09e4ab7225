"""One Python client call is one round trip and one transaction (coordinator/client.py).

api.begin_request and the call are pipelined with one Sync and no BEGIN/COMMIT: PostgreSQL runs
them as one implicit transaction, committed at the Sync and rolled back whole on any error. These
tests read the protocol messages the client sends (libpq's trace), and check what the implicit
transaction must still do: commit refusals with their audit event, write nothing when any part
fails, run stable functions read-only, and keep the connection usable after a failure, including
its prepared statements (tests/test_client_wire.py has the rest of the client's own exchange).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import psycopg
import pytest
from psycopg import pq
from psycopg.pq import TransactionStatus
from psycopg.rows import tuple_row

from coordinator.client import Client
from coordinator.errors import CoordError
from tests.conftest import Database, make_principal


def _traced(client: Client, call: object) -> list[list[str]]:
    """The protocol messages of one call: [direction, length, type, ...] per message."""
    pgconn = client.connection.pgconn
    with tempfile.NamedTemporaryFile("w+") as trace:
        pgconn.trace(trace.fileno())
        pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
        try:
            call()  # type: ignore[operator]
        finally:
            pgconn.untrace()
        return [line.split("\t") for line in Path(trace.name).read_text().splitlines()]


def _sent(messages: list[list[str]]) -> list[str]:
    return [m[2] for m in messages if m[0] == "F" and m[2] in ("Query", "Parse", "Bind", "Execute", "Sync")]


def test_a_call_is_two_statements_one_sync_and_one_transaction(committed_db: Database) -> None:
    """Each statement is parsed (named) on its first use on the connection, and only bound and
    executed afterwards."""
    with committed_db.connect() as admin:
        me = make_principal(admin, "one-trip")
    with Client(committed_db.client_dsn, me.token) as client:
        assert client.signatures  # the catalog is loaded outside the traced calls
        first = _traced(client, lambda: client.acquire_lock("src/one.py"))
        again = _traced(client, lambda: client.acquire_lock("src/two.py"))
    assert _sent(first) == ["Parse", "Bind", "Execute", "Parse", "Bind", "Execute", "Sync"]
    assert _sent(again) == ["Bind", "Execute", "Bind", "Execute", "Sync"]
    parsed = [m[3] for m in first if m[0] == "F" and m[2] == "Parse"]
    assert '"api"."begin_request"' in parsed[0] and '"api"."acquire_lock"' in parsed[1]
    assert not any(word in text.upper() for text in parsed for word in ("BEGIN ", "COMMIT", "ROLLBACK"))
    names = [text.split('"')[1] for text in parsed]
    assert [m[3].split('"')[3] for m in again if m[0] == "F" and m[2] == "Bind"] == names
    # One ReadyForQuery, idle: the server committed both statements at the one Sync.
    for messages in (first, again):
        assert [m[3].strip() for m in messages if m[0] == "B" and m[2] == "ReadyForQuery"] == ["I"]
    with committed_db.connect() as admin:
        assert admin.execute("select path from coord.locks order by path").fetchall() == \
            [("src/one.py",), ("src/two.py",)]


def test_a_refusal_is_committed_with_its_audit_event(committed_db: Database) -> None:
    with committed_db.connect() as admin:
        holder, other = make_principal(admin, "holder"), make_principal(admin, "other")
    with Client(committed_db.client_dsn, holder.token) as a, Client(committed_db.client_dsn, other.token) as b:
        assert a.acquire_lock("src/held.py").code == "granted"
        assert b.acquire_lock("src/held.py").code == "busy"
    with committed_db.connect() as admin:
        assert admin.execute("select decision from audit.events where action = 'lock.acquire' and actor_id = %s",
                             (other.principal_id,)).fetchall() == [("busy",)]


def test_a_failure_after_the_call_wrote_leaves_nothing_and_the_next_call_works(committed_db: Database) -> None:
    """The lock row is inserted, then a trigger fails the statement: the lease and its audit
    event go with it, and the same connection serves the next call."""
    with committed_db.connect() as admin:
        me = make_principal(admin, "mid-call")
        admin.execute("create function public.fail_boom() returns trigger language plpgsql as $$ begin "
                      "if new.path = 'src/boom.py' then raise exception 'injected' using errcode = 'XX001'; end if; "
                      "return new; end $$")
        admin.execute("create trigger fail_boom after insert on coord.locks "
                      "for each row execute function public.fail_boom()")
    with Client(committed_db.client_dsn, me.token) as client:
        with pytest.raises(CoordError) as caught:
            client.acquire_lock("src/boom.py")
        assert caught.value.code == "XX001"
        assert client.connection.info.transaction_status == TransactionStatus.IDLE
        assert client.acquire_lock("src/after.py").code == "granted"
    with committed_db.connect() as admin:
        assert admin.execute("select path from coord.locks").fetchall() == [("src/after.py",)]
        assert admin.execute("select target_id from audit.events where action = 'lock.acquire'").fetchall() == \
            [("src/after.py",)]


def test_a_stable_function_runs_read_only(committed_db: Database) -> None:
    """PostgREST's READ ONLY for stable functions: api.begin_request turns it on. A stable
    function that reaches a writing helper fails (25006) and writes nothing."""
    definer = "security definer set search_path = pg_catalog, pg_temp set coord.principal_cache = ''"
    with committed_db.connect() as admin:
        me = make_principal(admin, "read-only")
        admin.execute(f"create function api.probe_mode() returns text language sql stable {definer} "
                      "as $$ select current_setting('transaction_read_only') $$")
        admin.execute(f"create function api.probe_mode_volatile() returns text language sql volatile {definer} "
                      "as $$ select current_setting('transaction_read_only') $$")
        admin.execute("create table public.probe_writes (n integer)")
        admin.execute("create function public.probe_write() returns integer language sql volatile "
                      "as $$ insert into public.probe_writes values (1) returning n $$")
        admin.execute(f"create function api.probe_stable_write() returns integer language sql stable {definer} "
                      "as $$ select public.probe_write() $$")
        admin.execute("grant execute on function api.probe_mode(), api.probe_mode_volatile(), "
                      "api.probe_stable_write() to coord_agent")
    with Client(committed_db.client_dsn, me.token) as client:
        assert client.call("probe_mode", row_factory=tuple_row) == [("on",)]
        assert client.call("probe_mode_volatile", row_factory=tuple_row) == [("off",)]
        with pytest.raises(CoordError) as caught:
            client.call("probe_stable_write")
        assert caught.value.code == "25006"
        assert client.call("probe_mode_volatile", row_factory=tuple_row) == [("off",)]  # the next one is not
    with committed_db.connect() as admin:
        assert admin.execute("select count(*) from public.probe_writes").fetchone() == (0,)


def test_a_refused_credential_leaves_the_connection_working(committed_db: Database) -> None:
    """A refused token between good calls on one connection: the statements stay prepared and
    the next calls use them."""
    with committed_db.connect() as admin:
        me = make_principal(admin, "prepared")
    with psycopg.connect(committed_db.client_dsn, autocommit=True) as conn:
        good, forged = Client(connection=conn, token=me.token), Client(connection=conn, token="coord_" + "0" * 64)
        for _ in range(5):
            assert good.my_locks() == []
        with pytest.raises(CoordError) as caught:
            forged.my_locks()
        assert caught.value.code == "PT401"
        for _ in range(3):
            assert good.my_locks() == []


def test_errors_the_call_raises_keep_the_prepared_statements(committed_db: Database) -> None:
    """A malformed argument fails the call after its statement was parsed (and prepared): the
    statements stay prepared and the next calls use them."""
    with committed_db.connect() as admin:
        me = make_principal(admin, "kept")
    with psycopg.connect(committed_db.client_dsn, autocommit=True) as conn:
        client = Client(connection=conn, token=me.token)
        for i in range(5):
            assert client.acquire_lock(f"src/p{i}.py").code == "granted"
        with pytest.raises(CoordError) as caught:
            client.acquire_lock("../outside.py")
        assert caught.value.code == "CO204" and caught.value.hint
        assert client.acquire_lock("src/p5.py").code == "granted"
        prepared = [row[0] for row in conn.execute("select statement from pg_prepared_statements")]
        assert any('"api"."begin_request"' in s for s in prepared), prepared
        assert any('"api"."acquire_lock"' in s for s in prepared), prepared
    with committed_db.connect() as admin:
        assert admin.execute("select count(*) from coord.locks where path like '%outside%'").fetchone() == (0,)


def test_the_call_cannot_share_begin_requests_statement(committed_db: Database) -> None:
    """Why the call is a statement of its own: EXECUTE is checked when a statement starts, under
    the login role, which may execute the plumbing but no api function."""
    with committed_db.connect() as admin:
        me = make_principal(admin, "folded")
    headers = f'{{"x-coord-token": "{me.token}"}}'
    with psycopg.connect(committed_db.client_dsn, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="function my_locks"):
            conn.execute("select api.begin_request('my_locks', %s), (select count(*) from api.my_locks())",
                         (headers,))
        with conn.pipeline():
            conn.execute("select api.begin_request('my_locks', %s)", (headers,))
            counted = conn.execute("select count(*) from api.my_locks()")
        assert counted.fetchone() == (0,)


def test_a_database_older_than_begin_request_gets_postgrests_statements(committed_db: Database) -> None:
    """A client upgraded before its server: without api.begin_request in the catalog it sends
    PostgREST's BEGIN, set_config, pre_request, the call and COMMIT, in one round trip too."""
    with committed_db.connect() as admin:
        me = make_principal(admin, "older-server")
        admin.execute("drop function api.begin_request(text, text, boolean)")
    with Client(committed_db.client_dsn, me.token) as client:
        client.my_locks()
        messages = _traced(client, lambda: client.acquire_lock("src/old.py"))
        with pytest.raises(CoordError) as caught:
            client.acquire_lock("../outside.py")
        assert caught.value.code == "CO204"
        assert client.my_locks()[0].path == "src/old.py"
    parsed = [m[3] for m in messages if m[0] == "F" and m[2] == "Parse"]
    assert len(parsed) == 5 and "BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE" in parsed[0]
    assert '"api"."pre_request"' in parsed[2] and '"api"."acquire_lock"' in parsed[3] and "COMMIT" in parsed[4]
    assert [m[2] for m in messages if m[0] == "F"].count("Sync") == 1
