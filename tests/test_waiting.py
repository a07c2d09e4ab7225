"""The helpers tests wait with (tests/conftest.py): a wait on pg_stat_activity blocks on the
server between its re-reads instead of spinning a core, returns once the state shows, and fails
with a message naming what it waited for."""

from __future__ import annotations

import pytest

from tests.conftest import Database, in_thread, wait_for_backend, wait_for_backends

KEY = 7_310_001  # an advisory lock key no product code takes


def test_a_wait_blocks_on_the_server_until_the_backend_shows_the_state(committed_db: Database) -> None:
    with committed_db.connect() as holder, committed_db.connect() as blocked:
        holder.execute("select pg_advisory_lock(%s)", (KEY,))
        pid = blocked.info.backend_pid
        waiter, waited = in_thread(lambda: wait_for_backend(committed_db, pid, "wait_event = 'advisory'"))
        # While nothing it waits for has happened, the waiter sits in the server's latch wait
        # (a busy loop would show as a client read or a running query, never as PgSleep).
        wait_for_backends(committed_db, "backend_type = 'client backend' and wait_event = 'PgSleep'", 1)
        assert waiter.is_alive() and waited == {}
        taker, took = in_thread(lambda: blocked.execute("select pg_advisory_lock(%s)", (KEY,)))
        waiter.join(60)
        assert not waiter.is_alive() and waited == {"result": None}
        holder.execute("select pg_advisory_unlock(%s)", (KEY,))
        taker.join(60)
        assert "error" not in took


def test_a_wait_that_never_sees_the_state_names_it(committed_db: Database) -> None:
    with committed_db.connect() as idle:
        pid = idle.info.backend_pid
        with pytest.raises(AssertionError, match=rf"^backend {pid} never reached: state = 'active' within 0.05 s$"):
            wait_for_backend(committed_db, pid, "state = 'active'", timeout=0.05)
        with pytest.raises(AssertionError, match=r"^never saw 2 backends with: pid = \d+ within 0.05 s$"):
            wait_for_backends(committed_db, f"pid = {pid}", 2, timeout=0.05)


def test_a_wait_for_backends_does_not_count_itself(committed_db: Database) -> None:
    """The waiter's own backend runs the predicate's text: a condition on the query text must
    not see the waiter."""
    with pytest.raises(AssertionError, match="never saw 1 backends"):
        wait_for_backends(committed_db, "query like '%never_running_query_marker%'", 1, timeout=0.05)
