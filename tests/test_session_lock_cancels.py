"""Session-level advisory locks and cancels: a session lock outlives the transaction a cancel
(statement_timeout, pg_cancel_backend) aborts, so a cancel landing between a lock's take and its
release (or between the take and the handler that undoes it) left it held for the life of the
connection, and a pooled connection lives long. Each function that takes one is cancelled at
random points (1-3 ms statement timeouts, many times) or at a point where it waits, and no lock
of its key may be left held."""

from __future__ import annotations

from collections.abc import Callable

import psycopg

from coordinator.client import Client
from coordinator.errors import CoordError
from tests.conftest import Database, in_thread, make_principal, wait_for_backend
from tests.hurried import advisory_held, rollback, timeout_off


def _hurried(admin: psycopg.Connection, client: Client, call: Callable[[int], object], rounds: int,
             after: Callable[[], object] | None = None) -> None:
    """call(i) under 1-3 ms statement timeouts, rounds times, each in a transaction of its own;
    after each (and after(), with the timeout off) the connection must hold no advisory lock."""
    conn = client.connection
    conn.autocommit = False  # a call runs in a savepoint of the transaction: a cancel anywhere aborts it
    pid = conn.info.backend_pid
    for i in range(rounds):
        try:
            conn.execute(f"set statement_timeout = {1 + i % 3}")
            call(i)
            conn.commit()
        except (CoordError, psycopg.Error):  # cancelled: the point of the attack
            rollback(conn)
        timeout_off(conn)
        if after is not None:
            after()
            conn.commit()
        held = advisory_held(admin, pid)
        assert held == [], (i, held)


def test_a_task_made_ready_while_cancelled_leaves_no_lock_held(committed_db) -> None:
    # coord.notify_task_ready tried the tenant's waiting key at session level and unlocked it in
    # the next statement: a cancel between the two left it held exclusively, and every claimer of
    # the tenant then waited out its lock_timeout to register, on every claim_or_wait. The check
    # is a small part of a submit, so it runs here alone, many times in one statement, until the
    # timeout lands somewhere in it (the old code kept the key within a few hundred rounds).
    with committed_db.connect() as admin:
        agent = make_principal(admin, "submitter", tenant="wait-key-cancel")
    with Client(committed_db.client_dsn, agent.token) as client, committed_db.connect() as admin, \
            committed_db.connect(autocommit=False) as writer:
        task_id = client.submit_task("k").task_id
        pid = writer.info.backend_pid
        for i in range(600):
            try:
                writer.execute(f"set statement_timeout = {1 + i % 3}")
                writer.execute(f"do $$ begin for i in 1..1000000 loop perform coord.notify_task_ready(t) "
                               f"from coord.tasks as t where t.id = {int(task_id)}; end loop; end $$")
            except psycopg.errors.QueryCanceled:
                pass
            rollback(writer)
            timeout_off(writer)
            held = advisory_held(admin, pid)
            assert held == [], (i, held)


def test_a_waiting_claim_cancelled_anywhere_leaves_no_lock_held_once_it_stops_waiting(committed_db) -> None:
    # coord.await_tasks remembered its registration in a session setting, which a cancelled (or
    # rolled-back) transaction undoes while the session lock stays: the next call took the lock
    # again, and stopping to wait released one of the two, so the connection stayed a waiting
    # claimer (every ready task announced) until it closed. It also passed the gate with a
    # session lock and an unlock, which a cancel could split (every writer and waiter of the
    # tenant then held up). Stopping to wait must leave nothing held.
    with committed_db.connect() as admin:
        agent = make_principal(admin, "waiter", tenant="wait-cancel")
    with Client(committed_db.client_dsn, agent.token) as client, \
            Client(committed_db.client_dsn, agent.token) as submitter, committed_db.connect() as admin:
        channel = admin.execute("select task_channel from coord.tenants where id = %s",
                                (agent.tenant_id,)).fetchone()[0]
        client.connection.execute(f'LISTEN "{channel}"')  # only a listening connection registers
        assert client.claim_or_wait(["none"]).code == "empty"
        assert len(advisory_held(admin, client.connection.info.backend_pid)) == 1  # so the calls below register

        def call(i: int) -> None:
            if i % 4 == 0:
                submitter.submit_task("k")  # something to claim now and then: a claim ends the wait
            client.claim_or_wait(["k"])

        _hurried(admin, client, call, 2000, after=lambda: client.claim_or_wait(["none"], waiting=False))


def _cancelled_while_auditing(committed_db: Database, token: str, watch: Callable[[Client], object]) -> None:
    """The watch is taken, then the call waits to write its audit row (the audit table is locked)
    and is cancelled there: it fails, and its connection must not keep the watch. A watch that
    succeeds keeps it (so the check reads the right lock)."""
    with Client(committed_db.client_dsn, token) as watcher, committed_db.connect() as admin, \
            committed_db.connect(autocommit=False) as blocker:
        pid = watcher.connection.info.backend_pid
        blocker.execute("lock table audit.events in share mode")
        thread, out = in_thread(lambda: watch(watcher))
        wait_for_backend(committed_db, pid, "wait_event_type = 'Lock' and wait_event = 'relation'")
        admin.execute("select pg_cancel_backend(%s)", (pid,))
        thread.join(30)
        assert "error" in out, out
        blocker.rollback()
        assert advisory_held(admin, pid) == []
        assert watch(watcher).code == "watching"  # type: ignore[attr-defined]
        assert len(advisory_held(admin, pid)) == 1


def test_a_fleet_watch_cancelled_after_it_took_the_watch_does_not_keep_it(committed_db) -> None:
    # api.watch_fleet took the watch (a session lock) and then wrote its audit row: a watch that
    # failed there kept the watch on its connection, so a pooled connection held it (and made
    # every other watcher of the tenant wait 10 s for watched_elsewhere) until the pool closed it.
    with committed_db.connect() as admin:
        operator = make_principal(admin, "watcher", tenant="fleet-watch-cancel", role="operator")
    _cancelled_while_auditing(committed_db, operator.token, lambda c: c.watch_fleet())


def test_an_inbox_watch_cancelled_after_it_took_the_watch_does_not_keep_it(committed_db) -> None:
    # api.watch_inbox: the same, with the tenant's inbox watch key (every send of the tenant
    # notified while the failed watch's connection lived).
    with committed_db.connect() as admin:
        agent = make_principal(admin, "reader", tenant="inbox-watch-cancel")
    _cancelled_while_auditing(committed_db, agent.token, lambda c: c.watch_inbox())

