"""Every lease passes one decision, however it is taken or extended: acquire_lock, a claim of a
task that declares leases (claim_task, claim_tasks), renew_task, heartbeats and the session
floor. The decision is the gate's for lock.acquire / lock.renew (role, scope locks:write,
trust, allowed_operations, max_lock_ttl) plus the profile's max_locks, which counts every live
lease an agent holds, plain and task-held alike. A claim whose leases would be refused claims
nothing of that task, says why, and leaves it queued for others."""

from __future__ import annotations

from typing import Any

import psycopg

from coordinator.client import Client
from tests.audit_here import WRITTEN_HERE
from tests.conftest import advance_clock

NO_LOCKS = ["tasks:*", "sessions:*"]  # may claim tasks, may not take leases


def _operator(agent_factory: Any) -> Client:
    return agent_factory(role="operator")[1]


def _with_profile(agent_factory: Any, settings: dict[str, Any], trust: int = 2) -> tuple[Any, Client, Client]:
    operator = _operator(agent_factory)
    principal, agent = agent_factory()
    assert operator.create_profile(f"p-{principal.name}", trust, settings).code == "created"
    assert operator.assign_profile(principal.name, f"p-{principal.name}").code == "assigned"
    return principal, agent, operator


def _task(db: psycopg.Connection, task_id: int) -> tuple[str, int]:
    return db.execute("select state::text, attempts from coord.tasks where id = %s", (task_id,)).fetchone()


def _leases_of(db: psycopg.Connection, principal: Any) -> int:
    return db.execute("select count(*) from coord.locks where holder_id = %s and expires_at > coord.now()",
                      (principal.principal_id,)).fetchone()[0]


def _lease_events(db: psycopg.Connection, principal: Any) -> list[tuple[str, str | None]]:
    return db.execute("select decision, rule from audit.events where action = 'lock.acquire' and actor_id = %s "
                      "and " + WRITTEN_HERE + " order by id", (principal.principal_id,)).fetchall()


def _renew_rule(db: psycopg.Connection) -> str:
    return db.execute("select rule from audit.events where action = 'task.renew' and " + WRITTEN_HERE + " "
                      "order by id desc limit 1").fetchone()[0]


def test_a_token_without_locks_write_gets_no_lease_through_a_claim(db: psycopg.Connection,
                                                                    agent_factory: Any) -> None:
    """Attack replayed: acquire_lock is denied without locks:write, yet submit_task(p_locks =>
    '{d/}') and claim_task gave the same token an exclusive lease on d/."""
    principal, agent = agent_factory(scopes=NO_LOCKS)
    assert agent.acquire_lock("d/").code == "denied"
    task_id = agent.submit_task("edit", locks=["d/"]).task_id
    claim = agent.claim_task(["edit"])
    assert (claim.ok, claim.code, claim.task_id) == (False, "denied", None)
    assert "locks:write" in claim.reason and claim.details["rule"] == "scope.missing"
    assert claim.details["task_ids"] == [task_id]
    assert _leases_of(db, principal) == 0
    assert _task(db, task_id) == ("queued", 0)  # untouched: it stays for others
    assert _lease_events(db, principal)[-1] == ("denied", "scope.missing")
    # Someone who may take the lease claims it.
    _, worker = agent_factory()
    taken = worker.claim_task(["edit"])
    assert (taken.code, taken.task_id, list(taken.locks)) == ("claimed", task_id, ["d/"])


def test_claims_skip_tasks_whose_leases_are_refused_and_take_the_others(db: psycopg.Connection,
                                                                         agent_factory: Any) -> None:
    principal, agent = agent_factory(scopes=NO_LOCKS)
    leased = agent.submit_task("edit", priority=5, locks=["d/"]).task_id
    plain = agent.submit_task("edit").task_id
    claims = agent.claim_tasks(["edit"], limit=5)
    assert [(c.code, c.task_id) for c in claims] == [("claimed", plain)]
    assert _task(db, leased) == ("queued", 0)
    assert _lease_events(db, principal) == [("denied", "scope.missing")]  # the refusal is on record
    assert agent.claim_task(["edit"]).code == "denied"  # nothing else left for this token


def test_max_locks_and_max_lock_ttl_bound_task_leases(db: psycopg.Connection, agent_factory: Any) -> None:
    """Attack replayed: under max_locks = 1 and max_lock_ttl = 1 minute, a task declaring 8
    directories claimed with a 2-hour lease left the agent holding 9 leases for 2 hours."""
    principal, agent, _ = _with_profile(agent_factory, {"max_locks": 1, "max_lock_ttl": "1 minute"})
    assert agent.acquire_lock("mine.py", ttl="1 minute").code == "granted"
    eight = [f"d{i}/" for i in range(8)]
    task_id = agent.submit_task("edit", locks=eight).task_id
    long = agent.claim_task(["edit"], lease="2 hours")
    assert (long.ok, long.code, long.details["rule"]) == (False, "denied", "profile.max_lock_ttl")
    over = agent.claim_task(["edit"], lease="1 minute")
    assert (over.ok, over.code) == (False, "at_limit")
    assert over.details == {"max_locks": 1, "leases_held": 1, "leases_needed": 8, "task_ids": [task_id]}
    assert _leases_of(db, principal) == 1 and _task(db, task_id) == ("queued", 0)
    assert [d for d, _ in _lease_events(db, principal)] == ["granted", "denied", "at_limit"]


def test_task_leases_count_toward_max_locks(db: psycopg.Connection, agent_factory: Any) -> None:
    principal, agent, _ = _with_profile(agent_factory, {"max_locks": 2})
    first = agent.submit_task("edit", locks=["a/", "b.py"]).task_id
    second = agent.submit_task("edit", locks=["c/"]).task_id
    claim = agent.claim_task(["edit"])
    assert (claim.code, claim.task_id) == ("claimed", first)
    assert agent.acquire_lock("x.py").code == "at_limit"  # the task's two leases count
    assert agent.claim_task(["edit"]).code == "at_limit"
    assert _task(db, second) == ("queued", 0)
    agent.complete_task(first, claim.claim)
    assert agent.claim_task(["edit"]).task_id == second
    assert _leases_of(db, principal) == 1


def test_a_path_already_held_is_not_counted_twice(agent_factory: Any) -> None:
    _, agent, _ = _with_profile(agent_factory, {"max_locks": 2})
    own = agent.acquire_lock("a/")
    task_id = agent.submit_task("edit", locks=["a/", "b/"]).task_id
    claim = agent.claim_task(["edit"])
    assert (claim.code, claim.task_id, claim.locks["a/"]) == ("claimed", task_id, own.fence)


def test_a_batch_claim_stops_at_max_locks(db: psycopg.Connection, agent_factory: Any) -> None:
    principal, agent, _ = _with_profile(agent_factory, {"max_locks": 3})
    ids = [agent.submit_task("edit", locks=[f"d{i}/", f"e{i}/"]).task_id for i in range(3)]
    claims = agent.claim_tasks(["edit"], limit=3)
    assert [c.task_id for c in claims] == ids[:1]
    assert _leases_of(db, principal) == 2
    assert [_task(db, t)[0] for t in ids] == ["claimed", "queued", "queued"]


def test_leases_need_the_lock_operations_of_the_profile(db: psycopg.Connection, agent_factory: Any) -> None:
    principal, agent, _ = _with_profile(agent_factory, {"allowed_operations": ["task.*"]})
    task_id = agent.submit_task("edit", locks=["d/"]).task_id
    refused = agent.claim_task(["edit"])
    assert (refused.code, refused.details["rule"]) == ("denied", "profile.operation")
    assert _task(db, task_id) == ("queued", 0) and _leases_of(db, principal) == 0


def test_renew_task_extends_leases_only_within_the_lease_decision(db: psycopg.Connection,
                                                                    agent_factory: Any) -> None:
    principal, agent, operator = _with_profile(agent_factory, {"max_lock_ttl": "10 minutes"})
    task_id = agent.submit_task("edit", locks=["d/"]).task_id
    claim = agent.claim_task(["edit"], lease="5 minutes")
    assert claim.code == "claimed"
    long = agent.renew_task(task_id, claim.claim, "20 minutes")
    assert (long.ok, long.code) == (False, "denied")
    assert _renew_rule(db) == "profile.max_lock_ttl"
    life = db.execute("select max(expires_at) - coord.now() from coord.locks where task_id = %s",
                      (task_id,)).fetchone()[0]
    assert life.total_seconds() < 5 * 60 + 1  # coord.clock_now() runs on within the test transaction
    assert agent.renew_task(task_id, claim.claim, "10 minutes").code == "renewed"
    # A plain task (no leases) is renewed under the claim's own limits only.
    plain = agent.submit_task("plain").task_id
    plain_claim = agent.claim_task(["plain"], lease="5 minutes")
    assert agent.renew_task(plain, plain_claim.claim, "20 minutes").code == "renewed"
    # Demoted to read-only: the task's leases are no longer extended.
    operator.update_profile(f"p-{principal.name}", {"allowed_operations": ["task.*", "session.*"]})
    refused = agent.renew_task(task_id, claim.claim, "5 minutes")
    assert refused.code == "denied" and _renew_rule(db) == "profile.operation"


def test_heartbeats_extend_leases_only_for_agents_that_may_hold_them(db: psycopg.Connection,
                                                                     agent_factory: Any) -> None:
    """A demoted agent (trust 1 may keep a session but not hold leases) kept every lease and
    claim of its session alive by heartbeating."""
    principal, agent, operator = _with_profile(agent_factory, {})
    assert agent.start_session(ttl="1 minute").ok
    assert agent.acquire_lock("src/a.py", ttl="30 seconds").code == "granted"  # lives as long as the session
    task_id = agent.submit_task("edit", locks=["d/"]).task_id
    assert agent.claim_task(["edit"], lease="30 seconds").code == "claimed"
    assert operator.update_profile(f"p-{principal.name}", {"trust_level": 1}).code == "updated"
    advance_clock(db, "40 seconds")
    beat = agent.heartbeat()
    assert beat.code == "alive"
    assert (beat.details["locks_extended"], beat.details["claims_extended"]) == (0, 0)
    assert beat.details["locks_refused"] == "trust.too_low" and beat.details["claims_refused"] == "trust.too_low"
    advance_clock(db, "30 seconds")  # past the last extension: the leases and the claim ran out
    assert _leases_of(db, principal) == 0
    assert db.execute("select lease_expires_at <= coord.now() from coord.tasks where id = %s",
                      (task_id,)).fetchone()[0]
    rules = db.execute("select action, decision, rule from audit.events where actor_id = %s and "
                       "action in ('lock.renew', 'task.renew') and " + WRITTEN_HERE + " order by id",
                       (principal.principal_id,)).fetchall()
    assert rules == [("lock.renew", "denied", "trust.too_low"), ("task.renew", "denied", "trust.too_low")]


def test_the_session_floor_never_passes_max_lock_ttl(db: psycopg.Connection, agent_factory: Any) -> None:
    """A session started under a longer max_lock_ttl gave every later lease its remaining life,
    also after the operator lowered the limit; heartbeats extended them to it as well."""
    principal, agent, operator = _with_profile(agent_factory, {"max_lock_ttl": "10 minutes"})
    assert agent.start_session(ttl="10 minutes").ok
    assert operator.update_profile(f"p-{principal.name}", {"max_lock_ttl": "1 minute"}).code == "updated"
    assert agent.acquire_lock("src/a.py", ttl="30 seconds").code == "granted"
    agent.submit_task("edit", locks=["d/"])
    assert agent.claim_task(["edit"], lease="1 minute").code == "claimed"
    assert agent.heartbeat().code == "alive"
    longest = db.execute("select max(expires_at) - coord.now() from coord.locks where holder_id = %s",
                         (principal.principal_id,)).fetchone()[0]
    assert longest.total_seconds() <= 61, longest


def test_operators_need_locks_write_for_task_leases_too(db: psycopg.Connection, agent_factory: Any) -> None:
    _, operator = agent_factory(role="operator", scopes=["tasks:*"])
    task_id = operator.submit_task("edit", locks=["d/"]).task_id
    assert operator.claim_task(["edit"]).code == "denied"
    assert _task(db, task_id) == ("queued", 0)


def test_lease_decisions_inside_a_claim_are_not_counted_as_calls(agent_factory: Any) -> None:
    _, agent, _ = _with_profile(agent_factory, {"calls_per_hour": 3})
    agent.submit_task("edit", locks=["a/"])
    agent.submit_task("edit", locks=["b/"])
    assert [c.code for c in agent.claim_tasks(["edit"], limit=2)] == ["claimed", "claimed"]  # call 3 of 3
    assert agent.submit_task("edit").code == "denied"  # the hour's budget is spent, not overdrawn earlier


def test_max_locks_counts_the_leases_of_every_session(db: psycopg.Connection, agent_factory: Any) -> None:
    """A second session of the agent sharing a path it already holds takes a second lease: it
    is not a renewal, and it counts."""
    principal, agent, _ = _with_profile(agent_factory, {"max_locks": 1})
    assert agent.start_session().ok
    assert agent.acquire_lock("docs/", mode="shared").code == "granted"
    assert agent.acquire_lock("docs/", mode="shared").code == "renewed"  # same session: in place
    assert agent.start_session().ok  # another process of the same agent
    second = agent.acquire_lock("docs/", mode="shared")
    assert (second.code, second.details) == ("at_limit", {"held": 1, "limit": 1})
    assert _leases_of(db, principal) == 1


def test_a_refusal_reports_what_is_held_and_what_would_be_added(agent_factory: Any) -> None:
    _, agent, _ = _with_profile(agent_factory, {"max_locks": 2})
    assert agent.acquire_lock("a/").code == "granted"
    task_id = agent.submit_task("edit", locks=["a/", "b/", "c/"]).task_id
    over = agent.claim_task(["edit"])
    assert over.details == {"max_locks": 2, "leases_held": 1, "leases_needed": 2, "task_ids": [task_id]}
