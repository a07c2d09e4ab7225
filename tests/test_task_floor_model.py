"""Random queue histories against the claim floor: after every step no ready task lies below
its kind's floor, and each committed single-kind claim takes the first eligible task in
priority-then-age order."""

from __future__ import annotations

import contextlib
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coordinator.client import Client
from coordinator.errors import Conflict
from tests.conftest import advance_clock, make_principal

# Every claim of one kind tries to move the claim floor (coord.task_floor_lag = 0): these tests
# check what keeps a moving floor safe. The default lag is tests/test_task_floor_lag.py's.
pytestmark = pytest.mark.usefixtures("eager_task_floor")

KINDS = ["a", "b"]

ops = st.lists(st.one_of(
    st.tuples(st.just("submit"), st.sampled_from(KINDS), st.integers(0, 2), st.integers(-1, 6)),
    st.tuples(st.just("claim"), st.sampled_from(KINDS)),
    st.tuples(st.just("claim_many"), st.just(None)),
    st.tuples(st.just("claim_rollback"), st.sampled_from(KINDS)),
    st.tuples(st.just("complete"), st.integers(0, 6)),
    st.tuples(st.just("fail"), st.integers(0, 6), st.booleans()),
    st.tuples(st.just("cancel"), st.integers(0, 8)),
    st.tuples(st.just("expire"), st.just(None)),
    st.tuples(st.just("open_submit"), st.sampled_from(KINDS)),
    st.tuples(st.just("close"), st.booleans()),
), min_size=5, max_size=40)


def _violations(admin, tenant_id) -> list:
    return admin.execute(
        "select f.kind, pg_sequence_last_value(f.floor), t.id from coord.task_ready_floors as f "
        "join coord.tasks as t on t.tenant_id = f.tenant_id and t.kind = f.kind "
        "where f.tenant_id = %s and t.state = 'queued' and t.pending_deps = 0 "
        "and t.id < coalesce(pg_sequence_last_value(f.floor), 0) "
        "and f.incarnation = coord.task_floor_incarnation()", (tenant_id,)).fetchall()


def _expected(admin, tenant_id, kind):
    row = admin.execute(
        "select id from coord.tasks where tenant_id = %s and kind = %s and state = 'queued' and pending_deps = 0 "
        "and run_after <= coord.now() order by priority desc, id limit 1", (tenant_id, kind)).fetchone()
    return None if row is None else row[0]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=ops)
def test_random_histories_keep_every_ready_task_at_or_above_its_floor(committed_db, history) -> None:
    with committed_db.connect() as admin:
        agent = make_principal(admin, "m", tenant=f"floor-model-{uuid.uuid4().hex[:8]}")
        with Client(committed_db.client_dsn, agent.token) as c, Client(committed_db.client_dsn, agent.token) as slow:
            tasks: list[int] = []
            held: list[tuple[int, int]] = []
            open_txn = False
            for op in history:
                name = op[0]
                if name == "submit":
                    deps = [tasks[op[3]]] if 0 <= op[3] < len(tasks) else None
                    with contextlib.suppress(Conflict):  # the dependency failed or was cancelled
                        tasks.append(c.submit_task(op[1], priority=op[2], depends_on=deps).task_id)
                elif name in ("claim", "claim_rollback"):
                    expected = _expected(admin, agent.tenant_id, op[1])
                    if name == "claim_rollback":
                        c.connection.execute("begin")
                    r = c.claim_task([op[1]], lease="1 hour")
                    if name == "claim_rollback":
                        c.connection.execute("rollback")
                    elif r.code == "claimed":
                        held.append((r.task_id, r.claim))
                    if not open_txn:
                        assert (r.task_id if r.code == "claimed" else None) == expected, (op, r.code, history)
                elif name == "claim_many":
                    r = c.claim_task(KINDS, lease="1 hour")
                    if r.code == "claimed":
                        held.append((r.task_id, r.claim))
                elif name in ("complete", "fail") and held:
                    tid, claim = held.pop(op[1] % len(held))
                    if name == "complete":
                        c.complete_task(tid, claim)
                    else:
                        c.fail_task(tid, claim, "x", retryable=op[2])
                elif name == "cancel" and tasks:
                    c.cancel_task(tasks[op[1] % len(tasks)])
                    held = [h for h in held if h[0] != tasks[op[1] % len(tasks)]]
                elif name == "expire":
                    advance_clock(admin, "3 hours")
                    held = []
                elif name == "open_submit" and not open_txn:
                    slow.connection.execute("begin")
                    slow.submit_task(op[1])
                    open_txn = True
                elif name == "close" and open_txn:
                    slow.connection.execute("commit" if op[1] else "rollback")
                    open_txn = False
                assert _violations(admin, agent.tenant_id) == [], (op, history)
            if open_txn:
                slow.connection.execute("rollback")
