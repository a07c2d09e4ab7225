"""Races between sessions, claims, leases and cleanup, each forced deterministically with real
connections (found by an independent review). Blocked calls are detected through
pg_stat_activity, never by sleeping in the test."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from tests.conftest import Database, make_principal


def _connect(db: Database) -> psycopg.Connection:
    conn = psycopg.connect(db.client_dsn)
    conn.execute("set statement_timeout = '20s'")
    conn.commit()
    return conn


def _login(conn: psycopg.Connection, token: str, session: uuid.UUID | None = None) -> None:
    headers = {"x-coord-token": token, **({"x-coord-session": str(session)} if session else {})}
    conn.execute("select set_config('request.headers', %s, true)", (json.dumps(headers),))
    conn.execute("select api.pre_request()")


def _in_thread(fn: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["result"] = fn()
        except Exception as exc:  # reported by the test's assertions
            out["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return thread, out


def _wait_until_blocked(admin: psycopg.Connection, pid: int) -> None:
    for _ in range(2000):
        if admin.execute("select wait_event_type = 'Lock' from pg_stat_activity where pid = %s",
                         (pid,)).fetchone()[0]:
            return
        time.sleep(0.005)  # polling the server's view of the backend, not guessing a duration
    raise AssertionError(f"backend {pid} never blocked")


def _start_session(conn: psycopg.Connection, token: str) -> uuid.UUID:
    _login(conn, token)
    session = conn.execute("select session_id from api.start_session(p_ttl => '30 seconds')").fetchone()[0]
    conn.commit()
    return session  # type: ignore[no-any-return]


def test_a_lease_requested_while_the_session_ends_is_refused(committed_db: Database) -> None:
    with committed_db.connect() as admin:
        a, b = make_principal(admin, "a", tenant="race1"), make_principal(admin, "b", tenant="race1")
    with _connect(committed_db) as ender, _connect(committed_db) as acquirer, _connect(committed_db) as other, \
            committed_db.connect() as admin:
        session = _start_session(acquirer, a.token)
        _login(ender, a.token, session)
        assert ender.execute("select code from api.end_session()").fetchone() == ("ended",)  # not committed
        _login(acquirer, a.token, session)
        thread, out = _in_thread(lambda: acquirer.execute(
            "select code from api.acquire_lock('src/a.py', '1 hour')").fetchone())
        _wait_until_blocked(admin, acquirer.info.backend_pid)
        ender.commit()
        thread.join()
        acquirer.commit()
        assert out == {"result": ("session_ended",)}
        _login(other, b.token)
        assert other.execute("select code from api.acquire_lock('src/a.py')").fetchone() == ("granted",)
        other.commit()


def test_a_claim_in_flight_when_the_session_ends_is_requeued(committed_db: Database) -> None:
    with committed_db.connect() as admin:
        a = make_principal(admin, "a", tenant="race2")
    with _connect(committed_db) as claimer, _connect(committed_db) as ender, committed_db.connect() as admin:
        session = _start_session(claimer, a.token)
        _login(claimer, a.token)
        task_id = claimer.execute("select task_id from api.submit_task('k')").fetchone()[0]
        claimer.commit()
        _login(claimer, a.token, session)
        assert claimer.execute("select code from api.claim_task(array['k'], '1 hour')").fetchone() == ("claimed",)
        _login(ender, a.token, session)
        thread, out = _in_thread(lambda: ender.execute("select code, details from api.end_session()").fetchone())
        _wait_until_blocked(admin, ender.info.backend_pid)  # the cleanup waits for the claim to commit
        claimer.commit()
        thread.join()
        ender.commit()
        assert out["result"][0] == "ended" and out["result"][1]["requeued_tasks"] == [task_id]
        assert admin.execute("select state::text from coord.tasks where id = %s", (task_id,)).fetchone() == ("queued",)


def test_two_batch_claims_taking_leases_in_opposite_orders_do_not_fail(committed_db: Database) -> None:
    with committed_db.connect() as admin:
        a, b = make_principal(admin, "a", tenant="race3"), make_principal(admin, "b", tenant="race3")
        # Hold the first claimer inside its lease on x long enough for the second to take y.
        admin.execute("create function public.slow_x() returns trigger language plpgsql as "
                      "$$ begin if new.path = 'x' and new.holder_id = '" + str(a.principal_id) + "' then "
                      "perform pg_sleep(1.5); end if; return new; end $$")
        admin.execute("create trigger zz_slow before insert on coord.locks "
                      "for each row execute function public.slow_x()")
    with _connect(committed_db) as first, _connect(committed_db) as second, committed_db.connect() as admin:
        _login(first, a.token)
        for priority, path in ((4, "x"), (3, "y"), (2, "y"), (1, "x")):
            first.execute("select api.submit_task('k', p_priority => %s, p_locks => array[%s])", (priority, path))
        first.commit()
        _login(first, a.token)
        _login(second, b.token)
        t1, o1 = _in_thread(lambda: first.execute(
            "select code, task_id from api.claim_tasks(array['k'], '1 minute', 2)").fetchall())
        for _ in range(2000):  # the first claimer is inside its slow lease on x
            if admin.execute("select wait_event = 'PgSleep' from pg_stat_activity where pid = %s",
                             (first.info.backend_pid,)).fetchone()[0]:
                break
            time.sleep(0.005)
        t2, o2 = _in_thread(lambda: second.execute(
            "select code, task_id from api.claim_tasks(array['k'], '1 minute', 2)").fetchall())
        t1.join()
        t2.join()
        first.commit()
        second.commit()
        assert "error" not in o1 and "error" not in o2, (o1, o2)
        claimed = [r[1] for r in o1["result"] + o2["result"] if r[0] == "claimed"]
        assert len(claimed) == len(set(claimed)) >= 2


def test_heartbeat_and_complete_of_one_session_do_not_deadlock(committed_db: Database) -> None:
    with committed_db.connect() as admin:
        a = make_principal(admin, "a", tenant="race4")
        admin.execute("create function public.slow_upd() returns trigger language plpgsql as "
                      "$$ begin perform pg_sleep(1); return new; end $$")
        admin.execute("create trigger zz_slow before update on coord.locks "
                      "for each row execute function public.slow_upd()")
    with _connect(committed_db) as worker, _connect(committed_db) as beater:
        session = _start_session(worker, a.token)
        _login(worker, a.token)
        task_id = worker.execute("select task_id from api.submit_task('k', p_locks => array['src/a.py'])").fetchone()[0]
        worker.commit()
        _login(worker, a.token, session)
        claim = worker.execute("select claim from api.claim_task(array['k'], '1 second')").fetchone()[0]
        worker.commit()
        _login(beater, a.token, session)
        def beat() -> Any:
            row = beater.execute("select code from api.heartbeat()").fetchone()
            beater.commit()
            return row

        thread, out = _in_thread(beat)
        _login(worker, a.token, session)
        done = worker.execute("select code from api.complete_task(%s, %s)", (task_id, claim)).fetchone()
        worker.commit()
        thread.join()
        assert "error" not in out, out
        assert done == ("completed",) and out["result"] == ("alive",)


@pytest.mark.parametrize("call", ["select api.cancel_task(%s)", "select api.redrive_task(%s)",
                                  "select api.submit_task('k2', p_depends_on => array[%s]::bigint[])"])
def test_task_decisions_refuse_an_old_snapshot(committed_db: Database, call: str) -> None:
    with committed_db.connect() as admin:
        a = make_principal(admin, "a", tenant="race5")
    with _connect(committed_db) as conn:
        _login(conn, a.token)
        task_id = conn.execute("select task_id from api.submit_task('k')").fetchone()[0]
        conn.commit()
        conn.execute("set transaction isolation level repeatable read")
        _login(conn, a.token)
        with pytest.raises(psycopg.Error) as err:
            conn.execute(call, (task_id,))
        assert err.value.sqlstate == "CO213"
        conn.rollback()
