"""Attacks on the fast paths of the lease and completion hot paths: coord.try_acquire_lock's
one-statement grant, coord.end_or_extend_lease's one-statement release and renewal,
api.acquire_locks / release_locks' one-INSERT / one-DELETE batches, coord.claims_completable
in api.complete_tasks, api.claim_task through coord.claim_tasks_as, and coord.sweep_memories
per tier. Each test says which property it checks; races use real connections and wait on
pg_stat_activity, never on sleeps."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest

from coordinator.client import Client
from tests.conftest import Database, advance_clock, in_thread, make_principal, wait_for_backend

# Odd, deep and look-alike paths: names sorting between a node and its children ('a-b', 'a.b',
# 'a0' sort between 'a/' and 'a0' or next to it), LIKE metacharacters, quotes, spaces, non-ASCII,
# the ':' of the key's separator, a deep path.
PATHS = ["a", "a/", "a/b", "a/b/", "a/b/c.py", "a-b", "a.b", "a0", "ab", "a/b%", "a/_", "a b/c'd",
         "ä/x", "xy/z:w", "d1/d2/d3/d4/d5/d6/d7/d8/f.txt", "d1/d2/d3/"]


def _node(path: str) -> str:
    return path.rstrip("/")


def _overlap(p: str, q: str) -> bool:
    a, b = _node(p), _node(q)
    return a == b or b.startswith(a + "/") or a.startswith(b + "/")


def _try(db: psycopg.Connection, tenant: Any, holder: Any, path: str, mode: str = "exclusive") -> tuple[str, Any]:
    row = db.execute("select (r).code, (r).fence from (select coord.try_acquire_lock(%s, %s, null, 'default', %s, "
                     "%s::coord.lock_mode, '1 hour', null, coord.clock_now()) as r) as s",
                     (tenant, holder, path, mode)).fetchone()
    assert row is not None
    return row[0], row[1]


def _advisory(db: psycopg.Connection) -> set[tuple[int, str]]:
    """The advisory locks this backend holds: (64-bit key, mode)."""
    rows = db.execute("select ((classid::bigint << 32) | objid::bigint), mode from pg_locks "
                      "where locktype = 'advisory' and pid = pg_backend_pid() and objsubid = 1").fetchall()
    return {((k + 2**63) % 2**64 - 2**63, m) for k, m in rows}


def test_a_single_acquire_takes_the_advisory_keys_a_batch_takes_through_lock_key(committed_db: Database) -> None:
    """coord.try_acquire_lock computes its keys inline now; coord.serialize_lease_batch still
    calls coord.lock_key. Both must take the same keys in the same modes for every path (else a
    batch and a single acquire on one node would not serialize), and those must be lock_key's of
    each enclosing node (shared) and of the node (exclusive)."""
    with committed_db.connect() as admin:
        me = make_principal(admin, "k", tenant="keys")
    extras: set[frozenset[tuple[int, str]]] = set()
    with psycopg.connect(committed_db.admin_dsn) as conn:
        for path in PATHS:
            code, _ = _try(conn, me.tenant_id, me.principal_id, path)
            assert code == "granted"
            single = _advisory(conn)
            conn.rollback()
            conn.execute("select coord.serialize_lease_batch(%s, 'default', array[%s])", (me.tenant_id, path))
            batch = _advisory(conn)
            nodes = _node(path).split("/")
            expected = {(conn.execute("select coord.lock_key(%s, 'default', %s)",
                                      (me.tenant_id, "/".join(nodes[:i]))).fetchone()[0],  # type: ignore[index]
                         "ExclusiveLock" if i == len(nodes) else "ShareLock") for i in range(1, len(nodes) + 1)}
            conn.rollback()
            assert batch == expected, path
            # The grant's insert also fires the fleet trigger, which takes the tenant's fleet key
            # (shared): the same one key whatever the path.
            extras.add(frozenset(single - expected))
            assert expected <= single, path
    assert len(extras) == 1 and len(next(iter(extras))) <= 1, extras


def test_the_one_statement_grant_refuses_exactly_the_overlapping_paths(db: psycopg.Connection) -> None:
    """Another holder's exclusive lease on p; an exclusive acquire of q, single and as a batch
    of one, must be busy exactly when p and q overlap (node equal, or one the directory of the
    other), whatever characters sort between a node and its children."""
    a = make_principal(db, "a", tenant="overlap")
    b = make_principal(db, "b", tenant="overlap")
    b_client = Client(connection=db, token=b.token)
    wrong = []
    for held, wanted in itertools.product(PATHS, PATHS):
        db.execute("savepoint pair")
        assert _try(db, a.tenant_id, a.principal_id, held)[0] == "granted"
        single = _try(db, b.tenant_id, b.principal_id, wanted)[0]
        db.execute("rollback to savepoint pair")
        assert _try(db, a.tenant_id, a.principal_id, held)[0] == "granted"
        batch = b_client.call("acquire_locks", {"p_paths": [wanted]})[0]["code"]
        db.execute("rollback to savepoint pair")
        expected = "busy" if _overlap(held, wanted) else "granted"
        if (single, batch) != (expected, expected):
            wrong.append((held, wanted, single, batch))
    assert wrong == []


def test_a_batch_granted_in_one_insert_matches_the_path_by_path_decision(db: psycopg.Connection) -> None:
    """The same batch (own overlapping paths, in an order unlike their sort) granted by the one
    INSERT (nothing near) and path by path (an unrelated expired lease near one path sends the
    batch to try_acquire_lock): the same codes, fences ascending in the order given, and the same
    lock.acquire events but for the lock.expire of the expired lease."""
    me = make_principal(db, "m", tenant="batch-eq")
    other = make_principal(db, "o", tenant="batch-eq")
    client = Client(connection=db, token=me.token)
    paths = ["z/q.py", "a/b/c.py", "a/", "a-b", "ä/x"]
    outcomes = []
    for near in (False, True):
        db.execute("savepoint run")
        if near:
            assert _try(db, other.tenant_id, other.principal_id, "a-b/old")[0] == "granted"
            advance_clock(db, "2 hours")
        mark = db.execute("select coalesce(max(id), 0) from audit.events").fetchone()[0]  # type: ignore[index]
        rows = client.call("acquire_locks", {"p_paths": paths, "p_mode": "shared", "p_reason": "why"})
        events = db.execute("select action, decision, target_id, actor_name, details - 'fence' - 'expires_at' "
                            "from audit.events where id > %s and action = 'lock.acquire' order by id",
                            (mark,)).fetchall()
        fences = [r["fence"] for r in rows]
        assert fences == sorted(fences) and len(set(fences)) == len(fences)
        leases = db.execute("select path, mode::text, reason from coord.locks where holder_id = %s order by fence",
                            (me.principal_id,)).fetchall()
        outcomes.append(([(r["code"], r["path"], r["mode"], r["ok"], r["reason"]) for r in rows], events, leases))
        db.execute("rollback to savepoint run")
    assert outcomes[0] == outcomes[1]
    assert [c for c, *_ in outcomes[0][0]] == ["granted"] * len(paths)


def test_release_and_renew_answer_alike_on_and_off_the_one_statement_path(db: psycopg.Connection) -> None:
    """end_or_extend_lease's one statement handles a live plain lease with the right fence;
    everything else is explained by the full lookup. Each case through release_lock,
    release_locks and renew_lock: a live lease, a wrong fence, another holder's lease, an
    expired lease, a task's lease."""
    me = make_principal(db, "m", tenant="rel-eq")
    other = make_principal(db, "o", tenant="rel-eq")
    mine, theirs = Client(connection=db, token=me.token), Client(connection=db, token=other.token)
    fence = mine.call("acquire_lock", {"p_path": "r/a.py"})[0]["fence"]
    their_fence = theirs.call("acquire_lock", {"p_path": "r/t.py"})[0]["fence"]
    results: dict[str, list[str]] = {}
    for case, path, presented, hours in [("live", "r/a.py", fence, 0), ("wrong fence", "r/a.py", fence + 7, 0),
                                         ("theirs", "r/t.py", their_fence, 0), ("expired", "r/a.py", fence, 2)]:
        got = []
        for call in ("release_lock", "release_locks", "renew_lock"):
            db.execute("savepoint c")
            advance_clock(db, f"{hours} hours")
            if call == "release_locks":
                got.append(mine.call(call, {"p_paths": [path], "p_fences": [presented]})[0]["code"])
            else:
                got.append(mine.call(call, {"p_path": path, "p_fence": presented})[0]["code"])
            db.execute("rollback to savepoint c")
        results[case] = got
    mine.call("submit_task", {"p_kind": "lk", "p_locks": ["r/task.py"]})
    mine.call("claim_task", {"p_kinds": ["lk"]})
    task_fence = db.execute("select fence from coord.locks where path = 'r/task.py'").fetchone()[0]  # type: ignore[index]
    results["task"] = [mine.call("release_lock", {"p_path": "r/task.py", "p_fence": task_fence})[0]["code"],
                       mine.call("release_locks", {"p_paths": ["r/task.py"], "p_fences": [task_fence]})[0]["code"],
                       mine.call("renew_lock", {"p_path": "r/task.py", "p_fence": task_fence})[0]["code"]]
    assert results == {"live": ["released", "released", "renewed"],
                       "wrong fence": ["not_held", "not_held", "not_held"],
                       "theirs": ["not_held", "not_held", "not_held"],
                       "expired": ["expired", "expired", "expired"],
                       "task": ["held_by_task", "held_by_task", "held_by_task"]}


# --- races ----------------------------------------------------------------------------------

@contextmanager
def _clients(database: Database, *tokens: str) -> Iterator[list[Client]]:
    """Clients on their own connections, not autocommit: a call stays uncommitted until the
    test commits or rolls back its connection."""
    conns = [psycopg.connect(database.client_dsn) for _ in tokens]
    try:
        for conn in conns:
            conn.execute("set statement_timeout = '20s'")
            conn.commit()
        yield [Client(connection=c, token=t) for c, t in zip(conns, tokens, strict=True)]
    finally:
        for conn in conns:
            conn.close()


def _open(client: Client) -> Client:
    """Start the connection's transaction, so the next call runs in a savepoint of it and stays
    uncommitted (on an idle connection Client.call commits its own transaction)."""
    client.connection.execute("select 1")
    return client


def _pid(client: Client) -> int:
    return client.connection.info.backend_pid


@pytest.mark.parametrize(("first", "second", "batch"), [
    ("src/", "src/a.py", False), ("src/a.py", "src/", False), ("src", "src/", False), ("src/", "src", True),
    ("src/a.py", "src", True), ("src/deep/er/x.py", "src/deep/", True)])
@pytest.mark.parametrize("outcome", ["commit", "rollback"])
def test_overlapping_acquires_in_flight_wait_and_then_decide_on_the_committed_state(
        committed_db: Database, first: str, second: str, batch: bool, outcome: str) -> None:
    """A's acquire is granted but not committed; B's overlapping acquire (single or a batch)
    waits for it, then is busy if A committed and granted if A rolled back: never two
    overlapping exclusive leases."""
    with committed_db.connect() as admin:
        a, b = make_principal(admin, "a", tenant="ovl"), make_principal(admin, "b", tenant="ovl")
    with _clients(committed_db, a.token, b.token) as (ca, cb):
        assert _open(ca).call("acquire_lock", {"p_path": first})[0]["code"] == "granted"
        if batch:
            thread, out = in_thread(lambda: cb.call("acquire_locks", {"p_paths": ["other/z", second]}))
        else:
            thread, out = in_thread(lambda: cb.call("acquire_lock", {"p_path": second}))
        wait_for_backend(committed_db, _pid(cb), "wait_event_type = 'Lock'")
        getattr(ca.connection, outcome)()
        thread.join()
        cb.connection.commit()
    assert "error" not in out, out
    codes = [r["code"] for r in out["result"]]  # type: ignore[attr-defined]
    if outcome == "commit":
        assert codes == (["batch_refused", "busy"] if batch else ["busy"])
    else:
        assert codes == (["granted", "granted"] if batch else ["granted"])
    with committed_db.connect() as admin:
        held = admin.execute("select path from coord.locks where path <> 'other/z'").fetchall()
    assert len(held) == 1


@pytest.mark.parametrize(("change", "expected"), [
    ("release_lock", "granted"), ("release_locks", "granted"), ("renew_lock", "busy"), ("end_session", "granted")])
def test_an_acquire_racing_a_release_a_renewal_or_a_session_end(committed_db: Database, change: str,
                                                               expected: str) -> None:
    """A's lease is being released (single, batch), renewed, or A's session ended, uncommitted;
    B's acquire of the same path sees the lease (the one-statement grant must not go ahead),
    waits on the row, then decides on what A committed: granted with a newer fence after a
    release or the session's end, busy after a renewal."""
    with committed_db.connect() as admin:
        a, b = make_principal(admin, "a", tenant="rr"), make_principal(admin, "b", tenant="rr")
    with _clients(committed_db, a.token, b.token) as (ca, cb):
        if change == "end_session":
            ca.start_session(ttl="1 hour")
        fence = ca.call("acquire_lock", {"p_path": "src/a.py"})[0]["fence"]
        ca.connection.commit()
        _open(ca)
        if change == "release_locks":
            assert ca.call(change, {"p_paths": ["src/a.py"], "p_fences": [fence]})[0]["ok"]
        elif change == "end_session":
            assert ca.call(change, {})[0]["ok"]
        else:
            assert ca.call(change, {"p_path": "src/a.py", "p_fence": fence})[0]["ok"]
        thread, out = in_thread(lambda: cb.call("acquire_lock", {"p_path": "src/"}))
        wait_for_backend(committed_db, _pid(cb), "wait_event_type = 'Lock'")
        ca.connection.commit()
        thread.join()
        cb.connection.commit()
    assert "error" not in out, out
    row = out["result"][0]  # type: ignore[index]
    assert row["code"] == expected
    if expected == "granted":
        assert row["fence"] > fence


def test_an_acquire_after_the_expiry_sweep_took_the_lease(committed_db: Database) -> None:
    """A's lease has expired; the sweep deletes it (uncommitted); B's acquire waits for it and
    is granted, with one lock.expire event for the lease, not two."""
    with committed_db.connect() as admin:
        a, b = make_principal(admin, "a", tenant="exp"), make_principal(admin, "b", tenant="exp")
    with _clients(committed_db, a.token, b.token) as (ca, cb), committed_db.connect() as admin:
        fence = ca.call("acquire_lock", {"p_path": "e/a.py", "p_ttl": "1 minute"})[0]["fence"]
        ca.connection.commit()
        advance_clock(admin, "2 minutes")
        admin.autocommit = False
        admin.execute("select coord.sweep(%s, 100, true)", (a.tenant_id,))
        thread, out = in_thread(lambda: cb.call("acquire_lock", {"p_path": "e/a.py"}))
        wait_for_backend(committed_db, _pid(cb), "wait_event_type = 'Lock'")
        admin.commit()
        thread.join()
        cb.connection.commit()
        admin.autocommit = True
        expires = admin.execute("select count(*) from audit.events where action = 'lock.expire' "
                                "and (details ->> 'fence')::bigint = %s", (fence,)).fetchone()
    assert "error" not in out, out
    assert out["result"][0]["code"] == "granted" and out["result"][0]["fence"] > fence  # type: ignore[index]
    assert expires == (1,)


def test_fences_never_repeat_and_grow_per_path_under_mixed_traffic(committed_db: Database) -> None:
    """Four agents take and hand back overlapping paths (single calls and batches, shared and
    exclusive) from four connections: every grant has a fence no other grant had, each path's
    grants in audit order have growing fences, and no two overlapping exclusive leases were
    ever granted at once (checked from the audit trail: a grant while another's overlapping
    lease was granted and not yet released)."""
    with committed_db.connect() as admin:
        agents = [make_principal(admin, f"f{i}", tenant="fences") for i in range(4)]
    paths = ["a", "a/x", "a/x/y.py", "a-b", "a/", "b.py"]
    sets = [list(s) for s in itertools.combinations(paths, 2) if _node(s[0]) != _node(s[1])]
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            with psycopg.connect(committed_db.client_dsn, autocommit=True) as conn:
                conn.execute("set statement_timeout = '20s'")
                client = Client(connection=conn, token=agents[index].token)
                for round_ in range(20):
                    mine = sets[(round_ * 5 + index * 3) % len(sets)]
                    mode = "shared" if (round_ + index) % 3 == 0 else "exclusive"
                    if index % 2:
                        rows = client.call("acquire_locks", {"p_paths": mine, "p_mode": mode})
                        if rows[0]["ok"]:
                            client.call("release_locks", {"p_paths": [r["path"] for r in rows],
                                                          "p_fences": [r["fence"] for r in rows]})
                    else:
                        for path in mine:
                            row = client.call("acquire_lock", {"p_path": path, "p_mode": mode})[0]
                            if row["ok"]:
                                assert client.call("release_lock", {"p_path": path, "p_fence": row["fence"]})[0]["ok"]
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with committed_db.connect() as admin:
        events = admin.execute(
            "select action, target_id, actor_name, (details ->> 'fence')::bigint, details ->> 'mode' "
            "from audit.events where action in ('lock.acquire', 'lock.release') "
            "and decision in ('granted', 'released') order by id").fetchall()
        assert admin.execute("select count(*) from coord.locks").fetchone() == (0,)
    grants = [e for e in events if e[0] == "lock.acquire"]
    assert len(grants) > 20
    assert len({e[3] for e in grants}) == len(grants)
    last: dict[str, int] = {}
    live: dict[int, tuple[str, str, str]] = {}
    for action, path, who, fence, mode in events:
        if action == "lock.acquire":
            assert fence > last.get(path, 0), (path, fence)
            last[path] = fence
            clash = [v for v in live.values() if v[1] != who and _overlap(v[0], path)
                     and "exclusive" in (v[2], mode)]
            assert clash == [], (path, who, mode, clash)
            live[fence] = (path, who, mode)
        else:
            live.pop(fence)


def _claimed(client: Client, kind: str, count: int) -> list[dict[str, Any]]:
    for _ in range(count):
        client.call("submit_task", {"p_kind": kind})
    rows = client.call("claim_tasks", {"p_kinds": [kind], "p_limit": count})
    return [{"task_id": r["task_id"], "claim": r["claim"]} for r in rows]


def test_a_completion_batch_answers_as_single_completions_do(db: psycopg.Connection) -> None:
    """claims_completable decides the whole batch; when it says no, the per-task checks answer.
    The same situations (all live; one lease expired; one reclaimed by another; one claimed in
    another session; the session ended; one requiring verification) through complete_tasks with
    the one task and through complete_task: the same code, state and events."""
    me = make_principal(db, "m", tenant="cc-eq")
    other = make_principal(db, "o", tenant="cc-eq")
    mine, theirs = Client(connection=db, token=me.token), Client(connection=db, token=other.token)
    mine.start_session(ttl="1 hour")

    def scene(name: str) -> dict[str, Any]:
        if name == "verify":
            mine.call("submit_task", {"p_kind": "cv", "p_verify": ["unit"]})
            row = mine.call("claim_tasks", {"p_kinds": ["cv"]})[0]
            return {"task_id": row["task_id"], "claim": row["claim"]}
        claim = _claimed(mine, "cc", 1)[0]
        if name == "expired":
            advance_clock(db, "2 hours")
            db.execute("update coord.sessions set expires_at = coord.clock_now() + interval '1 hour'")
        elif name == "reclaimed":
            advance_clock(db, "2 hours")
            db.execute("update coord.sessions set expires_at = coord.clock_now() + interval '1 hour'")
            theirs.call("claim_tasks", {"p_kinds": ["cc"]})
        elif name == "other session":
            mine.start_session(ttl="1 hour")
        elif name == "ended":
            mine.call("end_session", {})
        return claim

    wrong = []
    for name in ("live", "expired", "reclaimed", "other session", "ended", "verify"):
        answers = []
        for batch in (True, False):
            db.execute("savepoint s")
            session = mine.session_id
            claim = scene(name)
            mark = db.execute("select coalesce(max(id), 0) from audit.events").fetchone()[0]  # type: ignore[index]
            if batch:
                row = mine.call("complete_tasks", {"p_tasks": [claim]})[0]
            else:
                row = mine.call("complete_task", {"p_task_id": claim["task_id"], "p_claim": claim["claim"]})[0]
            events = db.execute("select action, decision, target_id = %s::text, severity from audit.events "
                                "where id > %s order by id", (claim["task_id"], mark)).fetchall()
            state = db.execute("select state::text from coord.tasks where id = %s", (claim["task_id"],)).fetchone()
            answers.append((row["code"], row["ok"], state, events))
            db.execute("rollback to savepoint s")
            mine.session_id = session
        if answers[0] != answers[1]:
            wrong.append((name, answers))
    assert wrong == []


def _completion_batch_behind(committed_db: Database, change: str, tenant: str) -> Any:
    """A completion batch of three claims sent while another connection of the same session has
    ``change`` (end_session, heartbeat) uncommitted: asserts the batch waits on that transaction
    holding no task row, then lets the change commit and returns the batch's answer."""
    with committed_db.connect() as admin:
        admin.execute(f"alter database {committed_db.name} set deadlock_timeout = '60s'")
        me = make_principal(admin, "m", tenant=tenant)
    with _clients(committed_db, me.token, me.token) as (worker, other):
        worker.start_session(ttl="1 hour")
        claims = _claimed(worker, tenant, 3)
        worker.connection.commit()
        other.session_id = worker.session_id
        assert _open(other).call(change, {})[0]["ok"]
        thread, out = in_thread(lambda: worker.call("complete_tasks", {"p_tasks": claims[::-1]}))
        wait_for_backend(committed_db, _pid(worker), "wait_event_type = 'Lock'")
        with committed_db.connect() as admin:  # it waits for the session row, holding no task
            held = admin.execute("select count(*) from pg_locks as l join pg_class as c on c.oid = l.relation "
                                 "where l.pid = %s and c.relname = 'tasks' and l.mode = 'RowShareLock'",
                                 (_pid(worker),)).fetchone()
            waits_on = admin.execute("select count(*) from pg_locks where pid = %s and not granted "
                                     "and locktype = 'transactionid'", (_pid(worker),)).fetchone()
        assert held == (0,) and waits_on == (1,)
        other.connection.commit()
        thread.join()
        worker.connection.commit()
    assert "error" not in out, out
    return out["result"]


def test_a_completion_batch_waits_for_a_session_end_and_then_completes_nothing(committed_db: Database) -> None:
    """The session's end (session, then its tasks, then their leases) is uncommitted; a
    completion batch in that session waits on the session row before it locks any task, then
    finds each task requeued by the end (stale_claim, as check_live_claim says before it looks at
    the session) and completes none."""
    result = _completion_batch_behind(committed_db, "end_session", "cc-end")
    assert {r["code"] for r in result} == {"stale_claim"}
    with committed_db.connect() as admin:
        states = admin.execute("select array_agg(state::text) from coord.tasks").fetchone()
    assert states is not None and "completed" not in states[0]


def test_two_completion_batches_over_the_same_tasks_never_deadlock(committed_db: Database) -> None:
    """Two connections of one principal and session complete the same three tasks in opposite
    orders; one waits for the other (tasks locked in id order), then finds them completed."""
    with committed_db.connect() as admin:
        admin.execute(f"alter database {committed_db.name} set deadlock_timeout = '60s'")
        me = make_principal(admin, "m", tenant="cc-dl")
    with _clients(committed_db, me.token, me.token) as (first, second):
        first.start_session(ttl="1 hour")
        claims = _claimed(first, "cd", 3)
        first.connection.commit()
        second.session_id = first.session_id
        rows = _open(first).call("complete_tasks", {"p_tasks": claims})
        assert {r["code"] for r in rows} == {"completed"}
        thread, out = in_thread(lambda: second.call("complete_tasks", {"p_tasks": claims[::-1]}))
        wait_for_backend(committed_db, _pid(second), "wait_event_type = 'Lock'")
        first.connection.commit()
        thread.join()
        second.connection.rollback()
    assert "error" in out and getattr(out["error"], "code", None) == "CO412", out


def test_claim_task_answers_and_audits_as_claim_tasks_with_limit_one(db: psycopg.Connection) -> None:
    """api.claim_task now runs the checks itself and calls coord.claim_tasks_as: the same
    result and events as api.claim_tasks(limit 1) with a task, with none, with the session
    ended, and the same error for bad input."""
    me = make_principal(db, "m", tenant="ct-eq")
    client = Client(connection=db, token=me.token)
    client.start_session(ttl="1 hour")
    wrong = []
    for scene in ("task", "none", "ended", "bad lease", "bad kinds"):
        answers = []
        for function in ("claim_task", "claim_tasks"):
            db.execute("savepoint s")
            if scene == "task":
                client.call("submit_task", {"p_kind": "ct"})
            elif scene == "ended":
                client.call("end_session", {})
            args: dict[str, Any] = {"p_kinds": ["ct"], "p_lease": "10 minutes"}
            if scene == "bad lease":
                args["p_lease"] = "-1 minute"
            elif scene == "bad kinds":
                args["p_kinds"] = []
            if function == "claim_tasks":
                args["p_limit"] = 1
            mark = db.execute("select coalesce(max(id), 0) from audit.events").fetchone()[0]  # type: ignore[index]
            try:
                rows = client.call(function, args)
                got: Any = [{k: v for k, v in r.items() if k not in ("task_id", "claim", "lease_expires_at")}
                            for r in rows]
            except Exception as exc:  # compared below
                got = getattr(exc, "code", repr(exc))
                db.execute("rollback to savepoint s")
                db.execute("savepoint s")
            events = db.execute("select action, decision, target_type, severity, details - 'task_id' - 'claim' "
                                "- 'lease_expires_at' from audit.events where id > %s order by id",
                                (mark,)).fetchall()
            answers.append((got, events))
            db.execute("rollback to savepoint s")
        if answers[0] != answers[1]:
            wrong.append((scene, answers))
    assert wrong == []


def test_the_memory_sweep_bounds_each_sweep_and_skips_rows_in_use(committed_db: Database) -> None:
    """The retention sweep per tier: one sweep retires at most p_limit; a second sweep running
    while the first is uncommitted skips the rows it holds and retires others; in the end every
    memory past its tier's retention is gone and the others stay."""
    with committed_db.connect() as admin:
        me = make_principal(admin, "m", tenant="msweep")
        admin.execute("""insert into coord.memories (tenant_id, author_id, repository, tier, visibility, content,
                                                    content_hash, importance, created_at, last_seen_at)
                         select %s, %s, 'default', case when g <= 40 then 'episodic' else 'semantic' end, 'tenant',
                                'note ' || g, sha256(convert_to('note ' || g, 'UTF8')), 0.5, coord.now(), coord.now()
                         from generate_series(1, 45) as g""", (me.tenant_id, me.principal_id))
        advance_clock(admin, "400 days")
        with committed_db.connect() as first, committed_db.connect() as second:
            first.autocommit = second.autocommit = False
            one = first.execute("select coord.sweep_memories(%s, 15)", (me.tenant_id,)).fetchone()[0]  # type: ignore[index]
            two = second.execute("select coord.sweep_memories(%s, 15)", (me.tenant_id,)).fetchone()[0]  # type: ignore[index]
            first.commit()
            second.commit()
        three = admin.execute("select coord.sweep_memories(%s, 100)", (me.tenant_id,)).fetchone()[0]  # type: ignore[index]
        left = admin.execute("select array_agg(distinct tier::text), count(*) from coord.memories "
                             "where tenant_id = %s", (me.tenant_id,)).fetchone()
    assert (one["memories_retired"], two["memories_retired"], three["memories_retired"]) == (15, 15, 10)
    assert left == (["semantic"], 5)


@pytest.mark.parametrize(("first", "second", "expected"), [
    ("a/b", "a/b", "renewed"), ("a/", "a/b", "granted"), ("a/b", "a", "granted")])
def test_the_same_holder_acquiring_on_two_connections_at_once(committed_db: Database, first: str, second: str,
                                                              expected: str) -> None:
    """One principal (no session) on two connections: the second acquire waits for the first's
    uncommitted grant, then finds its own lease (never the one-statement grant of a second row
    for the same path): renewed with the same fence on the same path, granted beside it for an
    overlapping one (own leases never conflict)."""
    with committed_db.connect() as admin:
        me = make_principal(admin, "m", tenant="same")
    with _clients(committed_db, me.token, me.token) as (one, two):
        fence = _open(one).call("acquire_lock", {"p_path": first})[0]["fence"]
        thread, out = in_thread(lambda: two.call("acquire_lock", {"p_path": second}))
        wait_for_backend(committed_db, _pid(two), "wait_event_type = 'Lock'")
        one.connection.commit()
        thread.join()
        two.connection.commit()
    assert "error" not in out, out
    row = out["result"][0]  # type: ignore[index]
    assert row["code"] == expected
    with committed_db.connect() as admin:
        leases = admin.execute("select path, fence from coord.locks order by fence").fetchall()
    if expected == "renewed":
        assert row["fence"] == fence and leases == [(first, fence)]
    else:
        assert row["fence"] > fence and leases == [(first, fence), (second, row["fence"])]


def test_a_single_acquire_waits_for_a_batch_granted_in_one_insert(committed_db: Database) -> None:
    """B's batch (nothing near: the one INSERT) is uncommitted; A's acquire of the directory
    above one of its paths waits on the advisory locks and is busy once B commits."""
    with committed_db.connect() as admin:
        a, b = make_principal(admin, "a", tenant="bfirst"), make_principal(admin, "b", tenant="bfirst")
    with _clients(committed_db, a.token, b.token) as (ca, cb):
        rows = _open(cb).call("acquire_locks", {"p_paths": ["lib/deep/x.py", "z.py"]})
        assert [r["code"] for r in rows] == ["granted", "granted"]
        thread, out = in_thread(lambda: ca.call("acquire_lock", {"p_path": "lib/"}))
        wait_for_backend(committed_db, _pid(ca), "wait_event_type = 'Lock'")
        cb.connection.commit()
        thread.join()
        ca.connection.commit()
    assert "error" not in out, out
    assert out["result"][0]["code"] == "busy"  # type: ignore[index]
    assert out["result"][0]["holder_path"] == "lib/deep/x.py"  # type: ignore[index]


def test_the_repository_root_is_never_a_lease(db: psycopg.Connection) -> None:
    """The root ('.', './', 'a/..') normalizes to nothing: refused with CO205 by a single acquire
    and a batch, so no empty node reaches the inline key loop (it would take no key at all)."""
    me = make_principal(db, "m", tenant="root")
    client = Client(connection=db, token=me.token)
    for function, args in [("acquire_lock", {"p_path": "."}), ("acquire_lock", {"p_path": "a/.."}),
                           ("acquire_locks", {"p_paths": ["src/a.py", "./"]})]:
        db.execute("savepoint r")
        with pytest.raises(Exception) as caught:
            client.call(function, args)
        assert getattr(caught.value, "code", None) == "CO205", (function, caught.value)
        db.execute("rollback to savepoint r")
    assert db.execute("select count(*) from coord.locks where tenant_id = %s", (me.tenant_id,)).fetchone() == (0,)


@pytest.mark.parametrize("path", ["/", "", "//"])
def test_the_grant_itself_refuses_a_path_with_no_node(db: psycopg.Connection, path: str) -> None:
    """Below the api, coord.try_acquire_lock refuses a path with no node (CO501) instead of
    granting it with no advisory lock taken: a future caller that forgets coord.normalize_path
    fails loudly."""
    me = make_principal(db, "m", tenant="root-grant")
    db.execute("savepoint r")
    with pytest.raises(psycopg.Error) as caught:
        _try(db, me.tenant_id, me.principal_id, path)
    assert caught.value.sqlstate == "CO501", caught.value
    db.execute("rollback to savepoint r")
    assert db.execute("select count(*) from coord.locks where tenant_id = %s", (me.tenant_id,)).fetchone() == (0,)


def test_a_completion_batch_waits_for_a_heartbeat_holding_its_session_and_tasks(committed_db: Database) -> None:
    """A heartbeat of the session (session, then its tasks' leases) is uncommitted; the
    completion batch (claims_completable: session FOR SHARE, then tasks) waits on the session
    row holding no task, and completes every task once the heartbeat commits: no deadlock."""
    result = _completion_batch_behind(committed_db, "heartbeat", "cc-hb")
    assert [r["code"] for r in result] == ["completed"] * 3


def test_leases_of_another_repository_or_tenant_never_send_the_grant_to_busy(db: psycopg.Connection) -> None:
    """The one-statement grant's check is bounded by tenant and repository, as the full decision
    is: the same path held in another repository or in another tenant leaves the grant to go
    ahead; the same repository and tenant refuses it."""
    a = make_principal(db, "a", tenant="repo-1")
    b = make_principal(db, "b", tenant="repo-1")
    c = make_principal(db, "c", tenant="repo-2")
    sql_try = ("select (coord.try_acquire_lock(%s, %s, null, %s, %s, 'exclusive', '1 hour', null, "
               "coord.clock_now())).code")
    assert db.execute(sql_try, (a.tenant_id, a.principal_id, "other", "src/")).fetchone() == ("granted",)
    assert db.execute(sql_try, (c.tenant_id, c.principal_id, "default", "src/")).fetchone() == ("granted",)
    assert db.execute(sql_try, (b.tenant_id, b.principal_id, "default", "src/a.py")).fetchone() == ("granted",)
    assert db.execute(sql_try, (a.tenant_id, a.principal_id, "default", "src")).fetchone() == ("busy",)


def test_a_completion_batch_behind_the_sweeper_requeueing_an_expired_claim(committed_db: Database) -> None:
    """One claim of the batch has expired and the sweeper is requeueing it (uncommitted): the
    batch waits on that task's row, then sees it queued (the lock query returns the committed
    version), refuses it as stale and completes none of the batch."""
    with committed_db.connect() as admin:
        me = make_principal(admin, "m", tenant="cc-sweep")
    with _clients(committed_db, me.token) as (worker,), committed_db.connect() as sweeper:
        worker.call("submit_tasks", {"p_tasks": [{"kind": "cs"}, {"kind": "cs"}]})
        claims = [{"task_id": r["task_id"], "claim": r["claim"]}
                  for r in (worker.call("claim_task", {"p_kinds": ["cs"], "p_lease": lease})[0]
                            for lease in ("1 hour", "1 minute"))]
        worker.connection.commit()
        advance_clock(sweeper, "2 minutes")
        sweeper.autocommit = False
        swept = sweeper.execute("select coord.sweep(%s, 100, true)", (me.tenant_id,)).fetchone()[0]  # type: ignore[index]
        assert swept["tasks_requeued"] == 1
        thread, out = in_thread(lambda: worker.call("complete_tasks", {"p_tasks": claims}))
        wait_for_backend(committed_db, _pid(worker), "wait_event_type = 'Lock'")
        sweeper.commit()
        thread.join()
        worker.connection.commit()
    assert "error" not in out, out
    assert [r["code"] for r in out["result"]] == ["batch_refused", "stale_claim"]  # type: ignore[attr-defined]
    with committed_db.connect() as admin:
        states = admin.execute("select array_agg(state::text order by id) from coord.tasks").fetchone()
    assert states == (["claimed", "queued"],)
