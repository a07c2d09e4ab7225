"""Completeness of the audit trail: random mutations through the api on several connections,
with transactions left open while others run and then committed or rolled back at random.

Afterwards: every call of a committed transaction has its event (action, target, outcome) in
that transaction; every authorization decision the call took is on its event (engine, rule);
every task and every live lease is explained by events; aborted transactions left nothing;
and nothing else was written. Seeded, so a failure replays exactly."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from uuid import UUID

import psycopg
import pytest

from coordinator.client import Client
from coordinator.errors import CoordError
from tests.conftest import Database, make_principal

Expected = tuple[str, str, str]  # action, target_id, decision


@dataclass
class Worker:
    index: int
    conn: psycopg.Connection
    agent: Client
    narrow: Client  # a token without locks:write: its lock requests are denied (and audited)
    token: str
    open: bool = False
    expected: list[Expected] = field(default_factory=list)
    decided: list[Expected] = field(default_factory=list)  # calls whose event must carry the decision
    held: dict[str, int] = field(default_factory=dict)  # path -> fence, taken in this transaction
    claims: dict[int, int] = field(default_factory=dict)  # task -> claim, in this transaction
    submitted: list[int] = field(default_factory=list)
    session: UUID | None = None
    ids: list[tuple[int, int]] = field(default_factory=list)  # audit ids its calls allocated: (after, upto]


def _step(w: Worker, rng: random.Random, n: int) -> None:
    choice = rng.choice(["acquire", "acquire", "release", "submit", "claim", "complete", "cancel", "network",
                         "session", "denied", "error"])
    agent = w.agent
    if choice == "acquire" or (choice == "release" and not w.held):
        path = f"w{w.index}/f{n}.py"
        result = agent.acquire_lock(path)
        w.expected.append(("lock.acquire", path, result.code))
        w.decided.append(w.expected[-1])
        if result.ok:
            w.held[path] = result.fence  # type: ignore[assignment]
    elif choice == "release":
        path, fence = w.held.popitem()
        result = agent.release_lock(path, fence)
        w.expected.append(("lock.release", path, result.code))
        w.decided.append(w.expected[-1])
    elif choice == "submit":
        task = agent.submit_task(f"k{w.index}", {"n": n})
        w.expected.append(("task.submit", str(task.task_id), "queued"))
        w.submitted.append(task.task_id)  # type: ignore[arg-type]
    elif choice == "claim":
        claim = agent.claim_task([f"k{w.index}"])
        if claim.ok:
            w.expected.append(("task.claimed", str(claim.task_id), "claimed"))
            w.claims[claim.task_id] = claim.claim  # type: ignore[index, assignment]
    elif choice == "complete" and w.claims:
        task_id, claim_token = w.claims.popitem()
        result = agent.complete_task(task_id, claim_token, {"done": n})
        w.expected.append(("task.completed", str(task_id), "completed"))
        assert result.ok
    elif choice == "cancel" and w.submitted:
        task_id = w.submitted.pop()
        result = agent.cancel_task(task_id)
        if result.ok:
            w.expected.append(("task.cancelled", str(task_id), "cancelled"))
    elif choice == "network":
        domain = rng.choice(["example.com", "pypi.org", "evil.example"])
        decision = agent.check_network(domain)
        w.expected.append(("network.check", domain, decision.code))
        w.decided.append(w.expected[-1])
    elif choice == "session":
        if w.session is None:
            # A client of its own: start_session makes the client send the session header.
            started = Client(connection=w.conn, token=w.token).start_session(capabilities=["build"])
            w.session = started.session_id
            w.expected.append(("session.start", str(w.session), "started"))
            w.decided.append(w.expected[-1])
        else:
            in_session = Client(connection=w.conn, token=w.token, session_id=w.session)
            if rng.random() < 0.5:
                beat = in_session.heartbeat("working")
                w.expected.append(("session.heartbeat", str(w.session), beat.code))
                w.decided.append(w.expected[-1])
            else:
                ended = in_session.end_session()
                w.expected.append(("session.end", str(w.session), ended.code))
                w.session = None
    elif choice == "denied":
        path = f"w{w.index}/denied{n}.py"
        result = w.narrow.acquire_lock(path)
        assert result.code == "denied"
        w.expected.append(("lock.acquire", path, "denied"))
        w.decided.append(w.expected[-1])
    elif choice == "error":
        with pytest.raises(CoordError):  # malformed: an error, rolled back to the call's savepoint
            agent.acquire_lock(f"/abs/w{w.index}/{n}")


def _finish(w: Worker, commit: bool, committed: dict[int, list[Expected]], decided: dict[int, list[Expected]],
            aborted: list[int], owner: dict[int, int]) -> None:
    txid = int(w.conn.execute("select pg_current_xact_id()::text").fetchone()[0])  # type: ignore[index]
    for after, upto in w.ids:
        owner.update(dict.fromkeys(range(after + 1, upto + 1), txid))
    if commit:
        w.conn.commit()
        committed[txid] = w.expected
        decided[txid] = w.decided
    else:
        w.conn.rollback()
        aborted.append(txid)
        if any(e[0] == "session.start" for e in w.expected):
            w.session = None
    w.open, w.expected, w.decided, w.held, w.claims = False, [], [], {}, {}
    w.submitted, w.ids = [], []


def test_random_mutations_leave_exactly_their_events(committed_db: Database) -> None:
    rng = random.Random(20261122)
    with committed_db.connect() as admin:
        principals = [make_principal(admin, f"w{i}", tenant="complete") for i in range(4)]
        narrow = make_principal(admin, "narrow", tenant="complete", scopes=["locks:read", "tasks:read"])
        tenant_id = principals[0].tenant_id
        start = admin.execute("select coalesce(max(id), 0) from audit.events").fetchone()[0]  # type: ignore[index]
    workers = []
    for i, p in enumerate(principals):
        conn = psycopg.connect(committed_db.client_dsn)
        workers.append(Worker(i, conn, Client(connection=conn, token=p.token),
                              Client(connection=conn, token=narrow.token), p.token))
    committed: dict[int, list[Expected]] = {}
    decided: dict[int, list[Expected]] = {}
    aborted: list[int] = []
    # Which transaction wrote an event: the steps run one at a time, so the audit ids a step
    # allocates (the sequence is not transactional) are its transaction's. The events' txid is
    # their stream position, which is the writer's id only for its first call (docs/events.md).
    owner: dict[int, int] = {}
    with committed_db.connect() as watcher:
        def allocated() -> int:
            return int(watcher.execute("select coalesce(pg_sequence_last_value(pg_get_serial_sequence("
                                       "'audit.events', 'id')::regclass), 0)").fetchone()[0])  # type: ignore[index]
        for n in range(240):
            w = rng.choice(workers)
            if not w.open:
                w.conn.execute("select 1")  # open the transaction: the client's calls become savepoints in it
                w.open = True
            before = allocated()
            _step(w, rng, n)
            w.ids.append((before, allocated()))
            if rng.random() < 0.25:
                _finish(w, rng.random() < 0.7, committed, decided, aborted, owner)
    for w in workers:
        if w.open:
            _finish(w, True, committed, decided, aborted, owner)
        w.conn.close()
    assert len(committed) > 20 and len(aborted) > 5

    with committed_db.connect() as admin:
        rows = admin.execute("select id, action, target_id, decision, engine, rule "
                             "from audit.events where id > %s", (start,)).fetchall()
        assert all(row[0] in owner for row in rows), "events no step of the test wrote"
        by_tx: dict[int, list[tuple]] = {}
        for row in rows:
            by_tx.setdefault(owner[row[0]], []).append(row[1:])

        # Aborted transactions left nothing; every event belongs to a committed transaction.
        assert not set(by_tx) & set(aborted)
        assert set(by_tx) <= set(committed), "events from transactions the test did not commit"
        for txid, expected in committed.items():
            events = Counter((a, t, d) for a, t, d, _e, _r in by_tx.get(txid, []))
            missing = Counter(expected) - events
            assert not missing, f"transaction {txid}: no event for {sorted(missing)}"
            # Every decision is recorded with the engine and rule that took it.
            with_decision = Counter((a, t, d) for a, t, d, e, r in by_tx.get(txid, []) if e and r)
            undecided = Counter(decided[txid]) - with_decision
            assert not undecided, f"transaction {txid}: decision not recorded for {sorted(undecided)}"

        # Every task and live lease of the tenant is explained by a committed event.
        for task_id, state in admin.execute("select id, state::text from coord.tasks where tenant_id = %s",
                                            (tenant_id,)).fetchall():
            actions = {r[0] for r in admin.execute("select action from audit.events where tenant_id = %s "
                                                   "and target_type = 'task' and target_id = %s",
                                                   (tenant_id, str(task_id))).fetchall()}
            assert "task.submit" in actions, task_id
            if state != "queued":
                assert f"task.{ {'claimed': 'claimed', 'completed': 'completed', 'cancelled': 'cancelled'}[state]}" \
                    in actions, (task_id, state, actions)
        for path, fence in admin.execute("select path, fence from coord.locks where tenant_id = %s",
                                         (tenant_id,)).fetchall():
            assert admin.execute("select count(*) from audit.events where tenant_id = %s and action = 'lock.acquire' "
                                 "and target_id = %s and decision = 'granted' and (details->>'fence')::bigint = %s",
                                 (tenant_id, path, fence)).fetchone()[0] == 1, path  # type: ignore[index]

        # And the chain over all of it verifies.
        admin.execute("select audit.seal(%s, true)", (tenant_id,))
        assert admin.execute("select audit.verify_chain(%s)->>'ok'", (tenant_id,)).fetchone()[0] == "true"


def test_allowed_task_decisions_are_recorded(db: psycopg.Connection, agent_factory) -> None:
    principal, agent = agent_factory(tenant="decisions")
    start = db.execute("select coalesce(max(id), 0) from audit.events").fetchone()[0]
    agent.claim_task(["nothing"])
    task = agent.submit_task("k")
    claim = agent.claim_task(["k"])
    agent.complete_task(task.task_id, claim.claim)
    rows = db.execute("select action, engine, rule from audit.events where id > %s and tenant_id = %s order by id",
                      (start, principal.tenant_id)).fetchall()
    assert [a for a, _e, _r in rows if a.startswith("task.")][:1] == ["task.claim"], "the empty claim"
    assert all(e == "native" and r for _a, e, r in rows), rows
