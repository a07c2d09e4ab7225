"""The client's own exchange with libpq (coordinator/wire.py): statements prepared once per
connection and kept right whatever happens to them, cancellation and timeouts, interruption,
and rows loaded as psycopg's cursors load them.

These run on autocommit connections: the lean path is taken only there (inside a caller's
transaction a call runs in a savepoint, through psycopg).
"""

from __future__ import annotations

import signal
import threading
from dataclasses import fields, make_dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
import pytest
from psycopg.pq import TransactionStatus
from psycopg.rows import class_row, dict_row, namedtuple_row, tuple_row

from coordinator import adapt, sql, wire
from coordinator.client import Client, result_row
from coordinator.errors import CoordError, Unavailable
from coordinator.results import HeldLock
from tests.conftest import Database, Principal, in_thread, make_principal, wait_for_backend
from tests.test_request_shape import _traced


def _prepared(conn: psycopg.Connection) -> list[str]:
    return [row[0] for row in conn.execute("select name from pg_prepared_statements order by name")]


def test_statements_are_prepared_once_per_connection_and_shared_by_its_clients(committed_db: Database) -> None:
    with committed_db.connect() as admin:
        a, b = make_principal(admin, "share-a"), make_principal(admin, "share-b")
    with psycopg.connect(committed_db.client_dsn, autocommit=True) as conn:
        first, second = Client(connection=conn, token=a.token), Client(connection=conn, token=b.token)
        for _ in range(3):
            assert first.my_locks() == [] and second.my_locks() == []
        begin = wire.statement(sql.BEGIN_REQUEST_STATEMENT).name.decode()
        names = _prepared(conn)
        assert len(names) == 2 and begin in names  # begin_request and my_locks, whoever calls
        assert all(name.startswith("coord_") for name in names)


def test_a_statement_whose_parse_was_skipped_is_parsed_again(committed_db: Database) -> None:
    """A refused token fails api.begin_request: PostgreSQL skips the rest of the pipeline, the
    call's Parse included, and the client must not count that statement as prepared."""
    with committed_db.connect() as admin:
        me = make_principal(admin, "skipped")
    with psycopg.connect(committed_db.client_dsn, autocommit=True) as conn:
        forged = Client(connection=conn, token="coord_" + "0" * 64)
        with pytest.raises(CoordError) as caught:
            forged.my_locks()
        assert caught.value.code == "PT401"
        assert conn.info.transaction_status == TransactionStatus.IDLE
        assert _prepared(conn) == [wire.statement(sql.BEGIN_REQUEST_STATEMENT).name.decode()]
        good = Client(connection=conn, token=me.token)
        assert good.signatures  # the catalog is loaded outside the traced call
        messages = _traced(good, lambda: good.my_locks())
        sent = [m[2] for m in messages if m[0] == "F" and m[2] in ("Parse", "Bind", "Execute", "Sync")]
        assert sent == ["Bind", "Execute", "Parse", "Bind", "Execute", "Sync"]  # one round trip, no resend
        for _ in range(3):
            assert good.my_locks() == []


@pytest.mark.parametrize("statement", ["DISCARD ALL", "DEALLOCATE ALL"])
def test_statements_deallocated_behind_the_clients_back_are_prepared_again(committed_db: Database,
                                                                          statement: str) -> None:
    """Both statements of a call are gone: the call fails before anything commits, twice (one
    statement at a time), and is sent again each time; the caller sees one successful call."""
    with committed_db.connect() as admin:
        me = make_principal(admin, "discarded")
    with psycopg.connect(committed_db.client_dsn, autocommit=True) as conn:
        client = Client(connection=conn, token=me.token)
        assert client.acquire_lock("src/one.py").code == "granted"
        conn.execute(statement)
        assert _prepared(conn) == []
        assert client.acquire_lock("src/two.py").code == "granted"
        assert len(_prepared(conn)) == 2
        assert [lock.path for lock in client.my_locks()] == ["src/one.py", "src/two.py"]


def test_a_statement_prepared_behind_the_clients_back_is_used(committed_db: Database) -> None:
    """A name the server already has (its Parse came back to nobody, or SQL PREPARE made it):
    42P05 fails the call before anything commits; the client counts it as prepared and sends again."""
    with committed_db.connect() as admin:
        me = make_principal(admin, "already")
    begin = wire.statement(sql.BEGIN_REQUEST_STATEMENT)
    with psycopg.connect(committed_db.client_dsn, autocommit=True) as conn:
        conn.execute(f"prepare {begin.name.decode()} as {begin.text.decode()}")
        client = Client(connection=conn, token=me.token)
        assert client.acquire_lock("src/once.py").code == "granted"
        assert len(_prepared(conn)) == 2
    with committed_db.connect() as admin:
        assert admin.execute("select count(*) from audit.events where action = 'lock.acquire'").fetchone() == (1,)


def test_a_statement_whose_result_type_changed_is_prepared_again(committed_db: Database) -> None:
    """A migration changes what a prepared statement returns (here a column added to the table it
    reads): the server refuses the old plan (0A000) before anything runs; the client closes the
    statement, prepares it again and the caller gets the new row."""
    probe = wire.statement("select * from public.shape_probe")
    with committed_db.connect() as admin:
        admin.execute("create table public.shape_probe (a int)")
        admin.execute("insert into public.shape_probe values (1)")
        with committed_db.connect() as conn:
            first = wire.execute(conn, [(probe, [])])
            assert (first.nfields, first.get_value(0, 0)) == (1, b"1")
            admin.execute("alter table public.shape_probe add column b text default 'two'")
            second = wire.execute(conn, [(probe, [])])
            assert (second.nfields, second.get_value(0, 1)) == (2, b"two")
            assert _prepared(conn) == [probe.name.decode()]
            assert conn.info.transaction_status == TransactionStatus.IDLE
            with pytest.raises(psycopg.errors.FeatureNotSupported):  # raised by the statement itself: not resent
                wire.execute(conn, [(wire.statement("select array_position('{{1},{2}}'::int[], 1)"), [])])


def test_a_connection_keeps_at_most_max_prepared_statements(committed_db: Database,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The least recently used statement is closed at the head of the next pipeline; a closed
    one used again is prepared again."""
    monkeypatch.setattr(wire, "MAX_PREPARED", 3)
    with committed_db.connect() as admin:
        me = make_principal(admin, "bounded")
    with psycopg.connect(committed_db.client_dsn, autocommit=True) as conn:
        client = Client(connection=conn, token=me.token)
        for _ in range(2):
            assert client.my_locks() == []
            assert client.list_tasks() == []
            assert client.inbox() == []
            assert client.list_tasks(limit=5) == []
            assert len(_prepared(conn)) <= 3 + 1  # the evicted one is closed with the next call
        client.list_tasks(limit=5)  # prepared: nothing new, the evicted one is closed
        assert len(_prepared(conn)) == 3


def test_cancel_stops_a_call_and_leaves_the_connection_idle(committed_db: Database) -> None:
    with committed_db.connect() as admin:
        me = make_principal(admin, "cancelled")
    with committed_db.connect() as blocker, Client(committed_db.client_dsn, me.token) as client:
        client.my_locks()
        conn = client.connection
        with blocker.transaction():
            blocker.execute("lock table coord.locks in access exclusive mode")
            thread, outcome = in_thread(lambda: client.acquire_lock("src/blocked.py"))
            wait_for_backend(committed_db, conn.info.backend_pid, "wait_event_type = 'Lock'")
            conn.cancel_safe()
            thread.join()
        error = outcome.get("error")
        assert isinstance(error, CoordError) and error.code == "57014", outcome
        assert conn.info.transaction_status == TransactionStatus.IDLE
        assert client.acquire_lock("src/after.py").code == "granted"
        assert [lock.path for lock in client.my_locks()] == ["src/after.py"]


def test_a_statement_timeout_fails_the_call_with_its_code(committed_db: Database) -> None:
    with committed_db.connect() as admin:
        me = make_principal(admin, "timed-out")
    with committed_db.connect() as blocker, \
            psycopg.connect(committed_db.client_dsn, autocommit=True, options="-c statement_timeout=200") as conn:
        client = Client(connection=conn, token=me.token)
        client.my_locks()
        with blocker.transaction():
            blocker.execute("lock table coord.locks in access exclusive mode")
            with pytest.raises(CoordError) as caught:
                client.acquire_lock("src/slow.py")
        assert caught.value.code == "57014" and "statement timeout" in caught.value.message
        assert conn.info.transaction_status == TransactionStatus.IDLE
        assert client.acquire_lock("src/fast.py").code == "granted"


def test_ctrl_c_cancels_the_call_on_the_server(committed_db: Database) -> None:
    """KeyboardInterrupt while waiting: psycopg's wait cancels the statement on the server and
    reads the pipeline to its end, so the connection is idle and usable afterwards."""
    with committed_db.connect() as admin:
        me = make_principal(admin, "interrupted")
    main = threading.main_thread().ident
    assert threading.get_ident() == main
    # A process started in the background (nohup, cmd &) inherits SIGINT ignored, and Python then
    # never turns it into KeyboardInterrupt: this test would wait on the lock forever.
    inherited = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        _interrupt_a_waiting_call(committed_db, me, main)
    finally:
        signal.signal(signal.SIGINT, inherited)
    with committed_db.connect() as admin:
        assert admin.execute("select path from coord.locks").fetchall() == [("src/after.py",)]


def _interrupt_a_waiting_call(committed_db: Database, me: Principal, main: int | None) -> None:
    with committed_db.connect() as blocker, Client(committed_db.client_dsn, me.token) as client:
        client.my_locks()
        conn = client.connection
        pid = conn.info.backend_pid

        def interrupt() -> None:
            wait_for_backend(committed_db, pid, "wait_event_type = 'Lock'")
            signal.pthread_kill(main, signal.SIGINT)  # type: ignore[arg-type]

        with blocker.transaction():
            blocker.execute("lock table coord.locks in access exclusive mode")
            thread, _ = in_thread(interrupt)
            with pytest.raises(KeyboardInterrupt):  # a read: no lock_timeout of its own ends the wait first
                client.my_locks()
            thread.join()
        assert conn.info.transaction_status == TransactionStatus.IDLE and not conn.closed
        assert client.acquire_lock("src/after.py").code == "granted"


def test_a_lost_connection_is_unavailable(committed_db: Database) -> None:
    with committed_db.connect() as admin:
        me = make_principal(admin, "lost")
        with Client(committed_db.client_dsn, me.token) as client:
            client.my_locks()
            admin.execute("select pg_terminate_backend(%s)", (client.connection.info.backend_pid,))
            for _ in range(2):
                with pytest.raises(Unavailable):
                    client.my_locks()


def test_rows_take_any_psycopg_row_factory(committed_db: Database) -> None:
    with committed_db.connect() as admin:
        me = make_principal(admin, "shapes")
    with Client(committed_db.client_dsn, me.token) as client:
        fence = client.acquire_lock("src/shape.py").fence
        held = client.call("my_locks", row_factory=class_row(HeldLock))
        assert held == client.my_locks() and held[0].fence == fence
        as_dict = client.call("my_locks")
        assert as_dict[0]["path"] == "src/shape.py" and as_dict[0]["fence"] == fence
        assert client.call("my_locks", row_factory=dict_row) == as_dict
        assert client.call("my_locks", row_factory=tuple_row)[0] == tuple(as_dict[0].values())
        assert client.call("my_locks", row_factory=namedtuple_row)[0].fence == fence


def test_result_rows_are_built_by_name_when_the_columns_are_not_the_fields_in_order(
        committed_db: Database) -> None:
    """result_row builds a result dataclass positionally only when the columns are its fields in
    order (as generated); otherwise by name, as psycopg's class_row does."""
    reordered = make_dataclass("Reordered", [(f.name, Any) for f in reversed(fields(HeldLock))], frozen=True)
    with committed_db.connect() as admin:
        me = make_principal(admin, "reordered")
    with Client(committed_db.client_dsn, me.token) as client:
        client.acquire_lock("src/order.py")
        held = client.my_locks()[0]
        assert client.call("my_locks", row_factory=result_row(HeldLock)) == [held]
        again = client.call("my_locks", row_factory=result_row(reordered))[0]
        assert {f.name: getattr(again, f.name) for f in fields(reordered)} == held.to_dict()


def test_rows_follow_the_sessions_time_zone(committed_db: Database) -> None:
    """The loaders are kept per connection while the session's time zone and styles stay."""
    with committed_db.connect() as admin:
        me = make_principal(admin, "zoned")
    with Client(committed_db.client_dsn, me.token) as client:
        client.acquire_lock("src/zone.py")
        client.connection.execute("set timezone = 'UTC'")
        assert client.my_locks()[0].expires_at.utcoffset() == timedelta(0)  # type: ignore[union-attr]
        client.connection.execute("set timezone = 'Asia/Tokyo'")
        assert client.my_locks()[0].expires_at.utcoffset() == timedelta(hours=9)  # type: ignore[union-attr]
        client.connection.execute("set intervalstyle = 'iso_8601'")
        assert client.my_locks()[0].expires_at.utcoffset() == timedelta(hours=9)  # type: ignore[union-attr]


def test_a_call_inside_a_psycopg_pipeline_of_the_callers_works(committed_db: Database) -> None:
    """The caller's own pipeline: the call goes through psycopg (PostgREST's statements)."""
    with committed_db.connect() as admin:
        me = make_principal(admin, "piped")
    with psycopg.connect(committed_db.client_dsn, autocommit=True) as conn:
        client = Client(connection=conn, token=me.token)
        with conn.pipeline():
            assert client.acquire_lock("src/piped.py").code == "granted"
        assert [lock.path for lock in client.my_locks()] == ["src/piped.py"]


def test_the_loaders_are_total_beyond_pythons_range(db: psycopg.Connection) -> None:
    """psycopg's C loaders read most values faster, but its C interval loader wraps around past
    Python's range instead of failing: intervals keep psycopg's Python loader."""
    cur = db.cursor()
    adapt.install(cur)
    row = cur.execute("select '178000000 years'::interval, '-178000000 years'::interval, 'infinity'::timestamptz, "
                      "'-infinity'::timestamp, '20000-01-01'::date, '1 day 2 hours'::interval, "
                      "'2026-12-06 12:00:00.5+05:30'::timestamptz, '[1, {\"a\": null}]'::jsonb").fetchone()
    assert row == (timedelta.max, timedelta.min, datetime.max.replace(tzinfo=UTC), datetime.min, date.max,
                   timedelta(days=1, hours=2), datetime(2026, 12, 6, 6, 30, 0, 500000, tzinfo=UTC), [1, {"a": None}])


def test_a_transaction_that_fails_at_its_commit_fails_the_call(committed_db: Database) -> None:
    """The implicit transaction commits at the Sync; what fails there (a deferred constraint, a
    serialization failure SERIALIZABLE finds only at commit, a cancel) comes back after the last
    statement's rows. Read as the call's answer, it was an empty answer to a call rolled back."""
    with committed_db.connect() as admin:
        me = make_principal(admin, "commit-fails")
        admin.execute("""
            create function public.refuse_at_commit() returns trigger language plpgsql as $$
            begin
              raise exception 'refused at commit' using errcode = '40001';
            end $$;
            create constraint trigger refuse_at_commit after insert on coord.locks
              deferrable initially deferred for each row execute function public.refuse_at_commit();
        """)
    with Client(committed_db.client_dsn, me.token) as client:
        client.my_locks()
        with pytest.raises(CoordError) as caught:
            client.acquire_lock("src/never.py")
        assert caught.value.code == "40001" and "refused at commit" in caught.value.message
        assert client.connection.info.transaction_status == TransactionStatus.IDLE
    with committed_db.connect() as admin:
        assert admin.execute("select count(*) from coord.locks").fetchone() == (0,)
        admin.execute("drop trigger refuse_at_commit on coord.locks")
    with Client(committed_db.client_dsn, me.token) as client:
        assert client.acquire_lock("src/after.py").code == "granted"
