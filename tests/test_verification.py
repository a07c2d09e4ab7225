"""Verification records gate completion: a task submitted with verification tiers completes only
when each tier's latest record under the completing claim is a pass, recorded by an allowed
executor (a manual tier never by the claimant's side); records of an earlier claim do not count."""

from __future__ import annotations

import hashlib
from typing import Any

import psycopg
import pytest

from coordinator.client import Client
from coordinator.errors import CoordError
from tests.conftest import advance_clock, make_principal

DIGEST = hashlib.sha256(b"42 passed").hexdigest()


def reviewer(db: psycopg.Connection, operator: Client, name: str) -> Client:
    principal = make_principal(db, name)
    assert operator.create_profile(f"review-{name}", 4).ok
    assert operator.assign_profile(principal.name, f"review-{name}").ok
    return Client(connection=db, token=principal.token)


def test_a_task_requiring_unit_completes_only_after_a_passing_record(db: psycopg.Connection,
                                                                    agent_factory: Any) -> None:
    _, agent = agent_factory()
    submitted = agent.submit_task("build", verify=["unit", "unit", "static"])
    assert submitted.ok
    assert agent.get_task(submitted.task_id).required_verifications == ["static", "unit"]
    claim = agent.claim_task(["build"])

    refused = agent.complete_task(claim.task_id, claim.claim, {"ok": True})
    assert not refused.ok and refused.code == "unverified" and refused.state == "claimed"
    assert refused.details["missing"] == ["static", "unit"]

    failed = agent.record_verification(claim.task_id, "unit", "coord verify", "fail", DIGEST, claim=claim.claim)
    assert failed.ok and failed.code == "recorded" and failed.missing == ["static", "unit"]
    passed = agent.record_verification(claim.task_id, "unit", "coord verify", "pass", DIGEST, {"exit": 0},
                                       claim=claim.claim)
    assert passed.missing == ["static"]
    assert agent.complete_task(claim.task_id, claim.claim).details["missing"] == ["static"]
    assert agent.record_verification(claim.task_id, "static", "ruff", "pass", claim=claim.claim).missing == []

    done = agent.complete_task(claim.task_id, claim.claim, {"ok": True})
    assert done.ok and done.code == "completed"
    records = agent.list_verifications(claim.task_id)
    assert [(r.tier, r.status, r.claim) for r in records] == [
        ("unit", "fail", claim.claim), ("unit", "pass", claim.claim), ("static", "pass", claim.claim)]
    assert records[1].output_digest == DIGEST and records[1].details == {"exit": 0}
    audited = db.execute("select action, decision from audit.events where target_type = 'task' and target_id = %s "
                         "and action in ('task.verify', 'task.complete') order by id", (str(claim.task_id),)).fetchall()
    assert audited[:4] == [("task.complete", "unverified"), ("task.verify", "recorded"), ("task.verify", "recorded"),
                           ("task.complete", "unverified")]


def test_a_fail_after_a_pass_blocks_again(db: psycopg.Connection, agent_factory: Any) -> None:
    _, agent = agent_factory()
    agent.submit_task("build", verify=["unit"])
    claim = agent.claim_task(["build"])
    agent.record_verification(claim.task_id, "unit", "coord verify", "pass", claim=claim.claim)
    agent.record_verification(claim.task_id, "unit", "coord verify", "fail", claim=claim.claim)
    assert agent.complete_task(claim.task_id, claim.claim).code == "unverified"


def test_records_of_an_earlier_claim_do_not_count(db: psycopg.Connection, agent_factory: Any) -> None:
    _, agent = agent_factory()
    _, other = agent_factory()
    agent.submit_task("build", verify=["unit"], max_attempts=3)
    first = agent.claim_task(["build"], lease="1 minute")
    assert agent.record_verification(first.task_id, "unit", "coord verify", "pass", claim=first.claim).ok
    advance_clock(db, "2 minutes")
    assert other.claim_task(["build"]).code == "empty"  # rescued lazily; run_after backs off
    advance_clock(db, "1 minute")
    second = other.claim_task(["build"])
    assert second.task_id == first.task_id and second.claim != first.claim
    assert other.complete_task(second.task_id, second.claim).code == "unverified"
    # The first claimant's late record names its stale claim and is refused.
    late = agent.record_verification(first.task_id, "unit", "coord verify", "pass", claim=first.claim)
    assert not late.ok and late.code == "stale_claim"
    assert other.record_verification(second.task_id, "unit", "ci", "pass", claim=second.claim).ok
    assert other.complete_task(second.task_id, second.claim).ok


def test_manual_tier_needs_someone_else_with_standing(db: psycopg.Connection, agent_factory: Any) -> None:
    principal, agent = agent_factory()
    _, peer = agent_factory()
    operator = Client(connection=db, token=make_principal(db, role="operator").token)
    agent.submit_task("release", verify=["manual"])
    claim = agent.claim_task(["release"])

    own = agent.record_verification(claim.task_id, "manual", "review", "pass", claim=claim.claim)
    assert not own.ok and own.code == "verifier_not_allowed"
    assert peer.record_verification(claim.task_id, "manual", "review", "pass",
                                    claim=claim.claim).code == "verifier_not_allowed"
    # A device of the claimant is the claimant's side, even with trust to spare.
    device = Client(connection=db, token=agent.add_device("laptop", ["tasks:write"]).token)
    assert device.record_verification(claim.task_id, "manual", "review", "pass",
                                      claim=claim.claim).code == "verifier_not_allowed"
    # Automated tiers are not the peer's to record either.
    assert peer.record_verification(claim.task_id, "unit", "ci", "pass",
                                    claim=claim.claim).code == "verifier_not_allowed"
    assert agent.complete_task(claim.task_id, claim.claim).code == "unverified"

    trusted = reviewer(db, operator, "reviewer-one")
    assert trusted.record_verification(claim.task_id, "manual", "review", "pass", claim=claim.claim).ok
    assert agent.complete_task(claim.task_id, claim.claim).ok
    assert db.execute("select count(*) from audit.events where action = 'task.verify' "
                      "and decision = 'verifier_not_allowed'").fetchone() == (4,)
    del principal


def test_operator_records_manual_verification(db: psycopg.Connection, agent_factory: Any) -> None:
    _, agent = agent_factory()
    operator = Client(connection=db, token=make_principal(db, role="operator").token)
    agent.submit_task("release", verify=["manual", "unit"])
    claim = agent.claim_task(["release"])
    assert operator.record_verification(claim.task_id, "manual", "review", "pass",
                                        claim=claim.claim).missing == ["unit"]
    assert operator.record_verification(claim.task_id, "unit", "ci:github", "pass", claim=claim.claim).missing == []
    assert agent.complete_task(claim.task_id, claim.claim).ok


def test_complete_tasks_refuses_the_batch_while_one_is_unverified(db: psycopg.Connection, agent_factory: Any) -> None:
    _, agent = agent_factory()
    agent.submit_task("build")
    agent.submit_task("build", verify=["unit"])
    claims = agent.claim_tasks(["build"], limit=2)
    rows = agent.complete_tasks([{"task_id": c.task_id, "claim": c.claim} for c in claims])
    assert sorted(r.code for r in rows) == ["batch_refused", "unverified"]
    assert db.execute("select count(*) from coord.tasks where state = 'completed'").fetchone() == (0,)
    verified = next(c for c in claims if agent.get_task(c.task_id).required_verifications)
    agent.record_verification(verified.task_id, "unit", "coord verify", "pass", claim=verified.claim)
    rows = agent.complete_tasks([{"task_id": c.task_id, "claim": c.claim} for c in claims])
    assert [r.code for r in rows] == ["completed", "completed"]


def test_submit_tasks_takes_verify_per_item(db: psycopg.Connection, agent_factory: Any) -> None:
    _, agent = agent_factory()
    rows = agent.submit_tasks([{"kind": "build", "verify": ["system", "unit"]}, {"kind": "build"}])
    assert [agent.get_task(r.task_id).required_verifications for r in rows] == [["system", "unit"], []]


@pytest.mark.parametrize(("call", "code"), [
    (lambda a, t: a.record_verification(t, "smoke", "ci", "pass"), "CO422"),
    (lambda a, t: a.record_verification(t, "unit", "ci", "passed"), "CO423"),
    (lambda a, t: a.record_verification(t, "unit", "", "pass"), "CO423"),
    (lambda a, t: a.record_verification(t, "unit", "ci", "pass", "ABC"), "CO423"),
    (lambda a, t: a.record_verification(t, "unit", "ci", "pass", details=[1]), "CO423"),
    (lambda a, t: a.record_verification(t + 1000, "unit", "ci", "pass", claim=1), "CO410"),
    (lambda a, t: a.record_verification(t, "unit", "ci", "pass"), "CO413"),
    (lambda a, t: a.submit_task("build", verify=["unit", "lint"]), "CO422"),
    (lambda a, t: a.submit_tasks([{"kind": "build", "verify": "unit"}]), "CO415"),
])
def test_malformed_verification_input_is_an_error_and_writes_nothing(db: psycopg.Connection, agent_factory: Any,
                                                                     call: Any, code: str) -> None:
    _, agent = agent_factory()
    agent.submit_task("build", verify=["unit"])
    claim = agent.claim_task(["build"])
    before = db.execute("select (select count(*) from coord.task_verifications), (select count(*) from coord.tasks), "
                        "(select count(*) from audit.events)").fetchone()
    with pytest.raises(CoordError) as error:
        call(agent, claim.task_id)
    assert error.value.code == code
    assert db.execute("select (select count(*) from coord.task_verifications), (select count(*) from coord.tasks), "
                      "(select count(*) from audit.events)").fetchone() == before


def test_verifying_an_unclaimed_task_is_stale(db: psycopg.Connection, agent_factory: Any) -> None:
    _, agent = agent_factory()
    task = agent.submit_task("build", verify=["unit"])
    refused = agent.record_verification(task.task_id, "unit", "ci", "pass", claim=1)
    assert not refused.ok and refused.code == "stale_claim"
    assert db.execute("select count(*) from coord.task_verifications").fetchone() == (0,)


def test_an_auditor_reads_records_but_cannot_record(db: psycopg.Connection, agent_factory: Any) -> None:
    _, agent = agent_factory()
    auditor = Client(connection=db, token=make_principal(db, role="auditor").token)
    agent.submit_task("build", verify=["unit"])
    claim = agent.claim_task(["build"])
    agent.record_verification(claim.task_id, "unit", "ci", "pass", claim=claim.claim)
    assert [r.tier for r in auditor.list_verifications(claim.task_id)] == ["unit"]
    with pytest.raises(CoordError):
        auditor.record_verification(claim.task_id, "unit", "ci", "pass", claim=claim.claim)


def test_a_record_is_bound_to_the_claim_whose_work_it_verifies(db: psycopg.Connection, agent_factory: Any) -> None:
    """A verification without its claim used to attach to whatever claim was live when it was
    recorded: a run that began under the first claim, recorded after the task was lost and claimed
    again, counted for the second claimant's work, which it never saw. The claim is required."""
    _, agent = agent_factory()
    _, other = agent_factory()
    agent.submit_task("build", verify=["unit"], max_attempts=3)
    first = agent.claim_task(["build"], lease="1 minute")
    advance_clock(db, "2 minutes")  # the first claim is lost while its tests run
    assert other.claim_task(["build"]).code == "empty"  # rescued lazily; run_after backs off
    advance_clock(db, "1 minute")
    second = other.claim_task(["build"])
    assert second.task_id == first.task_id and second.claim != first.claim
    db.execute("savepoint unbound")
    with pytest.raises(CoordError) as error:
        agent.record_verification(first.task_id, "unit", "coord verify", "pass")
    assert error.value.code == "CO413"
    db.execute("rollback to savepoint unbound")
    assert agent.record_verification(first.task_id, "unit", "coord verify", "pass", claim=first.claim).code == \
        "stale_claim"
    assert other.complete_task(second.task_id, second.claim).code == "unverified"
