"""coord mcp --http: a tool call whose HTTP client disconnects while it is answered is cancelled
as notifications/cancelled cancels it: its database statement is cancelled (acquire_lock's wait
ends at once, nothing granted), a wait for a notification (wait_for_approval) ends and its
connection closes, no answer is written, and the connection the call used goes back clean. On
the fast path and through the SDK (a call with _meta). Tuning cases; the held-back ones are in
tests/test_mcp_disconnect_heldback.py. Real server, real PostgreSQL, raw sockets, waits on
pg_stat_activity."""

from __future__ import annotations

import contextlib
import json
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import Database
from tests.mcp_disconnect_support import (
    APPROVAL_WAIT,
    BUSY,
    LOCK_WAIT,
    PUBLISH,
    gone,
    hold,
    lock_wait,
    open_call,
    pending_approval,
    waiting,
)
from tests.test_mcp_http_fast_path import Served, Session, _agent


@pytest.fixture
def served(committed_db: Database) -> Iterator[Served]:
    with Served(committed_db) as served:
        yield served


def _clean(db: Database) -> None:
    """Every connection of the server is idle: no statement running, no transaction left open."""
    gone(db, BUSY)
    with db.connect() as conn:
        states = conn.execute("select state from pg_stat_activity where application_name like 'coord-mcp%'"
                              " and datname = current_database()").fetchall()
    assert {state for (state,) in states} <= {"idle"}, states


@pytest.mark.parametrize("through_sdk", [False, True], ids=["fast-path", "sdk"])
def test_a_lock_wait_whose_client_disconnects_stops_in_the_database(committed_db: Database, served: Served,
                                                                    through_sdk: bool) -> None:
    holder, waiter = Session(served, _agent(committed_db)), Session(served, _agent(committed_db))
    fence = hold(holder, "src/gone.py")
    waiter.call("my_locks", {})  # the waiter's coord session exists before its call waits
    coordinator = served.app.coordinator
    on_loop = coordinator.calls_on_loop
    sock = open_call(served, waiter, 5, "acquire_lock", lock_wait("src/gone.py"), through_sdk=through_sdk)
    waiting(committed_db, LOCK_WAIT)
    sock.close()  # the agent is killed: its socket closes
    gone(committed_db, LOCK_WAIT)  # the statement is cancelled while the lease is still held
    _clean(committed_db)
    assert served.fast.disconnected == 1
    assert served.fast.cancelled == (0 if through_sdk else 1)
    if not through_sdk:
        assert coordinator.calls_on_loop == on_loop + 1, "the call waited on the loop's connection"
    # The connection it used is reused cleanly: the next call is made (on the loop, on the fast path).
    assert waiter.call("my_locks", {})["structuredContent"]["rows"] == []  # nothing was granted
    again = waiter.call("acquire_lock", {"p_path": "src/other.py", "p_ttl": "5 minutes"})
    assert again["structuredContent"]["ok"], again
    assert holder.call("release_lock", {"p_path": "src/gone.py", "p_fence": fence})["structuredContent"]["ok"]
    _clean(committed_db)


def test_a_pooled_lock_wait_whose_client_disconnects_gives_its_connection_back(committed_db: Database,
                                                                              served: Served) -> None:
    """The loop's connection is busy with one wait: a second waits on a pooled connection; its
    client goes, it stops, and the pool (2 connections) serves the next calls."""
    holder, first, second = (Session(served, _agent(committed_db)) for _ in range(3))
    hold(holder, "src/pooled.py")
    first.call("my_locks", {})
    second.call("my_locks", {})
    a = open_call(served, first, 7, "acquire_lock", lock_wait("src/pooled.py"))
    waiting(committed_db, LOCK_WAIT, 1)
    pool = served.app.coordinator.connections._pool
    b = open_call(served, second, 7, "acquire_lock", lock_wait("src/pooled.py"))
    waiting(committed_db, LOCK_WAIT, 2)
    b.close()
    waiting(committed_db, LOCK_WAIT, 1)
    a.close()
    gone(committed_db, LOCK_WAIT)
    _clean(committed_db)
    assert served.fast.disconnected == 2
    for _ in range(3):
        assert second.call("my_locks", {})["structuredContent"]["rows"] == []
    assert pool.get_stats().get("requests_errors", 0) == 0


@pytest.mark.parametrize("through_sdk", [False, True], ids=["fast-path", "sdk"])
def test_a_wait_for_approval_whose_client_disconnects_ends(committed_db: Database, served: Served,
                                                           through_sdk: bool) -> None:
    """wait_for_approval with a timeout waits in the server (LISTEN on a connection of its own):
    its client goes, the wait ends, and the connection (with its LISTEN) is closed."""
    agent = Session(served, _agent(committed_db))
    approval = pending_approval(agent)
    sock = open_call(served, agent, 9, "wait_for_approval", {"p_approval_id": approval, "p_timeout": "5 minutes"},
                     through_sdk=through_sdk)
    waiting(committed_db, APPROVAL_WAIT + " and state = 'idle'")
    sock.close()
    gone(committed_db, APPROVAL_WAIT)
    _clean(committed_db)
    assert served.fast.disconnected == 1
    assert agent.call("my_locks", {})["structuredContent"]["rows"] == []


def test_a_call_answered_before_its_client_goes_is_not_cancelled(committed_db: Database, served: Served) -> None:
    agent = Session(served, _agent(committed_db))
    agent.call("my_locks", {})
    sock = open_call(served, agent, 3, "my_locks", {})
    assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")
    sock.close()
    sock = open_call(served, agent, 4, "my_locks", {"_": 1}, through_sdk=True)
    assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")
    sock.close()
    agent.call("my_locks", {})
    assert (served.fast.disconnected, served.fast.cancelled) == (0, 0)


# --- stdio: the client process dies (stdout loses its reader) while a call waits ------------------

@contextlib.contextmanager
def _stdio_client_dies(db: Database, token: str) -> Iterator[subprocess.Popen[bytes]]:
    """A stdio server; the body ends by closing its stdout (the agent died), after which the
    server must still run, and exit once its stdin closes."""
    from tests.test_mcp import _start_stdio

    proc = _start_stdio(db, token)
    try:
        yield proc
        assert proc.poll() is None, "the call was cancelled, not the server ended"
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _send(proc: subprocess.Popen[bytes], message: dict[str, Any]) -> None:
    assert proc.stdin is not None
    proc.stdin.write((json.dumps(message) + "\n").encode())
    proc.stdin.flush()


@pytest.mark.parametrize("through_sdk", [False, True], ids=["fast-path", "sdk"])
def test_a_stdio_lock_wait_whose_client_dies_stops_in_the_database(committed_db: Database,
                                                                  through_sdk: bool) -> None:
    """The agent that reads the server's stdout is gone while acquire_lock waits: the statement
    is cancelled (while the lease is still held), and the server exits once stdin closes."""
    from coordinator.client import Client

    holder, agent = _agent(committed_db), _agent(committed_db)
    with _stdio_client_dies(committed_db, agent.token) as proc, Client(committed_db.client_dsn, holder.token) as client:
        assert client.start_session("test", [], "5 minutes").ok
        assert client.acquire_lock("src/stdio.py", "5 minutes").ok
        params: dict[str, Any] = {"name": "acquire_lock", "arguments": lock_wait("src/stdio.py")}
        if through_sdk:
            params["_meta"] = {"progressToken": "p"}
        _send(proc, {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": params})
        waiting(committed_db, LOCK_WAIT)
        assert proc.stdout is not None
        proc.stdout.close()  # the only reader of the server's stdout: as when the agent dies
        gone(committed_db, LOCK_WAIT)
        assert [lock.path for lock in client.my_locks()] == ["src/stdio.py"]
    _clean(committed_db)
    from tests.test_mcp import _live_locks

    assert len(_live_locks(committed_db, "src/stdio.py")) == 1, "the holder's: the cancelled call granted nothing"


def test_a_stdio_approval_wait_whose_client_dies_ends(committed_db: Database) -> None:
    from tests.test_mcp import _rpc

    agent = _agent(committed_db)
    with _stdio_client_dies(committed_db, agent.token) as proc:
        asked = _rpc(proc, {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
            "name": "check_operation", "arguments": {"p_kind": "command", "p_text": PUBLISH}}})
        assert asked is not None
        approval = asked["result"]["structuredContent"]["approval_id"]
        _send(proc, {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {
            "name": "wait_for_approval", "arguments": {"p_approval_id": approval, "p_timeout": "5 minutes"}}})
        waiting(committed_db, APPROVAL_WAIT + " and state = 'idle'")
        assert proc.stdout is not None
        proc.stdout.close()
        gone(committed_db, APPROVAL_WAIT)
