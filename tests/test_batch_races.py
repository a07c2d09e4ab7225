"""Batches of leases against each other and against single calls, on real connections: they
wait for each other and never deadlock. Each test's database runs with a deadlock_timeout far
beyond the statement timeout, so a deadlock shows as a statement timeout (57014), not as a
retry nobody sees."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest

from coordinator.client import Client
from tests.conftest import Database, in_thread, make_principal, wait_for_backend


@pytest.fixture
def slow_deadlocks(committed_db: Database) -> Database:
    with committed_db.connect() as admin:
        admin.autocommit = True
        admin.execute(f"alter database {committed_db.name} set deadlock_timeout = '60s'")
    return committed_db


@contextmanager
def _client(database: Database, token: str) -> Iterator[Client]:
    with psycopg.connect(database.client_dsn, autocommit=True) as conn:
        conn.execute("set statement_timeout = '15s'")
        yield Client(connection=conn, token=token)


def _gate(database: Database, key: int, condition: str) -> psycopg.Connection:
    """A trigger that parks an insert into coord.locks matching condition on advisory lock key,
    which the returned connection holds until the test lets it go (public.gate_<key>_delete
    does the same for a delete trigger the test creates)."""
    with database.connect() as admin:
        admin.execute(f"create function public.gate_{key}() returns trigger language plpgsql as "
                      f"$$ begin if {condition} then perform pg_advisory_xact_lock_shared({key}); end if; "
                      f"return new; end $$")
        admin.execute(f"create trigger zz_gate_{key} before insert on coord.locks "
                      f"for each row execute function public.gate_{key}()")
        admin.execute(f"create function public.gate_{key}_delete() returns trigger language plpgsql as "
                      f"$$ begin perform pg_advisory_xact_lock_shared({key}); return old; end $$")
    gate = database.connect()
    gate.autocommit = True
    gate.execute("select pg_advisory_lock(%s)", (key,))
    return gate


def test_a_batch_takes_its_locks_in_the_order_single_calls_take_theirs(slow_deadlocks: Database) -> None:
    """a-b sorts before a/c by name, but a (the directory of a/c) before a-b by depth: a batch
    taking a-b's lock before a's would deadlock with one taking a before a-b."""
    with slow_deadlocks.connect() as admin:
        a, b = make_principal(admin, "a", tenant="order"), make_principal(admin, "b", tenant="order")
    gate = _gate(slow_deadlocks, 7101, f"new.path = 'a-b' and new.holder_id = '{a.principal_id}'")
    with gate, _client(slow_deadlocks, a.token) as first, _client(slow_deadlocks, b.token) as second:
        t1, o1 = in_thread(lambda: first.acquire_locks(["a-b", "a/c"]))
        wait_for_backend(slow_deadlocks, first.connection.info.backend_pid, "wait_event_type = 'Lock'")
        t2, o2 = in_thread(lambda: second.acquire_locks(["a", "a-b"]))
        wait_for_backend(slow_deadlocks, second.connection.info.backend_pid, "wait_event_type = 'Lock'")
        gate.execute("select pg_advisory_unlock(7101)")
        t1.join()
        t2.join()
    assert "error" not in o1 and "error" not in o2, (o1, o2)
    assert [r.code for r in o1["result"]] == ["granted", "granted"]  # type: ignore[attr-defined]
    assert [r.code for r in o2["result"]] == ["busy", "busy"]  # type: ignore[attr-defined]


PATHS = ["a", "a/x", "a/x/y", "a-b", "a-b/z", "b/", "b/y", "c.py"]


def test_overlapping_batches_and_single_calls_never_deadlock(slow_deadlocks: Database) -> None:
    """Agents acquire overlapping sets (files, their directories, names sorting between them) in
    opposite orders, as batches and one path at a time, and release what they got, many rounds."""
    with slow_deadlocks.connect() as admin:
        agents = [make_principal(admin, f"r{i}", tenant="rounds") for i in range(4)]
    sets = [list(s) for s in itertools.combinations(PATHS, 3)]
    errors: list[BaseException] = []
    outcomes: dict[str, int] = {}
    lock = threading.Lock()

    def work(index: int) -> None:
        try:
            with _client(slow_deadlocks, agents[index].token) as client:
                for round_ in range(40):
                    paths = sets[(round_ * 7 + index * 13) % len(sets)]
                    if index % 2:
                        paths = paths[::-1]
                    if index == 3 and round_ % 2:  # single calls among the batches
                        rows = [client.acquire_lock(p, mode="shared" if round_ % 4 == 1 else "exclusive")
                                for p in paths]
                        for row in rows:
                            if row.ok:
                                assert client.release_lock(row.path, row.fence).code == "released"
                    else:
                        rows = client.acquire_locks(paths, mode="shared" if round_ % 3 == 0 else "exclusive")
                        assert len({r.ok for r in rows}) == 1, rows  # all or none
                        if rows[0].ok:
                            released = client.release_locks([r.path for r in rows], [r.fence for r in rows])
                            assert {r.code for r in released} == {"released"}, released
                    with lock:
                        for row in rows:
                            outcomes[row.code] = outcomes.get(row.code, 0) + 1
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(agents))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert outcomes.get("granted", 0) > 0
    with slow_deadlocks.connect() as admin:
        assert admin.execute("select count(*) from coord.locks").fetchone() == (0,)


def test_completion_batches_sharing_dependents_never_deadlock(slow_deadlocks: Database) -> None:
    """A completes t1 and t3, B completes t2 and t4; D waits on t1 and t4, E on t2 and t3. Counting
    dependents down task by task, A would lock D then E and B E then D: the batch locks every
    dependent first, in id order."""
    with slow_deadlocks.connect() as admin:
        a, b = make_principal(admin, "a", tenant="deps"), make_principal(admin, "b", tenant="deps")
    with _client(slow_deadlocks, a.token) as first, _client(slow_deadlocks, b.token) as second:
        t1, t2, t3, t4 = (first.submit_task(kind).task_id for kind in ("ka", "kb", "ka", "kb"))
        d = first.submit_task("dep", depends_on=[t1, t4]).task_id
        first.submit_task("dep", depends_on=[t2, t3])
        mine = [(c.task_id, c.claim) for c in first.claim_tasks(["ka"], limit=2)]
        theirs = [(c.task_id, c.claim) for c in second.claim_tasks(["kb"], limit=2)]
        with slow_deadlocks.connect() as admin:  # park A once it has counted D down
            admin.execute("create function public.gate_7102() returns trigger language plpgsql as "
                          "$$ begin if new.pending_deps < old.pending_deps then "
                          "perform pg_advisory_xact_lock_shared(7102); end if; return new; end $$")
            admin.execute(f"create trigger zz_gate_7102 after update on coord.tasks for each row "
                          f"when (new.id = {d}) execute function public.gate_7102()")
        gate = slow_deadlocks.connect()
        gate.autocommit = True
        gate.execute("select pg_advisory_lock(7102)")
        with gate:
            o1_thread, o1 = in_thread(lambda: first.complete_tasks([{"task_id": t, "claim": c} for t, c in mine]))
            wait_for_backend(slow_deadlocks, first.connection.info.backend_pid, "wait_event_type = 'Lock'")
            o2_thread, o2 = in_thread(lambda: second.complete_tasks([{"task_id": t, "claim": c} for t, c in theirs]))
            wait_for_backend(slow_deadlocks, second.connection.info.backend_pid, "wait_event_type = 'Lock'")
            gate.execute("select pg_advisory_unlock(7102)")
            o1_thread.join()
            o2_thread.join()
        assert "error" not in o1 and "error" not in o2, (o1, o2)
        assert [r.code for r in o1["result"] + o2["result"]] == ["completed"] * 4  # type: ignore[operator]
        assert [c.code for c in first.claim_tasks(["dep"], limit=2)] == ["claimed", "claimed"]


def test_a_release_batch_and_an_acquire_lock_lease_rows_in_one_order(slow_deadlocks: Database) -> None:
    """H releases src/b.py then src/a.py (newer lease first); X's shared acquire of src/ locks
    the overlapping lease rows in id order (src/a.py first). Locking row by row in input order,
    H would hold src/b.py while X holds src/a.py: the batch locks its rows in id order first."""
    with slow_deadlocks.connect() as admin:
        h, x = make_principal(admin, "h", tenant="rel"), make_principal(admin, "x", tenant="rel")
    with _client(slow_deadlocks, h.token) as holder, _client(slow_deadlocks, x.token) as other:
        leases = holder.acquire_locks(["src/a.py", "src/b.py"], mode="shared")
        gate = _gate(slow_deadlocks, 7103, "false")  # created for its function; the delete trigger parks H
        with slow_deadlocks.connect() as admin:
            admin.execute("create trigger zz_gate_7103_delete before delete on coord.locks for each row "
                          "when (old.path = 'src/b.py') execute function public.gate_7103_delete()")
        with gate:
            t1, o1 = in_thread(lambda: holder.release_locks(["src/b.py", "src/a.py"],
                                                            [leases[1].fence or 0, leases[0].fence or 0]))
            wait_for_backend(slow_deadlocks, holder.connection.info.backend_pid, "wait_event_type = 'Lock'")
            t2, o2 = in_thread(lambda: other.acquire_lock("src/", mode="shared"))
            wait_for_backend(slow_deadlocks, other.connection.info.backend_pid, "wait_event_type = 'Lock'")
            gate.execute("select pg_advisory_unlock(7103)")
            t1.join()
            t2.join()
    assert "error" not in o1 and "error" not in o2, (o1, o2)
    assert [r.code for r in o1["result"]] == ["released", "released"]  # type: ignore[attr-defined]
    assert o2["result"].code == "granted"  # type: ignore[attr-defined]
