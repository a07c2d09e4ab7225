"""Races between sessions, claims, leases and cleanup, each forced deterministically with real
connections. Blocked calls are detected through
pg_stat_activity (tests.conftest.wait_for_backend), never by sleeping in the test."""

from __future__ import annotations

import json
import uuid
from typing import Any

import psycopg
import pytest

from tests.conftest import Database, in_thread, make_principal, wait_for_backend


def _connect(db: Database) -> psycopg.Connection:
    conn = psycopg.connect(db.client_dsn)
    conn.execute("set statement_timeout = '20s'")
    conn.commit()
    return conn


def _login(conn: psycopg.Connection, token: str, session: uuid.UUID | None = None) -> None:
    headers = {"x-coord-token": token, **({"x-coord-session": str(session)} if session else {})}
    conn.execute("select set_config('request.headers', %s, true)", (json.dumps(headers),))
    conn.execute("select api.pre_request()")


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
        thread, out = in_thread(lambda: acquirer.execute(
            "select code from api.acquire_lock('src/a.py', '1 hour')").fetchone())
        wait_for_backend(committed_db, acquirer.info.backend_pid, "wait_event_type = 'Lock'")
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
        thread, out = in_thread(lambda: ender.execute("select code, details from api.end_session()").fetchone())
        # the cleanup waits for the claim to commit
        wait_for_backend(committed_db, ender.info.backend_pid, "wait_event_type = 'Lock'")
        claimer.commit()
        thread.join()
        ender.commit()
        assert out["result"][0] == "ended" and out["result"][1]["requeued_tasks"] == [task_id]
        assert admin.execute("select state::text from coord.tasks where id = %s", (task_id,)).fetchone() == ("queued",)


def _gate(database: Database, key: int, trigger: str, condition: str) -> psycopg.Connection:
    """A trigger on coord.locks that, when condition holds, waits for advisory lock key, which
    the returned connection holds: the test parks a call at that point and lets it go."""
    with database.connect() as admin:
        admin.execute(f"create function public.gate_{key}() returns trigger language plpgsql as "
                      f"$$ begin if {condition} then perform pg_advisory_xact_lock_shared({key}); end if; "
                      f"return new; end $$")
        admin.execute(f"create trigger zz_gate_{key} {trigger} on coord.locks "
                      f"for each row execute function public.gate_{key}()")
    gate = database.connect()
    gate.autocommit = True
    gate.execute("select pg_advisory_lock(%s)", (key,))
    return gate


def test_two_batch_claims_taking_leases_in_opposite_orders_do_not_fail(committed_db: Database) -> None:
    with committed_db.connect() as admin:
        a, b = make_principal(admin, "a", tenant="race3"), make_principal(admin, "b", tenant="race3")
    # The first claimer is parked inside its lease on x (holding x) until the second holds y.
    gate = _gate(committed_db, 7001, "before insert",
                 f"new.path = 'x' and new.holder_id = '{a.principal_id}'")
    with gate, _connect(committed_db) as first, _connect(committed_db) as second:
        _login(first, a.token)
        for priority, path in ((4, "x"), (3, "y"), (2, "y"), (1, "x")):
            first.execute("select api.submit_task('k', p_priority => %s, p_locks => array[%s])", (priority, path))
        first.commit()
        _login(first, a.token)
        _login(second, b.token)
        t1, o1 = in_thread(lambda: first.execute(
            "select code, task_id from api.claim_tasks(array['k'], '1 minute', 2)").fetchall())
        wait_for_backend(committed_db, first.info.backend_pid, "wait_event_type = 'Lock'")
        t2, o2 = in_thread(lambda: second.execute(
            "select code, task_id from api.claim_tasks(array['k'], '1 minute', 2)").fetchall())
        wait_for_backend(committed_db, second.info.backend_pid, "wait_event_type = 'Lock'")  # on x, holding y
        gate.execute("select pg_advisory_unlock(7001)")  # the first now wants y: a deadlock
        t1.join()
        t2.join()
        first.commit()
        second.commit()
        assert "error" not in o1 and "error" not in o2, (o1, o2)
        claimed = [r[1] for r in o1["result"] + o2["result"] if r[0] == "claimed"]  # type: ignore[operator]
        assert len(claimed) == len(set(claimed)) >= 2


def test_heartbeat_and_complete_of_one_session_do_not_deadlock(committed_db: Database) -> None:
    with committed_db.connect() as admin:
        a = make_principal(admin, "a", tenant="race4")
    with _connect(committed_db) as worker, _connect(committed_db) as beater:
        session = _start_session(worker, a.token)
        _login(worker, a.token)
        task_id = worker.execute("select task_id from api.submit_task('k', p_locks => array['src/a.py'])").fetchone()[0]
        worker.commit()
        _login(worker, a.token, session)
        claim = worker.execute("select claim from api.claim_task(array['k'], '1 second')").fetchone()[0]
        worker.commit()
        # The heartbeat is parked while it extends the task's lease (session and task locked).
        gate = _gate(committed_db, 7002, "before update", "true")

        def beat() -> Any:
            _login(beater, a.token, session)
            row = beater.execute("select code from api.heartbeat()").fetchone()
            beater.commit()
            return row

        def complete() -> Any:
            _login(worker, a.token, session)
            row = worker.execute("select code from api.complete_task(%s, %s)", (task_id, claim)).fetchone()
            worker.commit()
            return row

        with gate:
            beating, beat_out = in_thread(beat)
            wait_for_backend(committed_db, beater.info.backend_pid, "wait_event_type = 'Lock'")
            completing, complete_out = in_thread(complete)
            wait_for_backend(committed_db, worker.info.backend_pid, "wait_event_type = 'Lock'")
            gate.execute("select pg_advisory_unlock(7002)")
            beating.join()
            completing.join()
        assert beat_out == {"result": ("alive",)} and complete_out == {"result": ("completed",)}


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
