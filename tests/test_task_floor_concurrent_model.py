"""Random concurrent queue histories against the claim floor: two workers act in transactions
they hold open across other calls (submits, claims, completions that make dependents ready,
retries; then rolled back or committed), while a claimant acts in autocommit. Each of its claims must take exactly the
task a scan of the whole ready index would (first by priority then id among committed ready tasks
no open transaction holds), and no committed ready task may lie below its kind's floor."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from coordinator.client import Client
from coordinator.errors import CoordError
from tests.conftest import advance_clock, make_principal

# Every claim of one kind tries to move the claim floor (coord.task_floor_lag = 0): these tests
# check what keeps a moving floor safe. The default lag is tests/test_task_floor_lag.py's.
pytestmark = pytest.mark.usefixtures("eager_task_floor")

KINDS = ["a", "b"]
LEASE = "24 hours"
WORKERS = [1, 2]

ops = st.lists(st.one_of(
    st.tuples(st.just("submit"), st.sampled_from([0, *WORKERS]), st.sampled_from(KINDS), st.integers(0, 2),
              st.integers(-1, 8)),
    st.tuples(st.just("end"), st.sampled_from(WORKERS), st.booleans()),
    st.tuples(st.just("claim"), st.sampled_from([0, 0, *WORKERS]), st.sampled_from([*KINDS, None])),
    st.tuples(st.just("complete"), st.sampled_from([0, *WORKERS]), st.integers(0, 5)),
    st.tuples(st.just("fail"), st.sampled_from([0, *WORKERS]), st.integers(0, 5), st.booleans()),
), min_size=5, max_size=40)


def _violations(admin: psycopg.Connection, tenant_id) -> list:
    return admin.execute(
        "select f.kind, pg_sequence_last_value(f.floor), t.id from coord.task_ready_floors as f "
        "join coord.tasks as t on t.tenant_id = f.tenant_id and t.kind = f.kind "
        "where f.tenant_id = %s and t.state = 'queued' and t.pending_deps = 0 "
        "and t.id < coalesce(pg_sequence_last_value(f.floor), 0) "
        "and f.incarnation = coord.task_floor_incarnation()", (tenant_id,)).fetchall()


def _expected(admin_tx: psycopg.Connection, tenant_id, kinds: list[str]) -> int | None:
    """The task a claim of kinds scanning every ready entry takes: committed, ready, due, and not
    held by an open transaction (SKIP LOCKED, as the claim), read in a transaction rolled back."""
    try:
        row = admin_tx.execute(
            "select id from coord.tasks where tenant_id = %s and kind = any (%s) and state = 'queued' "
            "and pending_deps = 0 and run_after <= coord.clock_now() order by priority desc, id limit 1 "
            "for update skip locked", (tenant_id, kinds)).fetchone()
    finally:
        admin_tx.rollback()
    return None if row is None else row[0]


class _Worker:
    def __init__(self, client: Client) -> None:
        self.client = client
        self.open = False
        self.held: list[tuple[int, int]] = []  # claims committed (or taken in the open transaction)
        self.undo: list[tuple[int, int]] = []  # what a rollback gives back to held
        self.taken: list[tuple[int, int]] = []  # claims taken in the open transaction

    def call(self, fn, *args, **kwargs):
        """Runs fn(*args, **kwargs); an error inside the open transaction aborts it (rolled back)."""
        try:
            return fn(*args, **kwargs)
        except (CoordError, psycopg.Error):
            if self.open:
                self.end(False)
            return None

    def end(self, commit: bool) -> None:
        self.client.connection.execute("commit" if commit else "rollback")
        if not commit:
            self.held = [h for h in self.held if h not in self.taken] + self.undo
        self.open, self.undo, self.taken = False, [], []


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=ops)
@example(history=[("submit", 1, "a", 0, -1), ("claim", 0, "a"), ("end", 1, True), ("claim", 0, "a")])
def test_concurrent_histories_never_skip_a_ready_task(committed_db, history) -> None:
    tenant = f"floor-conc-{uuid.uuid4().hex[:8]}"
    with committed_db.connect() as admin, committed_db.connect(autocommit=False) as admin_tx:
        principals = [make_principal(admin, f"w{i}", tenant=tenant) for i in range(3)]
        tenant_id = principals[0].tenant_id
        clients = [Client(committed_db.client_dsn, p.token) for p in principals]
        try:
            for c in clients[1:]:
                c.connection.execute("set lock_timeout = '200ms'")  # a call that would wait on an open one fails
            clients[0].connection.execute("set lock_timeout = '200ms'")
            workers = [_Worker(c) for c in clients]
            for kind in KINDS:  # each kind takes its floor, usable from the history's first claim on
                for _ in range(2):
                    assert clients[0].claim_task([kind], lease=LEASE).code == "empty"
            tasks: list[int] = []
            for op in history:
                name, who = op[0], op[1]
                w = workers[who]
                if who != 0 and name != "end" and not w.open:  # a worker acts in a transaction it holds open
                    w.client.connection.execute("begin")
                    w.open = True
                if name == "end" and w.open:
                    w.end(op[2])
                elif name == "submit":
                    deps = [tasks[op[4]]] if 0 <= op[4] < len(tasks) else None
                    r = w.call(w.client.submit_task, op[2], priority=op[3], depends_on=deps)
                    if r is not None and r.task_id is not None:
                        tasks.append(r.task_id)
                elif name == "claim":
                    kinds = KINDS if op[2] is None else [op[2]]
                    if who == 0:
                        advance_clock(admin, "11 minutes")  # every retry backoff (at most 600 s) is due
                        expected = _expected(admin_tx, tenant_id, kinds)
                    r = w.call(w.client.claim_task, kinds, lease=LEASE)
                    if who == 0:
                        got = r.task_id if r is not None and r.code == "claimed" else None
                        assert got == expected, (kinds, got, expected, history)
                    if r is not None and r.code == "claimed":
                        w.held.append((r.task_id, r.claim))
                        if w.open:
                            w.taken.append((r.task_id, r.claim))
                elif name in ("complete", "fail") and w.held:
                    held = w.held.pop(op[2] % len(w.held))
                    if w.open:
                        w.undo.append(held)
                    if name == "complete":
                        w.call(w.client.complete_task, held[0], held[1])
                    else:
                        w.call(w.client.fail_task, held[0], held[1], "x", retryable=op[3])
                assert _violations(admin, tenant_id) == [], (op, history)
            for w in workers:
                if w.open:
                    w.end(False)
            assert _violations(admin, tenant_id) == [], history
            advance_clock(admin, "11 minutes")
            for kind in KINDS:  # every ready task is claimed, in order
                while True:
                    expected = _expected(admin_tx, tenant_id, [kind])
                    r = clients[0].claim_task([kind], lease=LEASE)
                    got = r.task_id if r.code == "claimed" else None
                    assert got == expected, (kind, got, expected, history)
                    if got is None:
                        break
        finally:
            for c in clients:
                c.close()
