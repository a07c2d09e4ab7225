"""The chain under concurrent writers: transactions held open across a seal, commits out of id
order, rollbacks, and sealers racing each other. No fork (one link per position), no skipped
event (every committed event linked exactly once), and verification passes throughout."""

from __future__ import annotations

import json
import random
import threading

import psycopg

from tests.conftest import Database, in_thread, make_principal, poll_until, wait_for_backend


def _agent(db: Database, token: str) -> psycopg.Connection:
    """A client connection inside an open transaction, authenticated as the token's principal."""
    conn = psycopg.connect(db.client_dsn)
    conn.execute("set statement_timeout = '20s'")
    conn.execute("select set_config('request.headers', %s, true)", (json.dumps({"x-coord-token": token}),))
    conn.execute("select api.pre_request()")
    return conn


def _seal(admin: psycopg.Connection, tenant_id: object) -> int:
    return admin.execute("select audit.seal(%s, true)", (tenant_id,)).fetchone()[0]  # type: ignore[index]


def _linked_ids(admin: psycopg.Connection, tenant_id: object) -> list[int]:
    return [r[0] for r in admin.execute("select event_id from audit.chain_links where tenant_id = %s "
                                        "order by chain_seq", (tenant_id,)).fetchall()]


def _event_ids(admin: psycopg.Connection, tenant_id: object) -> set[int]:
    return {r[0] for r in admin.execute("select id from audit.events where tenant_id = %s", (tenant_id,)).fetchall()}


def _seal_everything(admin: psycopg.Connection, tenant_id: object) -> None:
    """Seal until every committed event is linked. A transaction elsewhere on the cluster can
    hold the snapshot xmin back for a moment, and nothing announces when it ends: re-read with
    poll_until's backing-off pause (a loop with none spun a core meanwhile)."""
    def sealed() -> bool:
        _seal(admin, tenant_id)
        return set(_linked_ids(admin, tenant_id)) == _event_ids(admin, tenant_id)

    poll_until(sealed, "every committed event sealed")


def _assert_chain(admin: psycopg.Connection, tenant_id: object) -> None:
    seqs = [r[0] for r in admin.execute("select chain_seq from audit.chain_links where tenant_id = %s "
                                        "order by chain_seq", (tenant_id,)).fetchall()]
    assert seqs == list(range(1, len(seqs) + 1)), "positions are unique and contiguous (no fork)"
    linked = _linked_ids(admin, tenant_id)
    assert len(linked) == len(set(linked)), "no event linked twice"
    report = admin.execute("select audit.verify_chain(%s)", (tenant_id,)).fetchone()[0]  # type: ignore[index]
    assert report["ok"], report


def test_open_transactions_hold_the_chain_back_and_commit_out_of_order(committed_db: Database) -> None:
    with committed_db.connect() as admin:
        a = make_principal(admin, "a", tenant="conc")
        b = make_principal(admin, "b", tenant="conc")
        c = make_principal(admin, "c", tenant="conc")
        tenant_id = a.tenant_id
        _seal_everything(admin, tenant_id)
        before = len(_linked_ids(admin, tenant_id))

        first, second, third = _agent(committed_db, a.token), _agent(committed_db, b.token), \
            _agent(committed_db, c.token)
        first.execute("select api.acquire_lock('one')")      # oldest txid, lowest event ids, stays open
        second.execute("select api.acquire_lock('two')")
        third.execute("select api.acquire_lock('three')")     # stays open
        second.commit()                                        # committed, but behind an open txid
        ids_second = {r[0] for r in admin.execute(
            "select id from audit.events where tenant_id = %s and target_id = 'two'", (tenant_id,)).fetchall()}
        assert ids_second
        assert _seal(admin, tenant_id) == 0, "nothing after the oldest open transaction is sealed"
        assert not ids_second & set(_linked_ids(admin, tenant_id))

        third.commit()                                         # commits before the older one
        assert _seal(admin, tenant_id) == 0
        first.execute("select api.acquire_lock('one-more')")  # the old transaction keeps writing
        first.commit()
        _seal_everything(admin, tenant_id)
        linked = _linked_ids(admin, tenant_id)[before:]
        targets = [admin.execute("select target_id from audit.events where id = %s", (i,)).fetchone()[0]
                   for i in linked]
        # Chain order is commit-independent: by stream position (txid), then id. The first
        # transaction's first event keeps its (oldest) txid and comes first, though it committed
        # last; its later call is positioned past the horizon readers were handed meanwhile
        # (docs/events.md), so it comes after the others.
        assert targets == ["one", "two", "three", "one-more"]
        _assert_chain(admin, tenant_id)
        for conn in (first, second, third):
            conn.close()


def test_racing_sealers_never_fork(committed_db: Database) -> None:
    with committed_db.connect() as admin:
        p = make_principal(admin, "p", tenant="forks")
        tenant_id = p.tenant_id
    writer = _agent(committed_db, p.token)
    for i in range(20):
        writer.execute("select api.acquire_lock(%s)", (f"f{i}",))
    writer.commit()
    # Every event below the cluster's snapshot horizon first, so the holder can seal them all: a
    # transaction elsewhere on the cluster (an autoanalyze, say) can hold
    # the horizon back for a moment, and the waiter would then find the rest after the holder
    # (9 events in one CI run). Nothing announces when such a transaction ends: re-read.
    with committed_db.connect() as admin:
        poll_until(lambda: admin.execute(
            "select pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot()) > max(e.txid) "
            "from audit.events as e where e.tenant_id = %s", (tenant_id,)).fetchone()[0],  # type: ignore[index]
            "every event of the tenant below the cluster's snapshot horizon")
    # One sealer holds the tenant's sealing lock with its links uncommitted; the other waits.
    holder = psycopg.connect(committed_db.admin_dsn)
    waiter = psycopg.connect(committed_db.admin_dsn)
    assert _seal(holder, tenant_id) > 0
    thread, out = in_thread(lambda: _seal(waiter, tenant_id))
    wait_for_backend(committed_db, waiter.info.backend_pid, "wait_event_type = 'Lock'")
    # A non-waiting sealer gives up at once instead of queueing.
    with committed_db.connect() as third:
        assert third.execute("select audit.seal(%s)", (tenant_id,)).fetchone()[0] == 0
    holder.commit()
    thread.join()
    assert out.get("result") == 0, out  # it saw the holder's links and had nothing left
    waiter.commit()
    with committed_db.connect() as admin:
        _assert_chain(admin, tenant_id)
    holder.close()
    waiter.close()
    writer.close()


def test_many_writers_and_a_busy_sealer_leave_one_complete_chain(committed_db: Database) -> None:
    with committed_db.connect() as admin:
        agents = [make_principal(admin, f"w{i}", tenant="busy") for i in range(6)]
        tenant_id = agents[0].tenant_id
    stop = threading.Event()
    rolled_back: list[str] = []
    lock = threading.Lock()

    def writer(index: int) -> None:
        local = random.Random(index)
        conn = psycopg.connect(committed_db.client_dsn)
        for n in range(25):
            conn.execute("select set_config('request.headers', %s, true)",
                         (json.dumps({"x-coord-token": agents[index].token}),))
            conn.execute("select api.pre_request()")
            path = f"w{index}/f{n}"
            conn.execute("select api.acquire_lock(%s)", (path,))
            if local.random() < 0.3:
                conn.rollback()
                with lock:
                    rolled_back.append(path)
            else:
                conn.commit()
        conn.close()

    def sealer() -> int:
        total = 0
        with committed_db.connect() as conn:
            while not stop.is_set():
                total += conn.execute("select audit.seal(%s)", (tenant_id,)).fetchone()[0]  # type: ignore[index]
        return total

    seal_thread, seal_out = in_thread(sealer)
    threads = [in_thread(lambda i=i: writer(i)) for i in range(len(agents))]
    for thread, out in threads:
        thread.join()
        assert "error" not in out, out
    stop.set()
    seal_thread.join()
    assert "error" not in seal_out, seal_out
    with committed_db.connect() as admin:
        _seal_everything(admin, tenant_id)
        _assert_chain(admin, tenant_id)
        grants = {r[0] for r in admin.execute("select target_id from audit.events where tenant_id = %s "
                                              "and action = 'lock.acquire'", (tenant_id,)).fetchall()}
        assert grants == {f"w{i}/f{n}" for i in range(6) for n in range(25)} - set(rolled_back)
        assert rolled_back  # some transactions did roll back
