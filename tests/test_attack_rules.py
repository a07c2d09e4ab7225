"""Attacks on today's rules: actions, skills, verification records and the Cedar engine switch.
Each test states a promise; an xfail(strict) test is an open hole described in its reason."""

from __future__ import annotations

import psycopg
import pytest

from coordinator.client import Client
from coordinator.errors import CoordError
from tests.conftest import make_principal, requires_plpython


def _trust4_tenant(db: psycopg.Connection) -> tuple[Client, Client]:
    """An operator and an agent of a tenant whose default profile has trust 4 (every agent an admin)."""
    op = Client(connection=db, token=make_principal(db, "op", role="operator").token)
    assert op.create_profile("admins", 4).ok
    assert op.set_default_profile("admins").ok
    agent = Client(connection=db, token=make_principal(db, "boss").token)
    return op, agent


def test_a_device_never_approves_its_owners_request(db: psycopg.Connection) -> None:
    """An owner acts for its devices (docs/security.md): a device approving its owner's request is the
    owner approving itself."""
    _, boss = _trust4_tenant(db)
    device = Client(connection=db, token=boss.add_device("phone", ["approvals:write", "approvals:read"]).token)
    asked = boss.register_skill("wide", "1.0.0", {"network": ["evil.example"]})
    assert asked.code == "needs_approval"
    decided = device.approve_request(asked.approval_id, "looks fine")
    assert decided.code == "self_approval", decided
    again = boss.register_skill("wide", "1.0.0", {"network": ["evil.example"]}, approval=asked.approval_id)
    assert again.code != "registered"


def test_two_devices_of_one_owner_never_approve_each_other(db: psycopg.Connection) -> None:
    _, boss = _trust4_tenant(db)
    asker = Client(connection=db, token=boss.add_device("laptop", ["skills:*", "approvals:read"]).token)
    approver = Client(connection=db, token=boss.add_device("phone", ["approvals:write", "approvals:read"]).token)
    asked = asker.register_skill("wide", "1.0.0", {"network": ["evil.example"]})
    assert asked.code == "needs_approval"
    assert approver.approve_request(asked.approval_id, "looks fine").code == "self_approval"


def test_a_sibling_device_never_records_a_manual_verification(db: psycopg.Connection) -> None:
    """A manual verification is someone else's judgement: a device of the claimant's owner is the claimant's
    side, like the owner itself."""
    _, boss = _trust4_tenant(db)
    worker = Client(connection=db, token=boss.add_device("worker", ["tasks:*"]).token)
    reviewer = Client(connection=db, token=boss.add_device("reviewer", ["tasks:*"]).token)
    submitted = boss.submit_task("build", verify=["manual"])
    claim = worker.claim_task(["build"])
    assert claim.task_id == submitted.task_id
    recorded = reviewer.record_verification(claim.task_id, "manual", "review", "pass", claim=claim.claim)
    assert (recorded.ok, recorded.code) == (False, "verifier_not_allowed"), recorded
    assert worker.complete_task(claim.task_id, claim.claim).code == "unverified"


def test_a_skill_reference_with_an_empty_version_is_malformed(db: psycopg.Connection) -> None:
    """name@ is neither name@version nor a bare name: every call taking a reference refuses it (CO760)."""
    op = Client(connection=db, token=make_principal(db, "op", role="operator").token)
    agent = Client(connection=db, token=make_principal(db, "dev").token)
    assert op.register_skill("web", "1.0.0", {"network": ["pypi.org"]}).ok
    for call in (lambda: op.get_skill("web@"), lambda: op.validate_skill("web@", []),
                 lambda: agent.start_session(skill="web@")):
        with pytest.raises(CoordError) as caught:
            call()
        assert caught.value.code == "CO760"


def test_a_guardrail_approval_policy_never_approves_an_action(db: psycopg.Connection) -> None:
    """An action's required scopes are chosen by its proposer: an auto-approval policy written for the
    guardrails (scopes guardrail:<category>, any operation kind) must not approve an action that merely
    declares the same scope. Only a policy naming the action's kind (action:<kind>) approves actions."""
    op = Client(connection=db, token=make_principal(db, "op", role="operator").token)
    planner = Client(connection=db, token=make_principal(db, "planner").token)
    assert planner.add_device("door", ["actions:claim"]).code == "issued"
    assert op.add_approval_policy("deploys", ["guardrail:deployment"]).ok
    proposed = planner.propose_action("door.open", {"door": "front"}, ["guardrail:deployment"], "door")
    assert proposed.code == "proposed", proposed
    assert op.add_approval_policy("doors", ["doors:open"], kinds=["action:door.open"]).ok
    assert planner.propose_action("door.open", {"door": "back"}, ["doors:open"], "door").code == "approved"


@requires_plpython
def test_a_cedar_policy_never_lifts_token_scopes_or_trust(db: psycopg.Connection) -> None:
    op = Client(connection=db, token=make_principal(db, "op", tenant="cedar-open", role="operator").token)
    agent = Client(connection=db, token=make_principal(db, "worker", tenant="cedar-open").token)
    op.call("set_cedar_policy", {"p_policy": '@id("all") permit (principal, action, resource);', "p_reason": "open"})
    op.call("set_policy_engine", {"p_engine": "cedar", "p_reason": "adopt"})
    device = Client(connection=db, token=agent.add_device("lamp", ["presence:write"]).token)
    assert device.acquire_lock("src/a.py").code == "denied"  # its token has no locks:write
    assert agent.create_profile("mine", 4).code == "denied"  # profile management needs trust 4
