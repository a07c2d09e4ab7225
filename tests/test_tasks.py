"""The work queue through the Python client: lifecycle, fencing, dependencies, leases, limits."""

from __future__ import annotations

import psycopg
import pytest

from coordinator.client import Client
from coordinator.errors import CoordError
from coordinator.results import ClaimResult
from tests.conftest import advance_clock, in_thread, make_principal, wait_for_backend


def _events(db: psycopg.Connection, task_id: int) -> list[tuple[str, str, str]]:
    return db.execute("select action, decision, actor_type::text from audit.events "
                      "where target_type = 'task' and target_id = %s order by id", (str(task_id),)).fetchall()


def test_submit_claim_complete_is_audited_per_transition(db, agent_factory) -> None:
    _, boss = agent_factory("boss")
    _, worker = agent_factory("worker")
    submitted = boss.submit_task("build", {"target": "all"}, priority=5)
    assert (submitted.ok, submitted.code, submitted.state) == (True, "submitted", "queued")
    claim = worker.claim_task(["build"])
    assert (claim.ok, claim.code, claim.task_id, claim.payload, claim.attempt) == (
        True, "claimed", submitted.task_id, {"target": "all"}, 1)
    assert claim.claim > 0 and claim.lease_expires_at is not None
    done = worker.complete_task(claim.task_id, claim.claim, {"artifacts": 3})
    assert (done.ok, done.code, done.state) == (True, "completed", "completed")
    task = boss.get_task(submitted.task_id)
    assert (task.state, task.result, task.claimed_by, task.submitted_by) == (
        "completed", {"artifacts": 3}, "worker", "boss")
    assert _events(db, submitted.task_id) == [
        ("task.submit", "queued", "agent"), ("task.claimed", "claimed", "agent"),
        ("task.completed", "completed", "agent")]


def test_claim_order_is_priority_then_age(agent_factory) -> None:
    _, a = agent_factory()
    low = a.submit_task("k", priority=-1).task_id
    first = a.submit_task("k", priority=3).task_id
    second = a.submit_task("k", priority=3).task_id
    claims = a.claim_tasks(["k"], limit=10)
    assert [c.task_id for c in claims] == [first, second, low]
    assert all(c.code == "claimed" for c in claims)
    assert a.claim_task(["k"]).code == "empty"


def _task_index_reads(db: psycopg.Connection) -> int:
    """Index entries of coord.tasks this transaction has read so far, over all its indexes."""
    return int(db.execute("select coalesce(sum(pg_stat_get_xact_tuples_returned(i.indexrelid)), 0) "
                          "from pg_index as i where i.indrelid = 'coord.tasks'::regclass").fetchone()[0])


def test_a_claim_does_not_walk_the_ready_backlog_of_other_kinds(db, agent_factory) -> None:
    _, a = agent_factory()
    a.submit_tasks([{"kind": "backlog", "priority": 9}] * 100)  # ahead of every task below in claim order
    mine = a.submit_task("mine").task_id
    other = a.submit_task("other", priority=1).task_id
    last = a.submit_task("mine").task_id
    # Statistics as a live queue has them: without, the plan follows whatever autovacuum last
    # saw in the shared test database (on 15 it chose another index in some runs).
    db.execute("analyze coord.tasks")
    before = _task_index_reads(db)
    assert a.claim_task(["mine"]).task_id == mine
    merged = a.claim_tasks(["nothing", "mine", "other"], limit=5)
    assert [c.task_id for c in merged] == [other, last]
    assert _task_index_reads(db) - before < 40, "the claims read the ready tasks of a kind they did not ask for"


def test_a_claim_of_several_kinds_merges_them_in_claim_order(agent_factory) -> None:
    _, a = agent_factory()
    ids = {(kind, priority): a.submit_task(kind, priority=priority).task_id
           for priority in (0, 2, 1) for kind in ("x", "y", "z")}
    claims = a.claim_tasks(["z", "x", "z", "y"], limit=5)
    assert [c.task_id for c in claims] == [ids[("x", 2)], ids[("y", 2)], ids[("z", 2)], ids[("x", 1)], ids[("y", 1)]]
    assert [c.task_id for c in a.claim_tasks(["x", "y", "z"], limit=10)] == [
        ids[("z", 1)], ids[("x", 0)], ids[("y", 0)], ids[("z", 0)]]


def test_a_claim_of_several_kinds_reads_past_rows_other_claims_hold(committed_db) -> None:
    # The merge reads the first few ready tasks of each kind before locking; when rows that
    # other transactions hold fill those few, it must read further rather than come back empty.
    with committed_db.connect() as admin:
        token = make_principal(admin, "busy", tenant="held").token
    with Client(committed_db.client_dsn, token) as claimer, committed_db.connect(autocommit=False) as holder:
        ids = [t.task_id for t in claimer.submit_tasks([{"kind": "held"}] * 12)]
        holder.execute("select id from coord.tasks where id = any (%s) order by id limit 10 for update", (ids,))
        claims = claimer.claim_tasks(["held", "absent"], limit=1)
        assert [(c.code, c.task_id) for c in claims] == [("claimed", ids[10])]
        single = claimer.claim_task(["held"])
        assert (single.code, single.task_id) == ("claimed", ids[11])
        assert claimer.claim_task(["held", "absent"]).code == "empty"
        holder.rollback()
        assert [c.task_id for c in claimer.claim_tasks(["absent", "held"], limit=20)] == ids[:10]


def test_completing_twice_is_an_error_and_a_stale_claim_a_result(db, agent_factory) -> None:
    _, a = agent_factory("a")
    _, b = agent_factory("b")
    task_id = a.submit_task("k", max_attempts=3).task_id
    first = a.claim_task(["k"], lease="10 seconds")
    advance_clock(db, "11 seconds")
    second = b.claim_task(["k"])  # the expired claim is rescued lazily, but run_after backs off
    assert second.code == "empty"
    advance_clock(db, "2 seconds")
    second = b.claim_task(["k"])
    assert (second.task_id, second.attempt) == (task_id, 2) and second.claim > first.claim
    stale = a.complete_task(task_id, first.claim, {"late": True})
    assert (stale.ok, stale.code, stale.state) == (False, "stale_claim", "claimed")
    assert b.complete_task(task_id, second.claim).code == "completed"
    with pytest.raises(CoordError) as err:
        b.complete_task(task_id, second.claim)
    assert err.value.code == "CO412"
    assert b.get_task(task_id).result == {}
    assert a.complete_task(task_id, first.claim).code == "stale_claim"


def test_expired_claims_requeue_with_backoff_then_die(db, agent_factory) -> None:
    _, a = agent_factory()
    task_id = a.submit_task("k", max_attempts=2).task_id
    c1 = a.claim_task(["k"], lease="5 seconds")
    advance_clock(db, "6 seconds")
    late = a.complete_task(task_id, c1.claim)
    assert (late.code, late.state) == ("expired", "queued")
    assert late.run_after is not None
    advance_clock(db, "2 seconds")
    c2 = a.claim_task(["k"], lease="5 seconds")
    assert (c2.task_id, c2.attempt) == (task_id, 2)
    advance_clock(db, "6 seconds")
    _, op = agent_factory(role="operator")
    swept = op.maintain()
    assert (swept.code, swept.details["tasks_dead"]) == ("swept", 1)
    task = a.get_task(task_id)
    assert (task.state, task.attempts, task.last_event) == ("dead", 2, "expired")


def test_fail_retryable_and_final(agent_factory) -> None:
    _, a = agent_factory()
    retry_id = a.submit_task("k").task_id
    c = a.claim_task(["k"])
    requeued = a.fail_task(retry_id, c.claim, "flaky network")
    assert (requeued.code, requeued.state) == ("requeued", "queued") and requeued.run_after is not None
    final_id = a.submit_task("k2").task_id
    c = a.claim_task(["k2"])
    failed = a.fail_task(final_id, c.claim, "bad input", retryable=False)
    assert (failed.code, failed.state) == ("failed", "failed")
    assert a.get_task(final_id).last_error == "bad input"


def test_dependencies_count_down_and_failures_cancel_dependents(agent_factory) -> None:
    _, a = agent_factory()
    parent1 = a.submit_task("p").task_id
    parent2 = a.submit_task("p").task_id
    child = a.submit_task("c", depends_on=[parent1, parent2]).task_id
    grandchild = a.submit_task("g", depends_on=[child]).task_id
    assert a.get_task(child).pending_deps == 2
    assert a.claim_task(["c"]).code == "empty"
    for _ in range(2):
        c = a.claim_task(["p"])
        a.complete_task(c.task_id, c.claim)
    assert a.get_task(child).pending_deps == 0
    c = a.claim_task(["c", "g"])
    assert c.task_id == child
    failed = a.fail_task(child, c.claim, "broken", retryable=False)
    assert failed.details == {"dependents_cancelled": 1}
    g = a.get_task(grandchild)
    assert (g.state, g.last_event) == ("cancelled", "dependency_failed")


def test_submit_rejects_unknown_and_failed_dependencies_and_cycles(db, agent_factory) -> None:
    _, a = agent_factory()
    before = db.execute("select count(*) from coord.tasks").fetchone()[0]
    with pytest.raises(CoordError) as err:
        a.submit_task("k", depends_on=[987654321])
    assert err.value.code == "CO407"
    with pytest.raises(CoordError) as err:
        a.submit_tasks([{"kind": "k", "ref": "x", "depends_on": ["y"]},
                        {"kind": "k", "ref": "y", "depends_on": ["x"]}])
    assert err.value.code == "CO408"
    with pytest.raises(CoordError) as err:
        a.submit_tasks([{"kind": "k", "depends_on": ["nope"]}])
    assert err.value.code == "CO407"
    assert db.execute("select count(*) from coord.tasks").fetchone()[0] == before
    dead = a.submit_task("d").task_id
    c = a.claim_task(["d"])
    a.fail_task(dead, c.claim, "x", retryable=False)
    with pytest.raises(CoordError) as err:
        a.submit_task("k", depends_on=[dead])
    assert err.value.code == "CO419"


def test_batch_refs_are_ordered_and_wired(agent_factory) -> None:
    _, a = agent_factory()
    results = a.submit_tasks([{"kind": "deploy", "ref": "d", "depends_on": ["t", "b"]},
                              {"kind": "test", "ref": "t", "depends_on": ["b"]},
                              {"kind": "build", "ref": "b"}])
    ids = {r.details["ref"]: r.task_id for r in results}
    assert [r.code for r in results] == ["submitted"] * 3
    assert a.get_task(ids["d"]).depends_on == sorted([ids["t"], ids["b"]])
    assert a.get_task(ids["t"]).pending_deps == 1
    assert [c.task_id for c in a.claim_tasks(["deploy", "test", "build"])] == [ids["b"]]


def test_unique_key_dedupes_pending_work_only(agent_factory) -> None:
    _, a = agent_factory()
    first = a.submit_task("index", unique_key="repo-1")
    dup = a.submit_task("index", unique_key="repo-1")
    assert (dup.code, dup.task_id) == ("duplicate", first.task_id)
    assert a.submit_task("other", unique_key="repo-1").code == "submitted"
    c = a.claim_task(["index"])
    a.complete_task(c.task_id, c.claim)
    again = a.submit_task("index", unique_key="repo-1")
    assert again.code == "submitted" and again.task_id != first.task_id


def test_a_duplicate_submission_audits_no_task_that_never_existed(db, agent_factory) -> None:
    # The duplicate's row is skipped by ON CONFLICT DO NOTHING: no event may name a task that
    # never existed.
    _, a = agent_factory()
    first = a.submit_task("index", unique_key="repo-1")
    dup = a.submit_task("index", unique_key="repo-1")
    assert (dup.code, dup.task_id) == ("duplicate", first.task_id)
    submitted = db.execute("select target_id, decision from audit.events "
                           "where action = 'task.submit' order by id").fetchall()
    assert submitted == [(str(first.task_id), "queued"), (str(first.task_id), "duplicate")]
    assert db.execute("select count(*) from coord.tasks").fetchone() == (1,)


def test_run_after_and_required_trust_gate_claims(db, agent_factory) -> None:
    _, a = agent_factory()
    later = a.submit_task("k", run_after="2999-01-01T00:00:00Z").task_id
    trusted = a.submit_task("k", required_trust=4).task_id
    assert a.claim_task(["k"]).code == "empty"
    db.execute("update coord.profiles set trust_level = 4 where tenant_id = %s", (a.authenticate().tenant_id,))
    assert a.claim_task(["k"]).task_id == trusted
    assert a.get_task(later).state == "queued"


def test_concurrency_limit_is_a_result(db, agent_factory) -> None:
    _, a = agent_factory()
    db.execute("update coord.profiles set max_concurrent_tasks = 2 where tenant_id = %s", (a.authenticate().tenant_id,))
    a.submit_tasks([{"kind": "k"}] * 4)
    assert len(a.claim_tasks(["k"], limit=10)) == 2
    limited = a.claim_task(["k"])
    assert (limited.ok, limited.code, limited.details) == (False, "at_limit", {"held": 2, "limit": 2})


def test_claim_takes_declared_leases_atomically_or_skips(agent_factory) -> None:
    _, a = agent_factory("a")
    _, b = agent_factory("b")
    blocked = a.submit_task("edit", priority=9, locks=["src/app.py", "docs/"]).task_id
    free = a.submit_task("edit", locks=["lib/x.py"]).task_id
    held = b.acquire_lock("docs/readme.md")
    c = a.claim_task(["edit"])
    assert c.task_id == free and set(c.locks) == {"lib/x.py"}
    assert [x.locked for x in b.check_locks(["src/app.py"])] == [False]  # nothing of the skipped task was kept
    b.release_lock("docs/readme.md", held.fence)
    c2 = a.claim_task(["edit"])
    assert c2.task_id == blocked and set(c2.locks) == {"src/app.py", "docs/"}
    assert b.acquire_lock("docs/x").code == "busy"
    assert a.assert_lease("docs/", c2.locks["docs/"]).code == "held"
    a.complete_task(blocked, c2.claim)
    assert a.assert_lease("docs/", c2.locks["docs/"]).code == "not_held"
    assert b.acquire_lock("docs/x").code == "granted"


def test_cancel_rules(agent_factory) -> None:
    _, a = agent_factory("a")
    _, b = agent_factory("b")
    _, op = agent_factory("op", role="operator")
    t1 = a.submit_task("k").task_id
    child = a.submit_task("k2", depends_on=[t1]).task_id
    denied = b.cancel_task(t1)
    assert (denied.ok, denied.code) == (False, "denied")
    done = a.cancel_task(t1)
    assert (done.code, done.details) == ("cancelled", {"dependents_cancelled": 1})
    assert a.get_task(child).state == "cancelled"
    assert a.cancel_task(t1).code == "already_finished"
    t2 = b.submit_task("k").task_id
    c = b.claim_task(["k"])
    assert op.cancel_task(t2).code == "cancelled"
    assert b.complete_task(t2, c.claim).code == "stale_claim"


def test_redrive_brings_dead_tasks_back(db, agent_factory) -> None:
    _, a = agent_factory()
    _, op = agent_factory(role="operator")
    t = a.submit_task("k", max_attempts=1).task_id
    c = a.claim_task(["k"])
    assert a.fail_task(t, c.claim, "boom").code == "dead"
    assert a.redrive_task(t).code == "denied"
    assert op.redrive_task(c.task_id).code == "queued"
    again = a.claim_task(["k"])
    assert (again.task_id, again.attempt) == (t, 1)
    assert op.redrive_task(t).code == "not_redrivable"


def test_illegal_transitions_are_refused_even_by_hand(db, agent_factory) -> None:
    _, a = agent_factory()
    t = a.submit_task("k").task_id
    c = a.claim_task(["k"])
    a.complete_task(t, c.claim)
    with pytest.raises(psycopg.Error) as err, db.transaction():
        db.execute("update coord.tasks set state = 'queued', claim = null, claimed_by = null, "
                   "claimed_session_id = null, claimed_at = null, finished_at = null where id = %s", (t,))
    assert err.value.sqlstate == "CO411"


def test_state_checks_tie_columns_to_states(db, agent_factory) -> None:
    _, a = agent_factory()
    t = a.submit_task("k").task_id
    with pytest.raises(psycopg.errors.CheckViolation) as err, db.transaction():
        db.execute("update coord.tasks set claim = 1 where id = %s", (t,))
    assert err.value.diag.constraint_name == "tasks_queued_check"


# Each row the field-range CHECKs tasks_values_check and tasks_repository_check rejected is still
# rejected, with the same error, now that coord.tg_tasks__transition holds them (migration 0044).
_BAD_TASK_FIELDS = [
    ("kind = '-x'", "tasks_values_check"),
    ("kind = repeat('k', 129)", "tasks_values_check"),
    ("payload = jsonb_build_object('a', repeat('x', 65536))", "tasks_values_check"),
    ("state = 'claimed', claim = nextval('coord.lock_fence_seq'), claimed_by = submitted_by, "
     "claimed_at = coord.clock_now(), lease_expires_at = coord.clock_now() + interval '1 hour', "
     "attempts = 1, result = jsonb_build_object('a', repeat('x', 65536))", "tasks_values_check"),
    ("priority = 1001", "tasks_values_check"),
    ("priority = -1001", "tasks_values_check"),
    ("pending_deps = -1", "tasks_values_check"),
    ("max_attempts = 0", "tasks_values_check"),
    ("max_attempts = 101", "tasks_values_check"),
    ("attempts = -1", "tasks_values_check"),
    ("attempts = 4", "tasks_values_check"),  # above max_attempts (3)
    ("required_trust = 5", "tasks_values_check"),
    ("required_trust = -1", "tasks_values_check"),
    ("unique_key = ''", "tasks_values_check"),
    ("unique_key = repeat('u', 201)", "tasks_values_check"),
    ("lock_paths = array(select 'p' || g from generate_series(1, 65) as g)", "tasks_values_check"),
    ("last_error = repeat('e', 4001)", "tasks_values_check"),
    ("repository = 'Bad'", "tasks_repository_check"),
    ("repository = ''", "tasks_repository_check"),
    ("required_verifications = '{unit,fuzzy}'", "tasks_required_verifications_check"),
    ("run_after = 'infinity'", "tasks_run_after_in_range"),
    ("run_after = '0001-01-01 00:00:00+00'", "tasks_run_after_in_range"),
]


@pytest.mark.parametrize(("change", "constraint"), _BAD_TASK_FIELDS)
def test_field_ranges_reject_an_update_by_hand(db, agent_factory, change: str, constraint: str) -> None:
    _, a = agent_factory()
    t = a.submit_task("k").task_id
    with pytest.raises(psycopg.errors.CheckViolation) as err, db.transaction():
        db.execute(f"update coord.tasks set {change} where id = %s", (t,))
    assert err.value.diag.constraint_name == constraint
    assert err.value.diag.table_name == "tasks" and err.value.diag.schema_name == "coord"
    assert str(err.value).startswith(f'new row for relation "tasks" violates check constraint "{constraint}"')


@pytest.mark.parametrize(("column", "value", "constraint"), [
    ("kind", "bad kind", "tasks_values_check"),
    ("priority", 5000, "tasks_values_check"),
    ("max_attempts", 0, "tasks_values_check"),
    ("unique_key", "", "tasks_values_check"),
    ("repository", "-repo", "tasks_repository_check"),
    ("required_verifications", ["manual", "vibes"], "tasks_required_verifications_check"),
    ("run_after", "-infinity", "tasks_run_after_in_range"),
])
def test_field_ranges_reject_an_insert_by_hand(db, agent_factory, column: str, value, constraint: str) -> None:
    agent, a = agent_factory()
    t = a.submit_task("k").task_id
    values = {"tenant_id": agent.tenant_id, "kind": "k", "submitted_by": agent.principal_id, column: value}
    cols = ", ".join(values)
    with pytest.raises(psycopg.errors.CheckViolation) as err, db.transaction():
        db.execute(f"insert into coord.tasks ({cols}{'' if column == 'run_after' else ', run_after'}, submitted_at) "
                   f"values ({', '.join(['%s'] * len(values))}{'' if column == 'run_after' else ', coord.now()'}, "
                   "coord.now())", list(values.values()))
    assert err.value.diag.constraint_name == constraint
    # the row beside it, valid, still moves: only changed columns are checked on an update
    db.execute("update coord.tasks set priority = 1000, payload = '{\"a\": 1}' where id = %s", (t,))


def test_a_task_id_given_by_hand_is_positive(db, agent_factory) -> None:
    agent, _ = agent_factory()
    with pytest.raises(psycopg.errors.CheckViolation) as err, db.transaction():
        db.execute("insert into coord.tasks (id, tenant_id, kind, submitted_by, run_after, submitted_at) "
                   "overriding system value values (-1, %s, 'k', %s, coord.now(), coord.now())",
                   (agent.tenant_id, agent.principal_id))
    assert err.value.diag.constraint_name == "tasks_id_check"


@pytest.mark.parametrize("token", [0, -5])
def test_a_claim_token_given_by_hand_is_positive(db, agent_factory, token: int) -> None:
    # Every claim draws its token from coord.lock_fence_seq (positive); the claimant floor counts
    # from 0, so a token at or below 0 set by hand would be a claim the count never sees.
    agent, a = agent_factory()
    t = a.submit_task("k").task_id
    with pytest.raises(psycopg.errors.CheckViolation) as err, db.transaction():
        db.execute("update coord.tasks set state = 'claimed', claim = %s, claimed_by = %s, "
                   "claimed_at = coord.clock_now(), attempts = attempts + 1, "
                   "lease_expires_at = coord.clock_now() + interval '1 hour' where id = %s",
                   (token, agent.principal_id, t))
    assert err.value.diag.constraint_name == "tasks_claim_check"


def test_list_tasks_filters_and_pages(agent_factory) -> None:
    _, a = agent_factory()
    ids = [r.task_id for r in a.submit_tasks([{"kind": "x"}, {"kind": "y"}, {"kind": "x"}])]
    assert [t.task_id for t in a.list_tasks(kind="x")][:2] == [ids[2], ids[0]]
    assert [t.task_id for t in a.list_tasks(kind="x", before_id=ids[2])][:1] == [ids[0]]
    assert all(t.state == "queued" for t in a.list_tasks(state="queued"))


def test_prune_removes_old_finished_tasks_only(db, agent_factory) -> None:
    _, a = agent_factory()
    _, op = agent_factory(role="operator")
    done = a.submit_task("k").task_id
    c = a.claim_task(["k"])
    a.complete_task(done, c.claim)
    waiting = a.submit_task("k").task_id
    assert op.prune_tasks("1 day").details == {"pruned": {}}
    advance_clock(db, "2 days")
    assert op.prune_tasks("1 day").details == {"pruned": {"completed": 1}}
    assert [t.task_id for t in a.list_tasks()] == [waiting]
    with pytest.raises(CoordError) as err:
        a.prune_tasks()  # agents are not granted it at all
    assert err.value.code == "42501"
    assert db.execute("select count(*) from audit.events where target_type = 'task' and target_id = %s",
                      (str(done),)).fetchone()[0] == 3  # its history outlives it


def _task_channel(committed_db, tenant_id) -> str:
    with committed_db.connect() as admin:
        return admin.execute("select task_channel from coord.tenants where id = %s", (tenant_id,)).fetchone()[0]


def _waiting(committed_db, client: Client, channel: str) -> bool:
    """Whether the client's connection is a waiting claimer of the channel's tenant: it holds the
    tenant's waiting key shared (coord.await_tasks), as pg_locks shows."""
    with committed_db.connect() as admin:
        return admin.execute(
            "select exists (select from pg_locks as l where l.pid = %s and l.locktype = 'advisory' "
            "and l.objsubid = 1 and l.mode = 'ShareLock' and l.granted "
            "and ((l.classid::bigint << 32) | l.objid::bigint) = coord.task_wait_key(%s, 'waiting'))",
            (client.connection.info.backend_pid, channel)).fetchone()[0]


def _heard_before_marker(listener: psycopg.Connection, admin: psycopg.Connection, channel: str) -> list[str]:
    """What the listener hears on the channel before a marker sent now: nothing when nothing was
    announced since it last heard."""
    admin.execute("select pg_notify(%s, 'marker')", (channel,))
    heard: list[str] = []
    for n in listener.notifies(timeout=60):
        if n.payload == "marker":
            return heard
        heard.append(n.payload)
    raise AssertionError(f"the marker never came, after {heard}")


def test_a_task_becoming_ready_notifies_its_tenant_channel_while_a_claimer_waits(committed_db) -> None:
    with committed_db.connect() as admin:
        principal = make_principal(admin, "notifier", tenant="notify")
    channel = _task_channel(committed_db, principal.tenant_id)
    assert principal.tenant_id.hex not in channel  # not guessable from the tenant id
    with Client(committed_db.client_dsn, principal.token) as waiter, \
            Client(committed_db.client_dsn, principal.token) as agent:
        assert agent.claim_task(["nothing"]).details["channel"] == channel
        waiter.connection.execute(f'LISTEN "{channel}"')
        assert waiter.claim_or_wait(["nothing"]).code == "empty"  # now it waits
        assert _waiting(committed_db, waiter, channel)
        parent = agent.submit_task("first").task_id
        agent.submit_task("second", depends_on=[parent])  # not ready: no notification
        claim = agent.claim_task(["first"])
        agent.complete_task(parent, claim.claim)  # makes "second" ready
        heard = [n.payload for n in waiter.connection.notifies(timeout=5, stop_after=2)]
        assert heard == ["first", "second"]


def test_nothing_is_announced_while_no_claimer_waits(committed_db) -> None:
    # A NOTIFY holds PostgreSQL's global notify lock through the commit: unannounced, submits
    # and completions commit side by side. The marker, sent after, is the first thing heard.
    with committed_db.connect() as admin:
        principal = make_principal(admin, "quiet", tenant="quiet")
    channel = _task_channel(committed_db, principal.tenant_id)
    with psycopg.connect(committed_db.client_dsn, autocommit=True) as listener, \
            Client(committed_db.client_dsn, principal.token) as agent, \
            Client(committed_db.client_dsn, principal.token) as submitter, committed_db.connect() as admin:
        listener.execute(f'LISTEN "{channel}"')  # a listener that does not wait for tasks
        agent.connection.execute(f'LISTEN "{channel}"')
        assert agent.claim_or_wait(["nothing"]).code == "empty"
        assert _waiting(committed_db, agent, channel)
        assert agent.claim_or_wait(["nothing"], waiting=False).code == "empty"  # waited, and stopped
        assert not _waiting(committed_db, agent, channel)
        parent = submitter.submit_task("first").task_id
        submitter.submit_task("second", depends_on=[parent])
        claim = submitter.claim_task(["first"])
        submitter.complete_task(parent, claim.claim)
        assert _heard_before_marker(listener, admin, channel) == []


# The submits come from another connection: a waiting claimer's own submit finds only its own
# registration, which does not conflict with its own try of the waiting key, and sends nothing.
def test_a_claim_or_wait_on_a_connection_that_does_not_listen_waits_for_nothing(committed_db) -> None:
    # A pooled connection (PostgREST, the MCP server) or a psql user who forgot LISTEN cannot
    # hear an announcement: registered, it would have the tenant announce every ready task for
    # the life of the connection. It is not registered, and the call is a plain claim_task; a
    # LISTEN counts once it commits. A marker sent after the submit is the first thing heard.
    with committed_db.connect() as admin:
        principal = make_principal(admin, "deaf", tenant="deaf")
    channel = _task_channel(committed_db, principal.tenant_id)
    with psycopg.connect(committed_db.client_dsn, autocommit=True) as listener, \
            Client(committed_db.client_dsn, principal.token) as agent, \
            Client(committed_db.client_dsn, principal.token) as submitter, committed_db.connect() as admin:
        listener.execute(f'LISTEN "{channel}"')  # hears what is sent, registers nothing
        empty = agent.claim_or_wait(["nothing"])
        assert (empty.code, empty.details["channel"]) == ("empty", channel)
        assert not _waiting(committed_db, agent, channel)
        with agent.connection.transaction():  # a LISTEN not yet committed does not listen yet
            agent.connection.execute(f'LISTEN "{channel}"')
            assert agent.claim_or_wait(["nothing"]).code == "empty"
            assert not _waiting(committed_db, agent, channel)
            agent.connection.execute(f'UNLISTEN "{channel}"')
        first = submitter.submit_task("first").task_id  # made ready while that connection asked to wait
        assert _heard_before_marker(listener, admin, channel) == []
        claim = agent.claim_or_wait(["first"])
        assert (claim.code, claim.task_id) == ("claimed", first)  # the claim goes ahead as claim_task
        agent.connection.execute(f'LISTEN "{channel}"')  # committed: now the same call waits
        assert agent.claim_or_wait(["nothing"]).code == "empty"
        assert _waiting(committed_db, agent, channel)
        submitter.submit_task("third")
        assert _heard_before_marker(listener, admin, channel) == ["third"]


def test_a_waiting_claimer_that_unlistens_stops_waiting_at_its_next_claim(committed_db) -> None:
    # Once it UNLISTENs it cannot hear announcements: its next claim_or_wait ends the
    # registration (still waiting, p_waiting true), and the tenant announces nothing more.
    with committed_db.connect() as admin:
        principal = make_principal(admin, "unlistening", tenant="unlistening")
    channel = _task_channel(committed_db, principal.tenant_id)
    with psycopg.connect(committed_db.client_dsn, autocommit=True) as listener, \
            Client(committed_db.client_dsn, principal.token) as agent, \
            Client(committed_db.client_dsn, principal.token) as submitter, committed_db.connect() as admin:
        listener.execute(f'LISTEN "{channel}"')
        agent.connection.execute(f'LISTEN "{channel}"')
        assert agent.claim_or_wait(["nothing"]).code == "empty"
        assert _waiting(committed_db, agent, channel)
        submitter.submit_task("announced")
        assert _heard_before_marker(listener, admin, channel) == ["announced"]
        agent.connection.execute(f'UNLISTEN "{channel}"')
        assert agent.claim_or_wait(["nothing"]).code == "empty"
        assert not _waiting(committed_db, agent, channel)
        submitter.submit_task("unannounced")
        assert _heard_before_marker(listener, admin, channel) == []


def test_a_waiting_claimer_is_woken_by_a_submit_from_another_connection(committed_db) -> None:
    with committed_db.connect() as admin:
        token = make_principal(admin, "sleeper", tenant="wake").token
    with Client(committed_db.client_dsn, token) as waiter, Client(committed_db.client_dsn, token) as submitter:
        pid = waiter.connection.info.backend_pid
        # No timer to fall back on: only the announcement can end this wait early.
        thread, out = in_thread(lambda: waiter.wait_for_task(["late"], wait=120, recheck=120))
        wait_for_backend(committed_db, pid, "state = 'idle' and position('claim_or_wait' in query) > 0")
        submitted = submitter.submit_task("late")
        thread.join(timeout=60)
        assert not thread.is_alive(), "the waiting claimer was not woken"
        result = out["result"]
        assert isinstance(result, ClaimResult)
        assert (result.code, result.task_id) == ("claimed", submitted.task_id)


def test_a_claimer_starting_to_wait_sees_what_writers_made_ready_unannounced(committed_db) -> None:
    # The submit finds nobody waiting and sends nothing; the claimer registers before that
    # submit commits. It must not miss the task: it waits at the gate for the commit, then claims.
    with committed_db.connect() as admin:
        principal = make_principal(admin, "racer", tenant="race")
    channel = _task_channel(committed_db, principal.tenant_id)
    with Client(committed_db.client_dsn, principal.token) as waiter, \
            Client(committed_db.client_dsn, principal.token) as submitter:
        pid = waiter.connection.info.backend_pid
        waiter.connection.execute(f'LISTEN "{channel}"')  # a claimer that waits listens first
        with submitter.connection.transaction():
            submitted = submitter.submit_task("raced")
            thread, out = in_thread(lambda: waiter.claim_or_wait(["raced"]))
            wait_for_backend(committed_db, pid, "wait_event_type = 'Lock' and wait_event = 'advisory'")
        thread.join()
        result = out["result"]
        assert isinstance(result, ClaimResult)
        assert (result.code, result.task_id) == ("claimed", submitted.task_id)


def test_a_submit_while_a_claimer_registers_is_announced(committed_db) -> None:
    # The other ordering of the race above: the claimer has registered (it holds the waiting key)
    # and waits at the gate behind a submit that found nobody; a submit deciding now must
    # announce. (Its try of the gate fails behind the claimer queued for it; the waiting key
    # alone would say the same.)
    with committed_db.connect() as admin:
        principal = make_principal(admin, "registering", tenant="registering")
    channel = _task_channel(committed_db, principal.tenant_id)
    with psycopg.connect(committed_db.client_dsn, autocommit=True) as listener, \
            Client(committed_db.client_dsn, principal.token) as waiter, \
            Client(committed_db.client_dsn, principal.token) as first, \
            Client(committed_db.client_dsn, principal.token) as second:
        listener.execute(f'LISTEN "{channel}"')  # hears what is sent, registers nothing
        waiter.connection.execute(f'LISTEN "{channel}"')
        pid = waiter.connection.info.backend_pid
        with first.connection.transaction():
            unannounced = first.submit_task("unannounced")
            thread, out = in_thread(lambda: waiter.claim_or_wait(["unannounced"]))
            wait_for_backend(committed_db, pid, "wait_event_type = 'Lock' and wait_event = 'advisory'")
            second.submit_task("announced")  # commits while the claimer waits at the gate
            assert [n.payload for n in listener.notifies(timeout=60, stop_after=1)] == ["announced"]
        thread.join()
        result = out["result"]
        assert isinstance(result, ClaimResult)
        assert (result.code, result.task_id) == ("claimed", unannounced.task_id)
        assert not _waiting(committed_db, waiter, channel)  # the claim ended the wait


def test_a_claimer_waiting_in_one_tenant_makes_no_other_tenant_announce(committed_db) -> None:
    # The waiting keys derive from each tenant's secret channel: a claimer waiting in one tenant
    # leaves every other tenant's submits unannounced. The marker, sent after, is heard first.
    with committed_db.connect() as admin:
        waiting = make_principal(admin, "waits", tenant="waits-here")
        quiet = make_principal(admin, "submits", tenant="quiet-there")
    channel = _task_channel(committed_db, quiet.tenant_id)
    waiting_channel = _task_channel(committed_db, waiting.tenant_id)
    with psycopg.connect(committed_db.client_dsn, autocommit=True) as listener, \
            Client(committed_db.client_dsn, waiting.token) as waiter, \
            Client(committed_db.client_dsn, quiet.token) as agent, committed_db.connect() as admin:
        listener.execute(f'LISTEN "{channel}"')
        waiter.connection.execute(f'LISTEN "{waiting_channel}"')
        assert waiter.claim_or_wait(["late"]).code == "empty"  # registered, and stays so
        assert _waiting(committed_db, waiter, waiting_channel)
        agent.submit_task("late")
        assert _heard_before_marker(listener, admin, channel) == []


def test_a_waiting_claim_returns_the_task_that_arrives_while_it_waits(committed_db) -> None:
    # Whether the task arrives before the waiter LISTENs (its claim right after LISTEN finds it)
    # or after (the NOTIFY wakes it; delivery is tested above), the wait ends with the claim.
    with committed_db.connect() as admin:
        token = make_principal(admin, "waiter", tenant="wait").token
    with Client(committed_db.client_dsn, token) as waiter, Client(committed_db.client_dsn, token) as submitter:
        assert waiter.wait_for_task(["late"], wait=0.2, recheck=0.05).code == "empty"
        thread, out = in_thread(lambda: waiter.wait_for_task(["late"], wait=30, recheck=30))
        submitted = submitter.submit_task("late")
        thread.join()
        result = out["result"]
        assert isinstance(result, ClaimResult)
        assert (result.code, result.task_id) == ("claimed", submitted.task_id)


def test_task_leases_end_with_the_task_and_cannot_be_released_by_hand(agent_factory) -> None:
    _, a = agent_factory("a")
    _, b = agent_factory("b")
    own = a.acquire_lock("docs/", ttl="1 minute")
    task_id = b.submit_task("edit", locks=["docs/", "src/x.py"]).task_id
    c = a.claim_task(["edit"], lease="10 minutes")
    assert c.code == "claimed" and c.locks["docs/"] == own.fence  # its own plain lease is adopted
    held = a.release_lock("docs/", own.fence)
    assert (held.ok, held.code, held.details) == (False, "held_by_task", {"task_id": task_id})
    assert a.renew_lock("src/x.py", c.locks["src/x.py"]).code == "held_by_task"
    assert a.renew_task(task_id, c.claim, "20 minutes").code == "renewed"
    assert a.acquire_lock("docs/readme.md").code == "busy"  # a task's lease is the task's alone
    a.fail_task(task_id, c.claim, "gave up")  # retryable: requeued, leases released
    assert [x.locked for x in b.check_locks(["docs/", "src/x.py"])] == [False, False]


def test_claims_completable_is_true_only_when_no_per_task_check_could_refuse(db, agent_factory) -> None:
    # complete_tasks skips check_live_claim and unverified_refusal for every task on true: it
    # must be false whenever either would refuse (they then give the refusal), and true for the
    # caller's live claims on tasks that require nothing.
    principal, agent = agent_factory()
    someone, _ = agent_factory()
    agent.submit_task("pin")
    agent.submit_task("pin")
    agent.submit_task("pin", verify=["unit"])
    plain = agent.claim_tasks(["pin"], limit=2, lease="1 minute")
    verified = agent.claim_task(["pin"], lease="1 minute")
    # coord.caller: principal_id, kind, name, role, tenant_id, tenant_name, scopes, session_id, token_id,
    # token_expires_at, repository, skill_id
    caller = (principal.principal_id, "agent", principal.name, "agent", principal.tenant_id, "t1", None, None, None,
              None, None, None)

    def completable(ids: list[int], claims: list[int], who: tuple = caller) -> bool:
        row = db.execute(f"select coord.claims_completable(row({', '.join(['%s'] * len(who))})::coord.caller,"
                         " %s::bigint[], %s::bigint[])", (*who, ids, claims)).fetchone()
        assert row is not None
        return bool(row[0])

    ids, claims = [c.task_id for c in plain], [c.claim for c in plain]
    assert completable(ids, claims)
    assert completable(ids[::-1], claims[::-1])
    assert not completable(ids, [claims[0], claims[1] + 1000])  # a stale claim
    assert not completable([ids[0], 10 ** 12], [claims[0], 1])  # an unknown task (CO410 from check_live_claim)
    assert not completable([*ids, verified.task_id], [*claims, verified.claim])  # a verification required
    assert not completable(ids, claims, (someone.principal_id, *caller[1:]))  # another principal's claims
    assert not completable(ids, claims, (*caller[:7], principal.token_id, *caller[8:]))  # in a session (none here)
    advance_clock(db, "2 minutes")
    assert not completable(ids, claims)  # the leases ran out (check_live_claim rescues them)
    items = [{"task_id": i, "claim": c} for i, c in zip(ids, claims, strict=True)]
    assert [r.code for r in agent.complete_tasks(items)] == ["expired", "expired"]
