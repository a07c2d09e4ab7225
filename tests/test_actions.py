"""Actions: a proposer asks a device (or an agent) to do something; the action's approval is an
approval request, decided by an approver (never the proposer, nor whoever acts for it) or by a
policy whose scopes cover every required scope; the target claims an approved action with a
fencing claim and a lease and reports it executed or failed; a lease that runs out returns it to
approved (or fails it after the last attempt); terminal states have no way out. Device scopes
(actions:claim, presence:write, presence:read) are checked by the gate; presence and discovery.
"""

from __future__ import annotations

import json
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner
from coord_cli.main import main

from coordinator.client import Client
from coordinator.errors import CoordError
from tests.conftest import Database, advance_clock, make_principal

DEVICE_SCOPES = ["actions:claim", "actions:read", "presence:write"]


def setup(db: psycopg.Connection, scopes: list[str] | None = None) -> tuple[Client, Client, Client]:
    """(proposer agent, operator approver, device owned by the proposer)."""
    proposer = Client(connection=db, token=make_principal(db, "planner").token)
    operator = Client(connection=db, token=make_principal(db, "op", role="operator").token)
    grant = proposer.add_device("lamp", scopes or DEVICE_SCOPES)
    assert grant.code == "issued", grant
    return proposer, operator, Client(connection=db, token=grant.token)


def state_of(db: psycopg.Connection, action_id: int) -> str:
    row = db.execute("select state from coord.actions where id = %s", (action_id,)).fetchone()
    assert row is not None
    return row[0]


def test_an_approved_action_is_claimed_and_executed_by_its_device(db: psycopg.Connection) -> None:
    proposer, operator, device = setup(db)
    proposed = proposer.propose_action("lamp.on", {"brightness": 80}, ["lamp:write"], "lamp")
    assert (proposed.code, proposed.state) == ("proposed", "proposed") and proposed.approval_id
    assert device.claim_action().code == "empty"
    assert device.claim_action(proposed.action_id).code == "not_claimable"

    # The proposer's approval request is an ordinary approval request, decided by an approver.
    approval = operator.get_approval(proposed.approval_id)
    assert (approval.kind, approval.target_type, approval.target_id) == ("action:lamp.on", "action",
                                                                         str(proposed.action_id))
    assert proposer.approve_request(proposed.approval_id, "mine").code == "denied"  # trust 2 may not decide
    assert operator.approve_request(proposed.approval_id, "evening").code == "approved"
    assert state_of(db, proposed.action_id) == "approved"

    claimed = device.claim_action()
    assert (claimed.code, claimed.action_id, claimed.claim, claimed.kind, claimed.payload) == (
        "claimed", proposed.action_id, 1, "lamp.on", {"brightness": 80})
    assert operator.get_approval(proposed.approval_id).state == "used"  # the first claim uses the grant
    assert device.renew_action(claimed.action_id, claimed.claim, "10 minutes").code == "renewed"
    done = device.complete_action(claimed.action_id, claimed.claim, {"ok": True})
    assert (done.code, done.state) == ("executed", "executed")
    shown = proposer.get_action(proposed.action_id)
    assert (shown.state, shown.result, shown.attempts, shown.target) == ("executed", {"ok": True}, 1, "lamp")
    # A second report with the same claim finds the action finished.
    assert device.complete_action(claimed.action_id, claimed.claim, {}).code == "stale_fence"
    assert device.fail_action(claimed.action_id, claimed.claim, "late").code == "stale_fence"

    # Every transition is audited with what allowed it.
    events = db.execute("select action, decision, details from audit.events where target_type = 'action' "
                        "and target_id = %s order by id", (str(proposed.action_id),)).fetchall()
    path = [d for a, d, _ in events if d in ("proposed", "approved", "executing", "executed")]
    assert path == ["proposed", "approved", "executing", "executed"]
    approve = next(det for a, d, det in events if a == "action.approve")
    assert (approve["approval_id"], approve["decided_by"]) == (proposed.approval_id, "op")


def test_a_late_executor_s_result_after_expiry_and_reclaim_is_refused(db: psycopg.Connection) -> None:
    """The predecessor's bug: a status update without a guard let a late worker move a finished
    action back. Here the late report carries its old claim, which no longer matches."""
    proposer, operator, device = setup(db)
    action = proposer.propose_action("door.open", {}, ["door:write"], "lamp")
    assert operator.approve_request(action.approval_id, "ok").ok
    first = device.claim_action(action.action_id, "1 minute")
    advance_clock(db, "2 minutes")
    assert operator.maintain().details["actions_retried"] == 1
    assert state_of(db, action.action_id) == "approved"
    second = device.claim_action(action.action_id)
    assert (second.code, second.claim) == ("claimed", 2)
    late = device.complete_action(action.action_id, first.claim, {"from": "the late executor"})
    assert (late.code, late.state, late.claim, late.details["presented_claim"]) == (
        "stale_fence", "executing", second.claim, first.claim)
    assert device.fail_action(action.action_id, first.claim, "late").code == "stale_fence"
    assert device.renew_action(action.action_id, first.claim).code == "stale_fence"
    assert device.complete_action(action.action_id, second.claim, {"from": "the live one"}).code == "executed"
    # ... and after the live one finished, the late one still cannot move it.
    assert device.complete_action(action.action_id, first.claim, {}).code == "stale_fence"
    assert proposer.get_action(action.action_id).result == {"from": "the live one"}


def test_an_expired_lease_found_by_the_late_call_itself_releases_the_action(db: psycopg.Connection) -> None:
    proposer, operator, device = setup(db)
    action = proposer.propose_action("door.open", {}, ["door:write"], "lamp", max_attempts=2)
    assert operator.approve_request(action.approval_id, "ok").ok
    first = device.claim_action(action.action_id, "1 minute")
    advance_clock(db, "2 minutes")
    late = device.complete_action(action.action_id, first.claim, {})
    assert (late.code, late.state) == ("expired", "approved")
    second = device.claim_action(action.action_id, "1 minute")
    advance_clock(db, "2 minutes")
    assert operator.maintain().details["actions_failed"] == 1  # the last attempt's lease ran out
    shown = proposer.get_action(action.action_id)
    assert (shown.state, shown.attempts) == ("failed", 2) and "ran out" in shown.error
    assert device.complete_action(action.action_id, second.claim, {}).code == "stale_fence"
    assert device.claim_action(action.action_id).code == "not_claimable"


def test_terminal_states_have_no_way_out_even_for_the_owner(db: psycopg.Connection) -> None:
    proposer, operator, device = setup(db)
    action = proposer.propose_action("door.open", {}, ["door:write"], "lamp")
    assert operator.approve_request(action.approval_id, "ok").ok
    claimed = device.claim_action()
    assert device.fail_action(action.action_id, claimed.claim, "jammed").code == "failed"
    for change in ("state = 'approved'", "state = 'executing', lease_expires_at = now(), finished_at = null",
                   "result = '{}'", "claim = claim + 1, attempts = attempts + 1", "error = 'rewritten'"):
        with pytest.raises(psycopg.Error, match=r"CO460|action"), db.transaction():
            db.execute(f"update coord.actions set {change} where id = %s", (action.action_id,))  # test-owned text
    rejected = proposer.propose_action("door.close", {}, ["door:write"], "lamp")
    assert operator.deny_request(rejected.approval_id, "not now").code == "rejected"
    assert state_of(db, rejected.action_id) == "rejected"
    with pytest.raises(psycopg.Error, match="CO460"), db.transaction():
        db.execute("update coord.actions set state = 'approved', approved_at = now() where id = %s",
                   (rejected.action_id,))
    assert device.claim_action(rejected.action_id).code == "not_claimable"


def test_nobody_approves_an_action_they_act_for(db: psycopg.Connection) -> None:
    _, operator, _ = setup(db)
    boss_principal = make_principal(db, "boss")
    boss = Client(connection=db, token=boss_principal.token)
    assert operator.create_profile("approver", 4).ok and operator.assign_profile("boss", "approver").ok
    mine = boss.propose_action("door.open", {}, ["door:write"], "lamp")
    assert boss.approve_request(mine.approval_id, "me").code == "self_approval"
    # A device's owner acts for it: an action the device proposes is not its owner's to approve.
    owned = Client(connection=db, token=boss.add_device("cam", ["actions:write", "actions:read"]).token)
    by_device = owned.propose_action("snap", {}, ["cam:write"], "lamp")
    assert by_device.code == "proposed"
    assert boss.approve_request(by_device.approval_id, "my device").code == "self_approval"
    assert operator.approve_request(by_device.approval_id, "fine").code == "approved"
    assert state_of(db, mine.action_id) == "proposed" and state_of(db, by_device.action_id) == "approved"


@pytest.mark.parametrize(("policy_scopes", "required", "approved"), [
    (["door:write", "lamp:write"], ["door:write"], True),                 # the policy covers the request
    (["door:write", "lamp:write"], ["door:write", "lamp:write"], True),
    (["door:write"], ["door:write", "safe:open"], False),                 # the request needs more: never
    (["door:write", "lamp:write"], ["door:write", "safe:open"], False),   # a superset elsewhere: still not
    ([], ["door:write"], False),                                          # an empty policy approves nothing
])
def test_a_policy_approves_only_when_its_scopes_cover_the_required_ones(
        db: psycopg.Connection, policy_scopes: list[str], required: list[str], approved: bool) -> None:
    """The predecessor's bug: auto-approval matched when the policy's scopes were a superset in the
    wrong direction. Both directions are checked here."""
    proposer, operator, device = setup(db)
    assert operator.add_approval_policy("doors", policy_scopes, kinds=["action:door.open"]).ok
    action = proposer.propose_action("door.open", {"door": 1}, required, "lamp")
    assert (action.code, action.state) == (("approved", "approved") if approved else ("proposed", "proposed"))
    if approved:
        assert operator.get_approval(action.approval_id).policy == "doors"
        assert device.claim_action().code == "claimed"
    # Another kind is never covered by this policy.
    other = proposer.propose_action("safe.open", {}, ["door:write"], "lamp")
    assert other.code == "proposed"


def test_device_tokens_reach_only_what_their_scopes_allow(db: psycopg.Connection) -> None:
    proposer, operator, device = setup(db, ["presence:write"])
    action = proposer.propose_action("door.open", {}, ["door:write"], "lamp")
    assert operator.approve_request(action.approval_id, "ok").ok
    refused = device.claim_action()
    assert refused.code == "denied" and refused.details["rule"] == "scope.missing"
    assert state_of(db, action.action_id) == "approved"
    assert device.device_heartbeat().code == "alive"
    assert device.propose_action("door.open", {}, ["door:write"], "lamp").code == "denied"
    with pytest.raises(CoordError) as hidden:
        device.list_actions()
    assert hidden.value.code == "PT403"
    # Only the target claims: its proposer (every scope) is not the lamp, and to an agent
    # that neither proposed it nor is its target, the action does not exist.
    assert proposer.claim_action(action.action_id).code == "not_target"
    other = Client(connection=db, token=make_principal(db, "other").token)
    assert other.claim_action().code == "empty"
    with pytest.raises(CoordError) as unseen:
        other.claim_action(action.action_id)
    assert unseen.value.code == "CO457"
    with pytest.raises(CoordError) as unknown:
        other.get_action(action.action_id)
    assert unknown.value.code == "CO457"
    # Scopes: actions:claim is a scope a token can carry, garbage is not.
    with pytest.raises(CoordError) as bad:
        proposer.add_device("bad", ["actions:launch"])
    assert bad.value.code == "CO222"


def test_the_target_hears_of_the_approval(committed_db: Database) -> None:
    admin = psycopg.connect(committed_db.admin_dsn, autocommit=True)
    try:
        proposer = Client(committed_db.client_dsn, make_principal(admin, "planner", tenant="notify").token)
        operator = Client(committed_db.client_dsn, make_principal(admin, "op", tenant="notify", role="operator").token)
        device = Client(committed_db.client_dsn, proposer.add_device("lamp", DEVICE_SCOPES).token)
        empty = device.claim_action()
        assert empty.code == "empty"
        listener = psycopg.connect(committed_db.client_dsn, autocommit=True)
        listener.execute(f'listen "{empty.details["channel"]}"')  # test-owned text: a hash from the database
        action = proposer.propose_action("lamp.on", {}, ["lamp:write"], "lamp")
        assert operator.approve_request(action.approval_id, "ok").ok
        heard = [n.payload for n in listener.notifies(timeout=10, stop_after=1)]
        assert heard == [str(action.action_id)]
        listener.close()
        for client in (proposer, operator, device):
            client.close()
    finally:
        admin.close()


def test_expiry_follows_the_approval_and_the_claim_deadline(db: psycopg.Connection) -> None:
    proposer, operator, device = setup(db)
    unanswered = proposer.propose_action("a", {}, ["x:y"], "lamp")
    unclaimed = proposer.propose_action("b", {}, ["x:y"], "lamp")
    assert operator.approve_request(unclaimed.approval_id, "ok", "1 minute").ok
    withdrawn = proposer.propose_action("c", {}, ["x:y"], "lamp")
    assert proposer.cancel_approval(withdrawn.approval_id).code == "cancelled"
    advance_clock(db, "2 hours")
    assert operator.maintain().ok
    assert [state_of(db, a.action_id) for a in (unanswered, unclaimed, withdrawn)] == ["expired", "expired", "rejected"]
    assert operator.get_approval(unclaimed.approval_id).state == "expired"
    assert device.claim_action(unclaimed.action_id).code == "not_claimable"


def test_presence_and_discovery(db: psycopg.Connection) -> None:
    proposer, operator, device = setup(db)
    rows = operator.discover_devices()
    assert [(r.name, r.presence, r.scopes) for r in rows] == [("lamp", "offline", sorted(DEVICE_SCOPES))]
    assert device.device_heartbeat().code == "alive"
    assert [r.presence for r in operator.discover_devices()] == ["online"]
    assert [r.name for r in operator.discover_devices("online", "actions:claim")] == ["lamp"]
    assert operator.discover_devices(scope="memory:read") == []
    advance_clock(db, "3 minutes")  # past the presence window (2 minutes)
    assert [r.presence for r in operator.discover_devices()] == ["offline"]
    assert [r.presence for r in operator.list_devices()] == ["offline"]
    action = proposer.propose_action("lamp.on", {}, ["lamp:write"], "lamp")
    assert operator.approve_request(action.approval_id, "ok").ok
    assert [r.claimable_actions for r in proposer.discover_devices()] == [1]
    device.claim_action()  # acting counts as being seen
    assert [r.presence for r in operator.list_devices()] == ["online"]
    # Another tenant sees none of them.
    stranger = Client(connection=db, token=make_principal(db, "s", tenant="t2", role="operator").token)
    assert stranger.discover_devices() == []
    with pytest.raises(CoordError) as bad:
        operator.discover_devices("asleep")
    assert bad.value.code == "CO478"


def test_input_errors_write_nothing(db: psycopg.Connection) -> None:
    proposer, _, device = setup(db)
    for call, code in [
        (lambda: proposer.propose_action("Bad Kind", {}, ["x:y"], "lamp"), "CO458"),
        (lambda: proposer.propose_action("ok", [], ["x:y"], "lamp"), "CO458"),
        (lambda: proposer.propose_action("ok", {}, [], "lamp"), "CO458"),
        (lambda: proposer.propose_action("ok", {}, ["x:y"], "lamp", max_attempts=11), "CO458"),
        (lambda: proposer.propose_action("ok", {}, ["x:y"], "nobody"), "CO459"),
        (lambda: device.claim_action(None, "2 hours"), "CO458"),
        (lambda: device.complete_action(1, 0, {}), "CO458"),
        (lambda: proposer.list_actions("done"), "CO478"),
        (lambda: proposer.get_action(10**12), "CO457"),
    ]:
        with pytest.raises(CoordError) as caught:
            call()
        assert caught.value.code == code
    assert db.execute("select count(*) from coord.actions").fetchone() == (0,)


def _coord(db: Database, token: str, *args: str) -> Any:
    return CliRunner().invoke(main, [*args, "--dsn", db.client_dsn, "--token", token],
                              env={"COORD_TOKEN": "", "COORD_DSN": "", "COORD_ADMIN_DSN": ""}, catch_exceptions=False)


def test_the_cli_runs_an_action_end_to_end(committed_db: Database) -> None:
    admin = psycopg.connect(committed_db.admin_dsn, autocommit=True)
    try:
        owner = make_principal(admin, "planner", tenant="cli")
        operator = make_principal(admin, "op", tenant="cli", role="operator")
        added = _coord(committed_db, owner.token, "device", "add", "lamp", "--scopes",
                       "actions:claim,actions:read,presence:write", "--json")
        assert added.exit_code == 0, added.output
        device = json.loads(added.output)["token"]
        proposed = _coord(committed_db, owner.token, "actions", "propose", "lamp.on", "--target", "lamp",
                          "--payload", '{"level": 3}', "--scopes", "lamp:write", "--json")
        assert proposed.exit_code == 0, proposed.output
        action_id = json.loads(proposed.output)["action_id"]
        approved = _coord(committed_db, operator.token, "actions", "approve", str(action_id), "--reason", "fine",
                          "--json")
        assert approved.exit_code == 0 and json.loads(approved.output)["code"] == "approved", approved.output
        claimed = _coord(committed_db, device, "actions", "claim", "--json")
        assert claimed.exit_code == 0, claimed.output
        claim = json.loads(claimed.output)["claim"]
        done = _coord(committed_db, device, "actions", "complete", str(action_id), "--claim", str(claim),
                      "--result", '{"on": true}', "--json")
        assert done.exit_code == 0 and json.loads(done.output)["code"] == "executed", done.output
        stale = _coord(committed_db, device, "actions", "fail", str(action_id), "--claim", str(claim), "--error", "x")
        assert stale.exit_code != 0 and "stale_fence" in stale.output
        shown = _coord(committed_db, operator.token, "actions", "show", str(action_id), "--json")
        assert json.loads(shown.output)["state"] == "executed"
        listed = _coord(committed_db, operator.token, "actions", "list", "--state", "executed", "--json")
        assert [a["action_id"] for a in json.loads(listed.output)] == [action_id]
        assert _coord(committed_db, device, "device", "heartbeat", "--json").exit_code == 0
        found = _coord(committed_db, operator.token, "device", "discover", "--json")
        assert [(d["name"], d["presence"]) for d in json.loads(found.output)] == [("lamp", "online")]
        rejected = _coord(committed_db, owner.token, "actions", "propose", "lamp.off", "--target", "lamp",
                          "--scopes", "lamp:write", "--json")
        other = json.loads(rejected.output)["action_id"]
        assert _coord(committed_db, operator.token, "actions", "reject", str(other), "--reason", "no").exit_code == 0
        assert json.loads(_coord(committed_db, operator.token, "actions", "show", str(other), "--json").output)[
            "state"] == "rejected"
        for sub in ("propose", "list", "show", "approve", "reject", "claim", "complete", "fail"):
            assert "--json" in _coord(committed_db, owner.token, "actions", sub, "--help").output
    finally:
        admin.close()


def test_an_action_declaring_a_blocked_operation_is_not_proposed(db: psycopg.Connection) -> None:
    """The guardrails ran on check_operation and on the operations a task completion declares,
    but not on those an action declares: an agent could have a device run `rm -rf /` by proposing
    it, and an approver (or a policy) approve it without the guardrails ever being asked."""
    proposer, _operator, _device = setup(db)
    command = "rm -rf /"
    assert proposer.check_operation("command", command).code == "blocked"
    before = db.execute("select count(*) from coord.actions").fetchone()
    refused = proposer.propose_action("shell.run", {"operations": [command]}, ["shell:run"], "lamp")
    assert (refused.ok, refused.code, refused.action_id) == (False, "blocked", None)
    assert [o["code"] for o in refused.details["operations"]] == ["blocked"]
    assert refused.details["operations"][0]["violation_id"]
    assert db.execute("select count(*) from coord.actions").fetchone() == before
    assert db.execute("select decision from audit.events where action = 'action.propose' "
                      "order by id desc limit 1").fetchone() == ("blocked",)
    with pytest.raises(CoordError) as malformed:
        proposer.propose_action("shell.run", {"operations": [{"kind": "command"}]}, ["shell:run"], "lamp")
    assert malformed.value.code == "CO477"


def test_a_policy_must_cover_the_guardrails_an_actions_operations_ask(db: psycopg.Connection) -> None:
    """An operation that needs approval adds its guardrail scope to the action's approval request:
    a policy approving the action kind with its own scopes no longer approves it unseen."""
    proposer, operator, _device = setup(db)
    command = "npm publish --access public"
    assert proposer.check_operation("command", command).code == "needs_approval"
    assert operator.add_approval_policy("publish", ["pkg:publish"], kinds=["action:pkg.publish"]).ok
    plain = proposer.propose_action("pkg.publish", {"package": "x"}, ["pkg:publish"], "lamp")
    assert plain.code == "approved"
    declared = proposer.propose_action("pkg.publish", {"package": "x", "operations": [command]}, ["pkg:publish"],
                                       "lamp")
    assert (declared.code, declared.state) == ("proposed", "proposed")
    assert [o["code"] for o in declared.details["operations"]] == ["needs_approval"]
    assert any(s.startswith("guardrail:") for s in operator.get_approval(declared.approval_id).scopes or [])


def test_a_retry_runs_on_the_actions_one_grant_within_its_bounds(db: psycopg.Connection) -> None:
    """The approval approves the action (its payload, target and up to max_attempts attempts), not
    one attempt: docs/architecture.md (Actions) and issue 14 ("lease expiry returns it to approved
    (retry) or failed after the attempts"). So a retry after an expired lease needs no new approval
    and does not use the grant again, but only within the retry window and max_attempts."""
    proposer, operator, device = setup(db)
    action = proposer.propose_action("door.open", {}, ["door:write"], "lamp", max_attempts=2)
    assert operator.approve_request(action.approval_id, "ok").ok
    assert device.claim_action(action.action_id, "1 minute").claim == 1
    advance_clock(db, "2 minutes")
    assert operator.maintain().details["actions_retried"] == 1
    assert device.claim_action(action.action_id, "1 minute").claim == 2  # the retry: no new approval
    uses = db.execute("select count(*) from audit.events where action = 'approval.use' and target_id = %s",
                      (str(action.approval_id),)).fetchone()
    assert uses == (1,)  # the grant was used once, by the first claim
    advance_clock(db, "2 minutes")
    assert operator.maintain().details["actions_failed"] == 1  # the last attempt: no third run
    assert device.claim_action(action.action_id).code == "not_claimable"

    # A retry is claimable for the retry window only: then the action expires, and a new run needs
    # a new proposal and a new approval.
    again = proposer.propose_action("door.open", {"n": 2}, ["door:write"], "lamp", max_attempts=3)
    assert operator.approve_request(again.approval_id, "ok").ok
    assert device.claim_action(again.action_id, "1 minute").ok
    advance_clock(db, "2 minutes")
    assert operator.maintain().details["actions_retried"] == 1
    advance_clock(db, "61 minutes")
    assert device.claim_action(again.action_id).code == "expired"
    assert state_of(db, again.action_id) == "expired"
