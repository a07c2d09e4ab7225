"""HELD-BACK cases for a tool call whose HTTP client disconnects (coord mcp --http): written
before the implementation, from the list of disconnect timings and paths, and not looked at
again while implementing (tests/test_mcp_disconnect.py holds the tuning cases). Real server, real
PostgreSQL, raw sockets; every wait is on pg_stat_activity."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import Database
from tests.mcp_disconnect_support import (
    APPROVAL_WAIT,
    BUSY,
    LOCK_WAIT,
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


def _sessions(db: Database, served: Served, n: int = 2) -> list[Session]:
    sessions = [Session(served, _agent(db)) for _ in range(n)]
    for s in sessions:
        s.call("my_locks", {})  # coord session started, tools loaded, loop connection open
    return sessions


@pytest.mark.parametrize("through_sdk", [False, True], ids=["fast-path", "sdk"])
def test_heldback_lock_wait_cancelled_then_lock_still_free_for_others(committed_db: Database, served: Served,
                                                                     through_sdk: bool) -> None:
    holder, waiter, third = _sessions(committed_db, served, 3)
    fence = hold(holder, "src/hb1.py")
    sock = open_call(served, waiter, 11, "acquire_lock", lock_wait("src/hb1.py"), through_sdk=through_sdk)
    waiting(committed_db, LOCK_WAIT)
    sock.close()
    gone(committed_db, LOCK_WAIT)
    assert holder.call("release_lock", {"p_path": "src/hb1.py", "p_fence": fence})["structuredContent"]["ok"]
    # The disconnected waiter was not granted the lease: a third agent gets it.
    assert third.call("acquire_lock", {"p_path": "src/hb1.py", "p_ttl": "5 minutes"})["structuredContent"]["ok"]
    assert waiter.call("my_locks", {})["structuredContent"]["rows"] == []


def test_heldback_pooled_call_cancelled_when_loop_connection_busy(committed_db: Database, served: Served) -> None:
    holder, first, second = _sessions(committed_db, served, 3)
    hold(holder, "src/hb2.py")
    a = open_call(served, first, 21, "acquire_lock", lock_wait("src/hb2.py"))
    waiting(committed_db, LOCK_WAIT, 1)  # on the loop's connection
    b = open_call(served, second, 22, "acquire_lock", lock_wait("src/hb2.py"))
    waiting(committed_db, LOCK_WAIT, 2)  # on a pooled one
    b.close()
    waiting(committed_db, LOCK_WAIT, 1)  # only the pooled one stopped
    a.close()
    gone(committed_db, LOCK_WAIT)
    gone(committed_db, BUSY)
    for _ in range(3):  # the pool (2) is not exhausted and its connections are clean
        assert second.call("my_locks", {})["structuredContent"]["rows"] == []


@pytest.mark.parametrize("through_sdk", [False, True], ids=["fast-path", "sdk"])
def test_heldback_approval_wait_connection_closed_on_disconnect(committed_db: Database, served: Served,
                                                                through_sdk: bool) -> None:
    (agent,) = _sessions(committed_db, served, 1)
    approval = pending_approval(agent)
    sock = open_call(served, agent, 31, "wait_for_approval", {"p_approval_id": approval, "p_timeout": "5 minutes"},
                     through_sdk=through_sdk)
    waiting(committed_db, APPROVAL_WAIT + " and state = 'idle'")
    sock.close()
    gone(committed_db, APPROVAL_WAIT)
    assert agent.call("get_approval", {"p_approval_id": approval})["structuredContent"]


def test_heldback_answered_call_then_close_counts_nothing(committed_db: Database, served: Served) -> None:
    (agent,) = _sessions(committed_db, served, 1)
    before = (served.fast.cancelled, served.fast.disconnected)
    sock = open_call(served, agent, 41, "my_locks", {})
    data = sock.recv(65536)
    assert data.startswith(b"HTTP/1.1 200 "), data
    sock.close()
    assert agent.call("my_locks", {})["structuredContent"]["rows"] == []
    assert (served.fast.cancelled, served.fast.disconnected) == before


def test_heldback_keep_alive_then_idle_close_counts_nothing(committed_db: Database, served: Served) -> None:
    (agent,) = _sessions(committed_db, served, 1)
    sock = open_call(served, agent, 51, "my_locks", {})
    assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")
    sock.close()
    sock = open_call(served, agent, 52, "my_locks", {})
    assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")
    sock.close()
    assert served.fast.disconnected == 0


def test_heldback_one_session_disconnect_leaves_another_waiting(committed_db: Database, served: Served) -> None:
    holder, a, b = _sessions(committed_db, served, 3)
    fence = hold(holder, "src/hb6.py")
    sa = open_call(served, a, 61, "acquire_lock", lock_wait("src/hb6.py"))
    sb = open_call(served, b, 61, "acquire_lock", lock_wait("src/hb6.py"))  # the same JSON-RPC id
    waiting(committed_db, LOCK_WAIT, 2)
    sa.close()
    waiting(committed_db, LOCK_WAIT, 1)
    assert holder.call("release_lock", {"p_path": "src/hb6.py", "p_fence": fence})["structuredContent"]["ok"]
    answer = b""
    while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
        chunk = sb.recv(65536)
        if not chunk:
            break
        answer += chunk
    sb.close()
    assert b'"granted"' in answer, answer
    assert [r["path"] for r in b.call("my_locks", {})["structuredContent"]["rows"]] == ["src/hb6.py"]


def test_heldback_cancel_notification_then_disconnect_counted_once(committed_db: Database, served: Served) -> None:
    holder, waiter = _sessions(committed_db, served, 2)
    hold(holder, "src/hb7.py")
    sock = open_call(served, waiter, 71, "acquire_lock", lock_wait("src/hb7.py"))
    waiting(committed_db, LOCK_WAIT)
    waiter.post({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 71}})
    gone(committed_db, LOCK_WAIT)
    sock.close()
    assert waiter.call("my_locks", {})["structuredContent"]["rows"] == []
    assert served.fast.cancelled == 1


def test_heldback_fast_path_disconnect_is_counted(committed_db: Database, served: Served) -> None:
    holder, waiter = _sessions(committed_db, served, 2)
    hold(holder, "src/hb8.py")
    sock = open_call(served, waiter, 81, "acquire_lock", lock_wait("src/hb8.py"))
    waiting(committed_db, LOCK_WAIT)
    sock.close()
    gone(committed_db, LOCK_WAIT)
    waiter.call("my_locks", {})
    assert served.fast.disconnected == 1 and served.fast.cancelled == 1


def test_heldback_many_disconnects_do_not_exhaust_the_pool(committed_db: Database, served: Served) -> None:
    holder, waiter = _sessions(committed_db, served, 2)
    hold(holder, "src/hb9.py")
    for i in range(4):  # more than the pool's 2 connections
        sock = open_call(served, waiter, 90 + i, "acquire_lock", lock_wait("src/hb9.py"))
        waiting(committed_db, LOCK_WAIT)
        sock.close()
        gone(committed_db, LOCK_WAIT)
    assert waiter.call("acquire_lock", {"p_path": "src/other9.py", "p_ttl": "5 minutes"})["structuredContent"]["ok"]


def test_heldback_half_closed_client_still_gets_its_answer_or_cancel(committed_db: Database, served: Served) -> None:
    """A client that shuts down only its sending side: what uvicorn reports (no disconnect on a
    half-close) decides; either way nothing is left waiting once the lease is freed."""
    holder, waiter = _sessions(committed_db, served, 2)
    fence = hold(holder, "src/hb10.py")
    sock = open_call(served, waiter, 101, "acquire_lock", lock_wait("src/hb10.py"))
    waiting(committed_db, LOCK_WAIT)
    sock.shutdown(socket.SHUT_WR)
    holder.call("release_lock", {"p_path": "src/hb10.py", "p_fence": fence})
    gone(committed_db, LOCK_WAIT)
    sock.close()
    gone(committed_db, BUSY)


def test_heldback_disconnect_during_concurrent_normal_calls(committed_db: Database, served: Served) -> None:
    holder, waiter, busy = _sessions(committed_db, served, 3)
    hold(holder, "src/hb11.py")
    sock = open_call(served, waiter, 111, "acquire_lock", lock_wait("src/hb11.py"))
    waiting(committed_db, LOCK_WAIT)
    errors: list[Any] = []

    def calls() -> None:
        try:
            for _ in range(10):
                assert busy.call("my_locks", {})["structuredContent"]["rows"] == []
        except BaseException as exc:  # reported below
            errors.append(exc)

    t = threading.Thread(target=calls)
    t.start()
    sock.close()
    t.join(60)
    gone(committed_db, LOCK_WAIT)
    assert not errors, errors
