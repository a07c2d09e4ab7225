"""The batch endpoints acquire_locks, release_locks and complete_tasks: all or none, one
decision and one audit event per item, rows in input order; malformed batches are errors that
write nothing."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coordinator.errors import CoordError
from tests.conftest import advance_clock


def _codes(rows: list[dict[str, Any]]) -> list[str]:
    return [r["code"] for r in rows]


def _events(db: psycopg.Connection, action: str, since: int) -> list[tuple[str, str]]:
    return [tuple(r) for r in db.execute(
        "select target_id, decision from audit.events where action = %s and id > %s order by id",
        (action, since)).fetchall()]


def _last_event(db: psycopg.Connection) -> int:
    return db.execute("select coalesce(max(id), 0) from audit.events").fetchone()[0]


def test_acquire_locks_takes_every_path_in_input_order(db, agent_factory) -> None:
    _, alice = agent_factory("alice")
    since = _last_event(db)
    rows = alice.call("acquire_locks", {"p_paths": ["src/b.py", "./src/a.py", "docs/"], "p_reason": "refactor"})
    assert [(r["code"], r["path"]) for r in rows] == [("granted", "src/b.py"), ("granted", "src/a.py"),
                                                      ("granted", "docs/")]
    assert rows[0]["fence"] < rows[1]["fence"] < rows[2]["fence"]  # fences in input order, as single calls give
    assert sorted((lease.path, lease.fence) for lease in alice.my_locks()) == sorted(
        (r["path"], r["fence"]) for r in rows)
    assert _events(db, "lock.acquire", since) == [("src/b.py", "granted"), ("src/a.py", "granted"),
                                                  ("docs/", "granted")]
    again = alice.call("acquire_locks", {"p_paths": ["src/a.py", "src/c.py"]})
    assert _codes(again) == ["renewed", "granted"] and again[0]["fence"] == rows[1]["fence"]


def test_acquire_locks_takes_nothing_when_one_path_is_busy(db, agent_factory) -> None:
    _, alice = agent_factory("alice")
    _, bob = agent_factory("bob")
    held = bob.acquire_lock("src/b.py")
    since = _last_event(db)
    rows = alice.call("acquire_locks", {"p_paths": ["src/a.py", "src/b.py", "src/c.py"]})
    assert _codes(rows) == ["batch_refused", "busy", "batch_refused"]
    assert [r["ok"] for r in rows] == [False, False, False]
    assert rows[1]["holder_name"] == "bob" and rows[0]["fence"] is None
    assert rows[0]["details"]["refused"] == [{"path": "src/b.py", "code": "busy"}]
    assert alice.my_locks() == []
    assert _events(db, "lock.acquire", since) == [("src/a.py", "batch_refused"), ("src/b.py", "busy"),
                                                  ("src/c.py", "batch_refused")]
    assert bob.release_lock("src/b.py", held.fence).code == "released"
    assert _codes(alice.call("acquire_locks", {"p_paths": ["src/a.py", "src/b.py", "src/c.py"]})) == ["granted"] * 3


def test_acquire_locks_refuses_the_batch_a_profile_refuses_for_one_path(db, agent_factory) -> None:
    _, alice = agent_factory("alice")
    _, boss = agent_factory("boss", role="operator")
    assert boss.create_profile("two", 2, {"max_locks": 2}).ok
    assert boss.assign_profile("alice", "two").ok
    rows = alice.call("acquire_locks", {"p_paths": ["a.py", "b.py", "c.py"]})
    assert _codes(rows) == ["at_limit"] * 3 and rows[0]["details"]["limit"] == 2
    assert alice.my_locks() == []
    assert _codes(alice.call("acquire_locks", {"p_paths": ["a.py", "b.py"]})) == ["granted"] * 2


@pytest.mark.parametrize(("paths", "code"), [([], "CO218"), ([f"f{i}.py" for i in range(101)], "CO218"),
                                             (["a.py", "./a.py"], "CO218"), (["src", "src/"], "CO218"),
                                             (["a.py", "../x"], "CO204"), ([["a.py"]], "CO241")])
def test_malformed_lock_batches_are_errors_that_write_nothing(db, agent_factory, paths, code) -> None:
    _, alice = agent_factory()
    since = _last_event(db)
    with pytest.raises(CoordError) as caught:
        alice.call("acquire_locks", {"p_paths": paths})
    assert caught.value.code == code
    assert _last_event(db) == since


def test_release_locks_all_or_none(db, agent_factory) -> None:
    _, alice = agent_factory("alice")
    rows = alice.call("acquire_locks", {"p_paths": ["a.py", "b.py", "c.py"]})
    fences = [r["fence"] for r in rows]
    since = _last_event(db)
    refused = alice.call("release_locks", {"p_paths": ["a.py", "b.py", "c.py"], "p_fences": [fences[0], 1, fences[2]]})
    assert _codes(refused) == ["batch_refused", "stale_fence", "batch_refused"]
    assert len(alice.my_locks()) == 3
    assert _events(db, "lock.release", since) == [("a.py", "batch_refused"), ("b.py", "stale_fence"),
                                                  ("c.py", "batch_refused")]
    released = alice.call("release_locks", {"p_paths": ["c.py", "a.py", "b.py"],
                                            "p_fences": [fences[2], fences[0], fences[1]]})
    assert _codes(released) == ["released"] * 3 and [r["path"] for r in released] == ["c.py", "a.py", "b.py"]
    assert alice.my_locks() == []
    with pytest.raises(CoordError) as caught:
        alice.call("release_locks", {"p_paths": ["a.py", "b.py"], "p_fences": [1]})
    assert caught.value.code == "CO218"


def _claimed(client, kind: str, n: int) -> list[dict[str, Any]]:
    client.call("submit_tasks", {"p_tasks": [{"kind": kind} for _ in range(n)]})
    return client.call("claim_tasks", {"p_kinds": [kind], "p_limit": n})


def test_complete_tasks_completes_every_task(db, agent_factory) -> None:
    _, alice = agent_factory("alice")
    claims = _claimed(alice, "k", 3)
    parent = claims[0]["task_id"]
    child = alice.submit_task("k2", depends_on=[parent])
    items = [{"task_id": c["task_id"], "claim": c["claim"], "result": {"n": i}} for i, c in enumerate(claims)][::-1]
    rows = alice.call("complete_tasks", {"p_tasks": items})
    assert [(r["code"], r["task_id"]) for r in rows] == [("completed", i["task_id"]) for i in items]
    assert rows[-1]["details"]["dependents_notified"] == 1
    assert alice.get_task(parent).result == {"n": 0}
    assert alice.get_task(child.task_id).state == "queued"
    assert alice.call("claim_tasks", {"p_kinds": ["k2"]})[0]["code"] == "claimed"


def test_complete_tasks_completes_nothing_when_one_claim_is_stale(db, agent_factory) -> None:
    _, alice = agent_factory("alice")
    claims = _claimed(alice, "k", 3)
    since = _last_event(db)
    items = [{"task_id": c["task_id"], "claim": c["claim"]} for c in claims]
    items[1]["claim"] += 1000
    rows = alice.call("complete_tasks", {"p_tasks": items})
    assert _codes(rows) == ["batch_refused", "stale_claim", "batch_refused"]
    assert rows[0]["details"]["refused"] == [{"task_id": claims[1]["task_id"], "code": "stale_claim"}]
    assert {alice.get_task(c["task_id"]).state for c in claims} == {"claimed"}
    assert [d for _, d in _events(db, "task.complete", since)] == ["stale_claim", "batch_refused", "batch_refused"]


def test_complete_tasks_rescues_an_expired_claim_and_completes_nothing(db, agent_factory) -> None:
    _, alice = agent_factory("alice")
    first = _claimed(alice, "k", 1)[0]
    advance_clock(db, "10 minutes")
    second = _claimed(alice, "j", 1)[0]
    rows = alice.call("complete_tasks", {"p_tasks": [{"task_id": t["task_id"], "claim": t["claim"]}
                                                     for t in (first, second)]})
    assert _codes(rows) == ["expired", "batch_refused"]
    assert alice.get_task(first["task_id"]).state == "queued"
    assert alice.get_task(second["task_id"]).state == "claimed"


@pytest.mark.parametrize(("tasks", "code"), [
    ([], "CO421"), ({"task_id": 1}, "CO421"), ([{"task_id": 1}], "CO421"), ([{"task_id": "1", "claim": 1}], "CO421"),
    ([{"task_id": 1, "claim": 1, "extra": 1}], "CO421"), ([{"task_id": 1.5, "claim": 1}], "CO421"),
    ([{"task_id": 1, "claim": 1}, {"task_id": 1, "claim": 2}], "CO421"), ([{"task_id": 1, "claim": 0}], "CO413"),
    ([{"task_id": 1, "claim": 1}] * 1001, "CO421"),
    ([{"task_id": 1, "claim": 1, "result": {"operations": 5}}], "CO477")])
def test_malformed_completion_batches_are_errors_that_write_nothing(db, agent_factory, tasks, code) -> None:
    _, alice = agent_factory()
    since = _last_event(db)
    with pytest.raises(CoordError) as caught:
        alice.call("complete_tasks", {"p_tasks": tasks})
    assert caught.value.code == code
    assert _last_event(db) == since


# --- a batch is the single calls, all or none ---------------------------------------------------

NODES = ("src/", "src/app.py", "src/lib/", "src/lib/util.py", "docs/", "docs/a.md", "README", "a-b", "a/c")


def _lease_state(db: psycopg.Connection) -> list[tuple[str, str, str]]:
    return [tuple(r) for r in db.execute(
        "select p.name, l.path, l.mode::text from coord.locks as l join coord.principals as p on p.id = l.holder_id "
        "where l.expires_at > coord.now() order by 1, 2, 3").fetchall()]


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(held=st.lists(st.tuples(st.sampled_from(NODES), st.sampled_from(("exclusive", "shared")),
                               st.booleans()), max_size=3),
       paths=st.lists(st.sampled_from(NODES), min_size=1, max_size=5, unique_by=lambda p: p.rstrip("/")),
       mode=st.sampled_from(("exclusive", "shared")))
def test_a_lock_batch_is_its_single_calls_all_or_none(db, agent_factory, held, paths, mode) -> None:
    """From one state (leases of bob, and of alice herself), acquire_locks answers what
    acquire_lock answers for each path in turn when every one succeeds; when one fails, nothing
    changes and the paths refused are those whose single call fails."""
    with db.transaction(force_rollback=True):
        _, alice = agent_factory("alice")
        _, bob = agent_factory("bob")
        for path, held_mode, mine in held:
            (alice if mine else bob).acquire_lock(path, mode=held_mode)
        before = _lease_state(db)
        with db.transaction(force_rollback=True):
            singles = [alice.acquire_lock(p, mode=mode) for p in paths]
            after_singles = _lease_state(db)
        with db.transaction(force_rollback=True):
            batch = alice.acquire_locks(paths, mode=mode)
            after_batch = _lease_state(db)
    assert [r.path for r in batch] == [r.path for r in singles]
    if all(r.ok for r in singles):
        assert [(r.code, r.mode, r.reason) for r in batch] == [(r.code, r.mode, r.reason) for r in singles]
        assert after_batch == after_singles
    else:
        assert not any(r.ok for r in batch) and after_batch == before
        assert [r.code for r in batch if r.code != "batch_refused"] == [r.code for r in singles if not r.ok]
