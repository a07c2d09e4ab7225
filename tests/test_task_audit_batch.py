"""The task batches write the task events single calls write: submit_tasks, claim_tasks and
complete_tasks against submit_task, claim_task and complete_task, every column but the id. The
events of one statement on coord.tasks are written together after it (coord.tg_tasks__submitted,
coord.tg_tasks__audited), one per task in task id order; the ordering rule is in
docs/architecture.md ("The audit log's order")."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from tests.conftest import advance_clock

COLUMNS = ("tenant_id, occurred_at, actor_type, actor_id, actor_name, action, target_type, target_id, decision, "
           "engine, rule, reason, severity, details, request, chain_seq, prev_hash, hash")
SEQUENCES = ("coord.tasks_id_seq", "coord.lock_fence_seq")


def _mark(db: psycopg.Connection) -> int:
    return db.execute("select coalesce(max(id), 0) from audit.events").fetchone()[0]


def _task_events(db: psycopg.Connection, since: int) -> list[tuple[Any, ...]]:
    """Every event after ``since`` that targets a task, in id order, without the id. What differs
    by nature between a single call and a batch call is checked and left out: a claim's
    lease_expires_at (read from the running clock, coord.clock_now, which moves between the two
    runs), the request's path (the endpoint called) and the stream position txid (single calls
    run in a transaction each; here both runs share the test's transaction, where it only says
    whether the transaction had an id when it first wrote): equal within each call's events."""
    rows = db.execute(f"select txid, {COLUMNS} from audit.events where id > %s and target_type = 'task' order by id",
                      (since,)).fetchall()
    out = []
    for txid, *row in rows:
        assert txid is not None
        details = dict(row[13])
        if row[5] == "task.claimed":
            assert details.pop("lease_expires_at")
        request = dict(row[14])
        assert request.pop("path").startswith("/rpc/")
        out.append((*row[:13], details, request, *row[15:]))
    return out


def _rewind(db: psycopg.Connection, saved: list[tuple[str, int, bool]]) -> None:
    """Sequences are not transactional: put the task ids and the claim tokens back where they were."""
    for name, value, called in saved:
        db.execute("select pg_catalog.setval(%s::regclass, %s, %s)", (name, value, called))


def _singles(alice) -> list[Any]:
    a = alice.submit_task("k", {"n": 1}, priority=5)
    b = alice.submit_task("k", {"n": 2})
    c = alice.submit_task("k", {"n": 3}, depends_on=[a.task_id, b.task_id], unique_key="c")
    dup = alice.submit_task("k", {"n": 4}, unique_key="c")
    claims = [alice.claim_task(["k"]), alice.claim_task(["k"])]
    done = [alice.complete_task(x.task_id, x.claim, {"ok": x.task_id}) for x in claims]
    last = alice.claim_task(["k"])
    done.append(alice.complete_task(last.task_id, last.claim))
    return [a, b, c, dup, *claims, last, *done]


def _batches(alice) -> list[Any]:
    submitted = alice.submit_tasks([
        {"kind": "k", "payload": {"n": 1}, "priority": 5, "ref": "a"},
        {"kind": "k", "payload": {"n": 2}, "ref": "b"},
        {"kind": "k", "payload": {"n": 3}, "depends_on": ["a", "b"], "unique_key": "c"},
        {"kind": "k", "payload": {"n": 4}, "unique_key": "c"},
    ])
    claims = alice.claim_tasks(["k"], limit=5)
    done = alice.complete_tasks([{"task_id": x.task_id, "claim": x.claim, "result": {"ok": x.task_id}}
                                 for x in claims])
    [last] = alice.claim_tasks(["k"], limit=5)
    done += alice.complete_tasks([{"task_id": last.task_id, "claim": last.claim}])
    return [*submitted, *claims, last, *done]


def test_batch_calls_write_the_events_single_calls_write(db: psycopg.Connection, agent_factory) -> None:
    _, alice = agent_factory("alice")
    saved = [(name, *db.execute(f"select last_value, is_called from {name}").fetchone()) for name in SEQUENCES]
    db.execute("savepoint before_singles")
    since = _mark(db)
    singles = _singles(alice)
    one_by_one = _task_events(db, since)
    db.execute("rollback to savepoint before_singles")
    _rewind(db, saved)
    since = _mark(db)
    batches = _batches(alice)
    together = _task_events(db, since)

    # The same calls' outcomes: ids, claims and codes (the duplicate names the pending task).
    def shape(results: list[Any]) -> list[tuple[Any, ...]]:
        return [(r.code, r.task_id, getattr(r, "claim", None)) for r in results]

    assert shape(batches) == shape(singles)
    assert [r.details.get("dependents_notified") for r in batches[-3:]] == [1, 1, 0]
    assert [r.details.get("dependents_notified") for r in singles[-3:]] == [1, 1, 0]
    # Every event of every task, in the same order, equal in every column but the id.
    assert [(e[5], e[8]) for e in together] == [
        ("task.submit", "queued"), ("task.submit", "queued"), ("task.submit", "queued"), ("task.submit", "duplicate"),
        ("task.claimed", "claimed"), ("task.claimed", "claimed"),
        ("task.completed", "completed"), ("task.completed", "completed"),
        ("task.claimed", "claimed"), ("task.completed", "completed")]
    assert together == one_by_one
    assert {e[4] for e in together} == {"alice"} and {e[2] for e in together} == {"agent"}
    assert all(e[9] is not None for e in together[:3])  # the gate's decision (engine) rides on each


def test_a_batch_writes_its_events_in_task_id_order_after_the_statement(db: psycopg.Connection,
                                                                        agent_factory) -> None:
    _, alice = agent_factory("alice")
    ids = [r.task_id for r in alice.submit_tasks([{"kind": "k", "priority": p} for p in (0, 9, 3, 9)])]
    since = _mark(db)
    claims = alice.claim_tasks(["k"], limit=4)
    assert [c.task_id for c in claims] == [ids[1], ids[3], ids[2], ids[0]]  # rows in claim order
    events = db.execute("select id, target_id, details ->> 'claim' from audit.events "
                        "where id > %s and action = 'task.claimed' order by id", (since,)).fetchall()
    assert [int(e[1]) for e in events] == sorted(ids)  # events in task id order, ids consecutive
    assert [e[0] for e in events] == list(range(events[0][0], events[0][0] + 4))
    assert {int(e[2]) for e in events} == {c.claim for c in claims}


def test_a_change_by_hand_is_audited_per_task_and_an_id_never_changes(db: psycopg.Connection,
                                                                       agent_factory) -> None:
    _, alice = agent_factory("alice")
    ids = [r.task_id for r in alice.submit_tasks([{"kind": "k"}, {"kind": "k"}, {"kind": "k"}])]
    since = _mark(db)
    # The owner cancels two tasks in one statement and touches a third without changing its state.
    db.execute("update coord.tasks set state = case when id = %s then state else 'cancelled' end, priority = 7, "
               "finished_at = case when id = %s then null else coord.now() end where id = any(%s)",
               (ids[1], ids[1], ids))
    rows = db.execute("select target_id, action, decision, severity, actor_type, details ->> 'from', "
                      "details ->> 'to' from audit.events where id > %s order by id", (since,)).fetchall()
    assert rows == [(str(ids[0]), "task.direct_change", "cancelled", "warning", "system", "queued", "cancelled"),
                    (str(ids[2]), "task.direct_change", "cancelled", "warning", "system", "queued", "cancelled")]
    db.execute("alter table coord.tasks alter column id set generated by default")  # an owner could
    with pytest.raises(psycopg.DatabaseError) as refused:
        db.execute("update coord.tasks set id = id + 1000 where id = %s", (ids[1],))
    assert refused.value.sqlstate == "CO411" and "keeps its id" in str(refused.value)


def test_a_one_task_statement_writes_the_event_a_many_task_statement_writes(db: psycopg.Connection,
                                                                           agent_factory) -> None:
    """coord.tg_tasks__audited writes the event of a statement that moved one task from its row
    (no set query): the same event, column for column, as a statement that moved several, for a
    change that says why (a reason, info) and one that does not (direct_change, a warning, the
    system)."""
    _, alice = agent_factory("alice")
    ids = [r.task_id for r in alice.submit_tasks([{"kind": "k", "max_attempts": 5}] * 8)]
    since = _mark(db)
    said = "update coord.tasks set state = 'cancelled', finished_at = coord.now(), last_event = 'cancelled', " \
           "last_error = 'stopped by hand' where id = any(%s)"
    unsaid = "update coord.tasks set state = 'cancelled', finished_at = coord.now() where id = any(%s)"
    for statement, groups in ((said, ([ids[0], ids[1]], [ids[2]], [ids[3]])),
                              (unsaid, ([ids[4], ids[5]], [ids[6]], [ids[7]]))):
        for group in groups:
            db.execute(statement, (group,))
    rows = db.execute("select target_id, action, decision, target_type, severity, actor_type::text, actor_name, "
                      "reason, details, tenant_id from audit.events where id > %s order by id", (since,)).fetchall()
    assert [int(r[0]) for r in rows] == ids
    events = [r[1:] for r in rows]
    assert events[0][:4] == ("task.cancelled", "cancelled", "task", "info") and events[0][6] == "stopped by hand"
    assert events[4][:5] == ("task.direct_change", "cancelled", "task", "warning", "system")
    assert (events[0][7]["from"], events[0][7]["to"], events[0][7]["max_attempts"]) == ("queued", "cancelled", 5)
    # The pair's events (many rows) against the single statements' (one row each).
    assert events[0] == events[1] == events[2] == events[3]
    assert events[4] == events[5] == events[6] == events[7]


def test_a_one_task_rescue_in_an_agents_call_is_the_systems(db: psycopg.Connection, agent_factory) -> None:
    # The lazy rescue of an expired claim moves one task inside the agent's completion: its event
    # (coord.tg_tasks__audited's one-row path) is the system's, as a sweep's would be.
    _, alice = agent_factory("alice")
    task_id = alice.submit_task("k").task_id
    claim = alice.claim_task(["k"], lease="5 seconds")
    advance_clock(db, "6 seconds")
    since = _mark(db)
    assert alice.complete_task(task_id, claim.claim).code == "expired"
    rows = db.execute("select action, decision, severity, actor_type::text, details ->> 'claim' from audit.events "
                      "where id > %s and target_type = 'task' and target_id = %s order by id",
                      (since, str(task_id))).fetchall()
    assert rows[0] == ("task.expired", "queued", "info", "system", str(claim.claim)), rows
