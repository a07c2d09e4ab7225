"""Approval requests: a needs_approval answer records a request, an approver decides it, and the
approval is a single-use grant for exactly the operation, requester and target it was asked for.
Auto-approval policies match conservatively (the predecessor's superset bug is replayed), expiry
is the sweeper's with the state guard, and waiting is LISTEN/NOTIFY."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from coordinator.client import Client
from coordinator.errors import CoordError
from tests.conftest import Database, advance_clock, in_thread, make_principal, wait_for_backend

PUBLISH = "npm publish --access public"  # shipped rule publish-package (deployment): needs approval


def approver(db: psycopg.Connection, operator: Client, name: str, trust: int = 4) -> Client:
    """An agent of the operator's tenant acting under a profile of the given trust."""
    principal = make_principal(db, name)
    assert operator.create_profile(f"trust{trust}-{name}", trust).ok
    assert operator.assign_profile(principal.name, f"trust{trust}-{name}").ok
    return Client(connection=db, token=principal.token)


def events(db: psycopg.Connection, approval_id: int) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in db.execute(
        "select action, decision from audit.events where target_type = 'approval' and target_id = %s order by id",
        (str(approval_id),))]


def test_needs_approval_records_one_request_and_a_grant_allows_the_call_once(db: psycopg.Connection,
                                                                            agent_factory: Any) -> None:
    principal, agent = agent_factory()
    _, other = agent_factory()
    operator = Client(connection=db, token=make_principal(db, role="operator").token)
    asked = agent.check_operation("command", PUBLISH)
    assert asked.code == "needs_approval" and asked.approval_id is not None
    assert asked.details["approval_state"] == "pending"
    # Repeating the call while the request is pending finds the same request: no pile-up.
    assert agent.check_operation("command", PUBLISH).approval_id == asked.approval_id
    assert db.execute("select count(*) from coord.approval_requests").fetchone() == (1,)
    request = agent.get_approval(asked.approval_id)
    assert request.requester == principal.name and request.rules == ["publish-package"]
    assert request.scopes == ["guardrail:deployment"] and request.operation == {"kind": "command", "text": PUBLISH}
    assert request.target_type == "repository" and request.target_id == "default"
    assert len(request.operation_hash) == 64

    # Before the approval, the grant is no grant.
    assert agent.check_operation("command", PUBLISH, asked.approval_id).code == "approval_not_granted"
    approved = operator.approve_request(asked.approval_id, "release day")
    assert approved.ok and approved.code == "approved" and approved.state == "approved"

    allowed = agent.check_operation("command", PUBLISH, asked.approval_id)
    assert allowed.ok and allowed.code == "allowed" and allowed.approval_id == asked.approval_id
    again = agent.check_operation("command", PUBLISH, asked.approval_id)
    assert not again.ok and again.code == "approval_used"
    assert other.check_operation("command", PUBLISH, asked.approval_id).code == "approval_mismatch"
    assert agent.check_operation("command", PUBLISH + " --tag next", asked.approval_id).code == "approval_mismatch"
    assert agent.get_approval(asked.approval_id).state == "used"
    assert events(db, asked.approval_id) == [
        ("approval.request", "pending"), ("approval.use", "approval_not_granted"), ("approval.approve", "approved"),
        ("approval.use", "used"), ("approval.use", "approval_used"), ("approval.use", "approval_mismatch"),
        ("approval.use", "approval_mismatch")]
    # The allowed check is audited with the approval it used.
    assert db.execute("select details ->> 'approval_id' from audit.events where action = 'guardrail.check' "
                      "and decision = 'allowed' and actor_id = %s", (principal.principal_id,)).fetchall() == [
        (str(asked.approval_id),)]


def test_a_blocked_operation_is_never_approved(db: psycopg.Connection, agent_factory: Any) -> None:
    _, agent = agent_factory()
    operator = Client(connection=db, token=make_principal(db, role="operator").token)
    asked = agent.check_operation("command", PUBLISH)
    assert operator.approve_request(asked.approval_id, "ok").ok
    blocked = agent.check_operation("command", "rm -rf /", asked.approval_id)
    assert blocked.code == "blocked" and blocked.approval_id is None
    assert agent.get_approval(asked.approval_id).state == "approved"  # not consumed by the blocked call
    assert db.execute("select count(*) from coord.approval_requests").fetchone() == (1,)


def test_approvers_never_decide_their_own_request_and_need_trust_4(db: psycopg.Connection, agent_factory: Any) -> None:
    _, agent = agent_factory()
    operator = Client(connection=db, token=make_principal(db, role="operator").token)
    boss = approver(db, operator, "boss")
    low = approver(db, operator, "low", trust=3)
    # Trust 4 overrides the shipped approval rules; a critical one asks every agent.
    assert operator.add_guardrail("release-always-asks", "deployment", "command", "critical",
                                  pattern=r"^make release\y", mode="needs_approval").ok
    mine = boss.check_operation("command", "make release")
    assert mine.code == "needs_approval"
    refused = boss.approve_request(mine.approval_id, "me")
    assert refused.code == "self_approval" and not refused.ok
    assert boss.deny_request(mine.approval_id, "me").code == "self_approval"
    theirs = agent.check_operation("command", "make release")
    gate = low.approve_request(theirs.approval_id, "ok")
    assert gate.code == "denied" and gate.details["rule"] == "trust.too_low"
    assert agent.approve_request(theirs.approval_id, "ok").code == "denied"
    assert boss.approve_request(theirs.approval_id, "looks fine").code == "approved"
    assert operator.approve_request(mine.approval_id, "fine").code == "approved"
    # A decided request stays decided.
    late = operator.deny_request(theirs.approval_id, "changed my mind")
    assert late.code == "not_pending" and late.state == "approved"
    assert [e for e in events(db, mine.approval_id) if e[0] != "approval.request"] == [
        ("approval.approve", "self_approval"), ("approval.deny", "self_approval"), ("approval.approve", "approved")]


def test_denied_cancelled_and_expired_requests_grant_nothing(db: psycopg.Connection, agent_factory: Any) -> None:
    _, agent = agent_factory()
    _, other = agent_factory()
    operator = Client(connection=db, token=make_principal(db, role="operator").token)
    denied = agent.check_operation("command", PUBLISH)
    assert operator.deny_request(denied.approval_id, "not today").code == "rejected"
    assert agent.check_operation("command", PUBLISH, denied.approval_id).code == "approval_not_granted"
    fresh = agent.check_operation("command", PUBLISH)  # a denied request is final: a new one is made
    assert fresh.approval_id != denied.approval_id
    with pytest.raises(CoordError) as hidden, db.transaction():
        other.cancel_approval(fresh.approval_id)  # another agent's request is not even visible
    assert hidden.value.code == "CO464"
    assert operator.cancel_approval(fresh.approval_id).code == "not_requester"
    assert agent.cancel_approval(fresh.approval_id, "not needed").code == "cancelled"
    assert operator.approve_request(fresh.approval_id, "too late").code == "not_pending"

    expiring = agent.check_operation("command", PUBLISH)
    advance_clock(db, "2 hours")
    assert operator.approve_request(expiring.approval_id, "too late").code == "not_pending"
    assert agent.get_approval(expiring.approval_id).state == "expired"
    granted = agent.check_operation("command", PUBLISH)
    assert operator.approve_request(granted.approval_id, "ok", "5 minutes").ok
    advance_clock(db, "10 minutes")
    assert operator.maintain().details["approvals_expired"] == 1
    assert agent.check_operation("command", PUBLISH, granted.approval_id).code == "approval_not_granted"
    assert agent.get_approval(granted.approval_id).state == "expired"


def test_the_state_machine_is_guarded_under_every_writer(db: psycopg.Connection, agent_factory: Any) -> None:
    _, agent = agent_factory()
    operator = Client(connection=db, token=make_principal(db, role="operator").token)
    asked = agent.check_operation("command", PUBLISH)
    operator.deny_request(asked.approval_id, "no")
    for change in ("state = 'approved'", "state = 'pending', decided_at = null", "decision_reason = 'edited'"):
        with pytest.raises(psycopg.Error, match=r"illegal approval"), db.transaction():
            db.execute(f"update coord.approval_requests set {change} where id = %s", (asked.approval_id,))
    pending = agent.check_operation("command", "npm publish --tag x")
    with pytest.raises(psycopg.Error, match=r"illegal approval"), db.transaction():
        db.execute("update coord.approval_requests set operation_hash = sha256('x') where id = %s",
                   (pending.approval_id,))


def test_complete_task_asks_once_for_the_completion_and_a_grant_completes_it(db: psycopg.Connection,
                                                                            agent_factory: Any) -> None:
    _, agent = agent_factory()
    operator = Client(connection=db, token=make_principal(db, role="operator").token)
    task_id = agent.submit_task("deploy").task_id
    claim = agent.claim_task(["deploy"]).claim
    result = {"operations": ["pytest -q", "npm publish"], "note": "done"}
    asked = agent.complete_task(task_id, claim, result)
    assert asked.code == "needs_approval" and asked.approval_id is not None and asked.state == "claimed"
    assert agent.complete_task(task_id, claim, result).approval_id == asked.approval_id
    request = agent.get_approval(asked.approval_id)
    assert request.kind == "task.complete" and (request.target_type, request.target_id) == ("task", str(task_id))
    assert operator.approve_request(asked.approval_id, "ship it").ok
    other = agent.complete_task(task_id, claim, {"operations": ["npm publish", "npm publish --tag x"]},
                                asked.approval_id)
    assert other.code == "approval_mismatch" and agent.get_task(task_id).state == "claimed"
    done = agent.complete_task(task_id, claim, result, asked.approval_id)
    assert done.ok and done.code == "completed" and done.approval_id == asked.approval_id
    assert [c["code"] for c in done.details["operations"]] == ["allowed", "allowed"]



def test_a_batch_completion_asks_for_the_same_approval_and_never_spends_a_grant(db: psycopg.Connection,
                                                                               agent_factory: Any) -> None:
    """complete_tasks answers needs_approval with the request complete_task would record; the
    grant is spent only through complete_task, since another item could refuse the batch."""
    _, agent = agent_factory()
    operator = Client(connection=db, token=make_principal(db, role="operator").token)
    plain, publish = agent.submit_task("deploy").task_id, agent.submit_task("deploy").task_id
    claims = {t.task_id: t.claim for t in agent.claim_tasks(["deploy"], limit=2)}
    result = {"operations": ["npm publish"]}
    batch = [{"task_id": plain, "claim": claims[plain]},
             {"task_id": publish, "claim": claims[publish], "result": result}]
    rows = agent.complete_tasks(batch)
    assert [r.code for r in rows] == ["batch_refused", "needs_approval"] and rows[1].approval_id is not None
    assert agent.complete_task(publish, claims[publish], result).approval_id == rows[1].approval_id
    assert operator.approve_request(rows[1].approval_id, "ok").ok
    again = agent.complete_tasks(batch)  # still refused: the batch does not take the grant
    assert [r.code for r in again] == ["batch_refused", "needs_approval"]
    assert agent.get_approval(rows[1].approval_id).state == "approved"
    assert agent.complete_task(publish, claims[publish], result, rows[1].approval_id).code == "completed"
    with pytest.raises(CoordError) as refused:
        agent.complete_tasks([{**batch[1], "approval": rows[1].approval_id}])
    assert refused.value.code == "CO421"


# --- auto-approval policies ---------------------------------------------------------------------

def test_policy_scopes_must_cover_every_scope_the_request_needs(db: psycopg.Connection, agent_factory: Any) -> None:
    """The predecessor's bug: it matched when the policy's scopes were a subset of the request's
    (superset in the wrong direction), so a narrow policy approved a broad request."""
    _, agent = agent_factory()
    operator = Client(connection=db, token=make_principal(db, role="operator").token)
    both = "npm publish && env"  # publish-package (deployment) and env-dump (credentials)
    asked = agent.check_operation("command", both)
    assert agent.get_approval(asked.approval_id).scopes == ["guardrail:credentials", "guardrail:deployment"]
    agent.cancel_approval(asked.approval_id)

    assert operator.add_approval_policy("deploys-only", ["guardrail:deployment"]).ok
    narrow = agent.check_operation("command", both)
    assert narrow.code == "needs_approval"  # missing guardrail:credentials: not approved
    agent.cancel_approval(narrow.approval_id)
    assert agent.check_operation("command", PUBLISH).code == "allowed"  # exactly covered: approved

    assert operator.add_approval_policy("broad", ["guardrail:deployment", "guardrail:credentials",
                                                  "guardrail:process"]).ok
    covered = agent.check_operation("command", both)
    assert covered.ok and covered.code == "allowed" and covered.approval_id is not None
    request = agent.get_approval(covered.approval_id)
    assert request.state == "used" and request.policy == "broad" and request.decided_by is None
    assert events(db, covered.approval_id) == [("approval.request", "pending"), ("approval.approve", "approved"),
                                               ("approval.use", "used")]
    assert db.execute("select actor_type::text, details ->> 'policy' from audit.events "
                      "where action = 'approval.approve' and target_id = %s",
                      (str(covered.approval_id),)).fetchone() == ("system", "broad")


def test_an_empty_policy_approves_nothing(db: psycopg.Connection, agent_factory: Any) -> None:
    _, agent = agent_factory()
    operator = Client(connection=db, token=make_principal(db, role="operator").token)
    assert operator.add_approval_policy("empty", []).ok
    assert agent.check_operation("command", PUBLISH).code == "needs_approval"


def test_policy_kinds_rules_trust_and_path_prefix(db: psycopg.Connection, agent_factory: Any) -> None:
    _, agent = agent_factory()
    operator = Client(connection=db, token=make_principal(db, role="operator").token)
    assert operator.add_approval_policy("sql-only", ["guardrail:deployment"], kinds=["sql"]).ok
    assert operator.add_approval_policy("other-rule", ["guardrail:deployment"], rules=["deploy-production"]).ok
    assert operator.add_approval_policy("trusted", ["guardrail:deployment"], min_trust=3).ok
    assert agent.check_operation("command", PUBLISH).code == "needs_approval"
    assert operator.list_approval_policies()[0].name == "other-rule"
    ci = ".github/workflows/ci.yml"  # write-ci (deployment) on a path
    assert agent.check_operation("path", ci).code == "needs_approval"
    assert operator.add_approval_policy("workflows", ["guardrail:deployment"], path_prefix="ci/").ok
    assert agent.check_operation("path", ci).code == "needs_approval"
    assert operator.add_approval_policy("github", ["guardrail:deployment"], path_prefix=".github/").ok
    assert agent.check_operation("path", ci).code == "allowed"
    assert operator.remove_approval_policy("github").code == "removed"
    with pytest.raises(CoordError) as unknown:
        operator.remove_approval_policy("github")
    assert unknown.value.code == "CO469"
    with pytest.raises(CoordError) as invalid:
        operator.add_approval_policy("bad", ["guardrail:deployment"], path_prefix="../x")
    assert invalid.value.code == "CO468"
    with pytest.raises(CoordError) as agents_may_not:
        agent.add_approval_policy("mine", ["guardrail:deployment"])
    assert agents_may_not.value.code == "42501"


# --- waiting ---------------------------------------------------------------------------------------

def test_waiting_wakes_on_the_decision(committed_db: Database) -> None:
    with committed_db.connect() as setup:
        setup.autocommit = True
        requester = make_principal(setup, "requester")
        operator = make_principal(setup, "boss", role="operator")
    with psycopg.connect(committed_db.client_dsn, autocommit=True) as a_conn, \
            psycopg.connect(committed_db.client_dsn, autocommit=True) as o_conn:
        agent = Client(connection=a_conn, token=requester.token)
        boss = Client(connection=o_conn, token=operator.token)
        asked = agent.check_operation("command", PUBLISH)
        assert agent.wait_for_approval(asked.approval_id, 0).code == "approval_pending"
        with committed_db.connect() as clock:
            started = clock.execute("select clock_timestamp()::text").fetchone()[0]  # type: ignore[index]
        thread, out = in_thread(lambda: agent.wait_for_approval(asked.approval_id, 60))
        # The waiter has asked at least once since it started; whether the decision lands before
        # or after its LISTEN took effect, it reads the state again after LISTEN and on each NOTIFY.
        wait_for_backend(committed_db, a_conn.info.backend_pid,
                         f"state = 'idle' and state_change > '{started}'")
        assert boss.approve_request(asked.approval_id, "go").ok
        thread.join()
        assert out["result"].code == "approval_granted"  # type: ignore[union-attr]
        assert agent.check_operation("command", PUBLISH, asked.approval_id).ok


def test_malformed_input_is_an_error_that_writes_nothing(db: psycopg.Connection, agent_factory: Any) -> None:
    _, agent = agent_factory()
    operator = Client(connection=db, token=make_principal(db, role="operator").token)
    asked = agent.check_operation("command", PUBLISH)
    for call, code in [(lambda: operator.approve_request(asked.approval_id, ""), "CO466"),
                       (lambda: operator.approve_request(asked.approval_id, "x" * 1001), "CO466"),
                       (lambda: operator.approve_request(asked.approval_id, "ok", "1 second"), "CO467"),
                       (lambda: operator.approve_request(asked.approval_id + 1000, "ok"), "CO464"),
                       (lambda: agent.wait_for_approval(asked.approval_id, "2 hours"), "CO467"),
                       (lambda: agent.list_approvals("maybe"), "CO456")]:
        with pytest.raises(CoordError) as error, db.transaction():
            call()
        assert error.value.code == code
    assert agent.get_approval(asked.approval_id).state == "pending"


def test_the_mcp_tool_waits_on_a_connection_of_its_own(committed_db: Database) -> None:
    """A waiting tool call must not hold the session's connection: its heartbeats go on."""
    from coordinator import mcp_server

    with committed_db.connect() as setup:
        requester = make_principal(setup, "mcp-requester")
        operator = make_principal(setup, "mcp-boss", role="operator")
    connections = mcp_server.Connections(committed_db.client_dsn)
    coordinator = mcp_server.Coordinator(connections)
    try:
        session = coordinator.session_for("stdio", requester.token)
        assert session is not None
        asked = coordinator.call(session, "check_operation", {"p_kind": "command", "p_text": PUBLISH})[0]
        assert asked["code"] == "needs_approval"
        thread, out = in_thread(lambda: coordinator.call(session, "wait_for_approval", {
            "p_approval_id": asked["approval_id"], "p_timeout": "10 minutes"}))
        with committed_db.connect() as admin:  # the waiter's own connection appears and goes idle
            pid = None
            while pid is None and thread.is_alive():
                row = admin.execute("select pid from pg_stat_activity where application_name = 'coord-mcp-wait'"
                                    " and datname = current_database()").fetchone()
                pid = row[0] if row else None
        assert pid is not None
        wait_for_backend(committed_db, pid, "state = 'idle'")
        assert coordinator.heartbeat(session) == "alive"  # the shared connection is free meanwhile
        with Client(committed_db.client_dsn, operator.token) as boss:
            assert boss.approve_request(asked["approval_id"], "go").ok
        thread.join()
        assert out["result"][0]["code"] == "approval_granted"  # type: ignore[index]
        with pytest.raises(CoordError) as unknown:
            coordinator.call(session, "wait_for_approval", {"p_approval_id": 1, "p_timeout": "1 second", "x": 1})
        assert unknown.value.code == "42883"
    finally:
        coordinator.end_all()
        connections.close()


def test_every_function_that_can_answer_needs_approval_takes_and_names_an_approval(db: psycopg.Connection) -> None:
    """The class, not the instance: a function registered for needs_approval records a request
    (approval_id in its result) and accepts the grant back (p_approval)."""
    functions = db.execute("select unnest(functions) from coord.outcome_registry where code = 'needs_approval'"
                           ).fetchall()
    assert sorted(f for (f,) in functions) == ["check_operation", "complete_task", "complete_tasks", "register_skill"]
    for (function,) in functions:
        if function == "complete_tasks":  # names the request; the grant goes back through complete_task
            continue
        row = db.execute(
            "select 'p_approval' = any(p.proargnames), exists (select from pg_attribute a "
            "  where a.attrelid = t.typrelid and a.attname = 'approval_id' and not a.attisdropped) "
            "from pg_proc p join pg_namespace n on n.oid = p.pronamespace join pg_type t on t.oid = p.prorettype "
            "where n.nspname = 'api' and p.proname = %s", (function,)).fetchall()
        assert row == [(True, True)], function
    # The policy gate decides allow or deny only: no rule of it asks for approval.
    assert db.execute("select count(*) from pg_proc p join pg_namespace n on n.oid = p.pronamespace "
                      "where n.nspname = 'authz' and p.prosrc ilike '%needs_approval%'").fetchone() == (0,)
