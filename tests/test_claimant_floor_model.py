"""Random histories of one claimant against the claimant floor, under a held snapshot (so the
floor moves): claims and batch claims over two connections (committed, rolled back, or rolled
back to a savepoint after completing a held claim), completions, failures with and without
retry, renewals, expiry and the sweep, and claims by hand with any token (drawn now, drawn long
ago, below 0; in read committed or repeatable read). After every step the count is exact and no
claimed task lies below the floor, and every claim took exactly the room its limit left."""

from __future__ import annotations

import uuid

import psycopg
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from coordinator.client import Client
from tests.claimant_floors import burn, check_count, claimant_floor, hold_snapshot, live_claims, set_limit
from tests.conftest import advance_clock, make_principal

LIMIT = 3

ops = st.lists(st.one_of(
    st.tuples(st.just("claim"), st.integers(1, 4), st.booleans(), st.sampled_from(["1 minute", "1 hour"])),
    st.tuples(st.just("claim_rollback"), st.integers(1, 2), st.booleans()),
    st.tuples(st.just("claim_savepoint"), st.integers(0, 5), st.booleans()),
    st.tuples(st.just("complete"), st.integers(0, 5), st.booleans()),
    st.tuples(st.just("fail"), st.integers(0, 5), st.booleans()),
    st.tuples(st.just("renew"), st.integers(0, 5), st.booleans()),
    st.tuples(st.just("expire"), st.just(None), st.just(None)),
    st.tuples(st.just("sweep"), st.just(None), st.just(None)),
    st.tuples(st.just("hand"), st.sampled_from(["now", "old", "negative"]), st.booleans()),
    st.tuples(st.just("burn"), st.just(None), st.just(None)),
), min_size=5, max_size=30)


def _ready(admin: psycopg.Connection, tenant_id) -> int:
    return admin.execute("select count(*) from coord.tasks where tenant_id = %s and kind = 'k' and state = 'queued' "
                         "and pending_deps = 0 and run_after <= coord.clock_now()", (tenant_id,)).fetchone()[0]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=ops)
def test_random_histories_keep_the_claimant_count_exact(committed_db, history) -> None:
    with committed_db.connect() as admin, committed_db.connect(autocommit=False) as report:
        agent = make_principal(admin, "m", tenant=f"claimant-model-{uuid.uuid4().hex[:8]}")
        set_limit(admin, agent, LIMIT)
        reserved = [admin.execute("select nextval('coord.lock_fence_seq')").fetchone()[0] for _ in range(4)]
        negative = -1 - int(uuid.uuid4().int % 10**12)  # tokens are unique across tenants
        hold_snapshot(report)
        with Client(committed_db.client_dsn, agent.token) as a, Client(committed_db.client_dsn, agent.token) as b, \
                committed_db.connect(autocommit=False) as rr:
            held: list[tuple[int, int]] = []

            def pick(i: int) -> tuple[int, int] | None:
                return held.pop(i % len(held)) if held else None

            for op in history:
                name, x, y = op[:3]
                c = a if y else b
                if name == "claim":
                    c.submit_tasks([{"kind": "k"}] * x)
                    live, ready = live_claims(admin, agent), _ready(admin, agent.tenant_id)
                    out = c.claim_tasks(["k"], limit=x, lease=op[3])
                    got = [r for r in out if r.code == "claimed"]
                    assert len(got) == min(x, max(0, LIMIT - live), ready), (op, live, ready, out, history)
                    if live >= LIMIT:
                        assert [(r.code, r.details.get("held")) for r in out] == [("at_limit", live)], (op, out)
                    held += [(r.task_id, r.claim) for r in got]
                elif name == "claim_rollback":
                    c.submit_tasks([{"kind": "k"}] * x)
                    c.connection.execute("begin")
                    c.claim_tasks(["k"], limit=x, lease="1 hour")
                    c.connection.execute("rollback")
                elif name == "claim_savepoint":
                    c.submit_task("k")
                    c.connection.execute("begin")
                    c.connection.execute("savepoint s")
                    gone = pick(x)
                    if gone is not None:
                        c.complete_task(*gone)
                        held.append(gone)  # undone below
                    c.claim_task(["k"], lease="1 hour")
                    c.connection.execute("rollback to savepoint s")
                    c.connection.execute("commit")
                elif name in ("complete", "fail", "renew"):
                    h = pick(x)
                    if h is not None:
                        if name == "complete":
                            c.complete_task(*h)
                        elif name == "fail":
                            c.fail_task(*h, "x", retryable=y)
                        elif c.renew_task(*h, "1 hour").code == "renewed":
                            held.append(h)
                elif name == "expire":
                    advance_clock(admin, "2 minutes")
                elif name == "sweep":
                    admin.execute("select coord.sweep(%s, 100, false)", (agent.tenant_id,))
                elif name == "hand":
                    if x == "now":
                        token = admin.execute("select nextval('coord.lock_fence_seq')").fetchone()[0]
                    elif x == "old" and reserved:
                        token = reserved.pop()
                    else:
                        negative -= 1
                        token = negative
                    task = c.submit_task("h").task_id
                    conn = admin
                    if y:
                        conn = rr
                        rr.execute("set transaction isolation level repeatable read")
                    try:
                        conn.execute("update coord.tasks set state = 'claimed', claim = %s, claimed_by = %s, "
                                     "claimed_at = coord.clock_now(), lease_expires_at = coord.clock_now() + "
                                     "interval '1 hour', attempts = attempts + 1 where id = %s",
                                     (token, agent.principal_id, task))
                        if y:
                            rr.commit()
                        if token > 0:  # the api takes positive tokens only (CO413): the sweep ends the rest
                            held.append((task, token))
                    except (psycopg.errors.SerializationFailure, psycopg.errors.CheckViolation):
                        rr.rollback()  # a token at or below 0 is refused (tasks_claim_check)
                elif name == "burn":
                    burn(admin, c, agent)
                with admin.transaction(force_rollback=True):  # whatever floor move it makes is undone
                    check_count(admin, agent)
            floor = claimant_floor(admin, agent)
            lowest = admin.execute("select min(claim) from coord.tasks where tenant_id = %s and claimed_by = %s "
                                   "and state = 'claimed'", (agent.tenant_id, agent.principal_id)).fetchone()[0]
            event("floor: " + ("none" if floor is None else "at the lowest claim" if floor == lowest
                               else "below the lowest claim" if lowest is not None else "past every claim"))
        report.rollback()
