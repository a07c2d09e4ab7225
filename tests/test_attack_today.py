"""Attacks on what landed together: approvals, batch endpoints, memory, one round trip, lean hot
paths. Each test replays one finding."""

from __future__ import annotations

import json
from typing import Any

import psycopg
import pytest
from coord_cli.context import fail
from coord_cli.render import err, out, show_result, table

from coordinator.client import Client
from coordinator.errors import CoordError


def _limited(agent_factory: Any, calls: int) -> tuple[Any, Client]:
    _, operator = agent_factory(role="operator")
    principal, agent = agent_factory()
    assert operator.create_profile(f"p-{principal.name}", 2, {"calls_per_hour": calls}).code == "created"
    assert operator.assign_profile(principal.name, f"p-{principal.name}").code == "assigned"
    return principal, agent


def _since(db: psycopg.Connection) -> int:
    return db.execute("select coalesce(max(id), 0) from audit.events").fetchone()[0]


def _events(db: psycopg.Connection, action: str, since: int) -> list[tuple[str, str]]:
    return [tuple(r) for r in db.execute(
        "select target_id, decision from audit.events where action = %s and id > %s order by id", (action, since))]


def test_a_lock_batch_the_rate_limit_refuses_refuses_every_path(db: psycopg.Connection, agent_factory: Any) -> None:
    """Only a batch's first decision counts against calls_per_hour, so over the limit the first
    path is denied and the others are allowed but never tried: they are batch_refused rows, each
    audited, not a null row (audited with no decision: a not-null violation that lost the denial)."""
    principal, agent = _limited(agent_factory, 2)
    taken = agent.call("acquire_locks", {"p_paths": ["a.py", "b.py"]})  # call 1 of 2
    assert [r["code"] for r in taken] == ["granted", "granted"]
    assert agent.call("submit_tasks", {"p_tasks": [{"kind": "k"}]})  # call 2 of 2

    since = _since(db)
    acquired = agent.call("acquire_locks", {"p_paths": ["c.py", "d.py", "e.py"]})
    assert [r["code"] for r in acquired] == ["denied", "batch_refused", "batch_refused"]
    assert [r["ok"] for r in acquired] == [False] * 3
    assert acquired[1]["details"]["refused"] == [{"path": "c.py", "code": "denied"}]
    assert _events(db, "lock.acquire", since) == [("c.py", "denied"), ("d.py", "batch_refused"),
                                                  ("e.py", "batch_refused")]

    since = _since(db)
    released = agent.call("release_locks", {"p_paths": ["a.py", "b.py"], "p_fences": [r["fence"] for r in taken]})
    assert [r["code"] for r in released] == ["denied", "batch_refused"]
    assert _events(db, "lock.release", since) == [("a.py", "denied"), ("b.py", "batch_refused")]
    assert db.execute("select count(*) from coord.locks where holder_id = %s",
                      (principal.principal_id,)).fetchone() == (2,)


PUBLISH = "npm publish --access public"  # shipped rule publish-package (deployment): needs approval


def test_a_policy_judges_the_requesters_trust_now_not_when_it_first_asked(db: psycopg.Connection,
                                                                         agent_factory: Any) -> None:
    """A pending request keeps the trust its requester had when it asked; repeating the call asks
    the policies again. An agent demoted since must not be auto-approved by a policy whose
    min_trust only its old trust reached."""
    _, operator = agent_factory(role="operator")
    principal, agent = agent_factory()
    assert operator.create_profile("senior", 2).code == "created"
    assert operator.create_profile("junior", 1).code == "created"
    assert operator.assign_profile(principal.name, "senior").code == "assigned"
    asked = agent.check_operation("command", PUBLISH)
    assert asked.code == "needs_approval"
    assert operator.assign_profile(principal.name, "junior").code == "assigned"  # demoted
    assert operator.add_approval_policy("seniors-publish", ["guardrail:deployment"], min_trust=2).ok
    again = agent.check_operation("command", PUBLISH)
    assert again.code == "needs_approval" and again.approval_id == asked.approval_id
    assert agent.get_approval(asked.approval_id).state == "pending"
    # Promoted back, the same pending request is approved by the policy and used at once.
    assert operator.assign_profile(principal.name, "senior").code == "assigned"
    assert agent.check_operation("command", PUBLISH).code == "allowed"


HIDDEN = "npm publish --access public [black on black]&& sh ./payload[/] [/x]"


def test_the_cli_shows_an_agents_text_verbatim_to_the_approver(db: psycopg.Connection, agent_factory: Any,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """What an approver reads is what it approves: console markup in an agent's operation (or
    any text it wrote) is shown as written, never styled away (black on black) and never an
    exception ([/x]) that keeps the request from being shown at all."""
    _, agent = agent_factory()
    _, operator = agent_factory(role="operator")
    asked = agent.check_operation("command", HIDDEN)
    assert asked.code == "needs_approval"
    row = operator.get_approval(asked.approval_id)
    monkeypatch.setattr(out, "_width", 400)  # one line a row (restored to automatic after)
    with out.capture() as captured:
        table([row], ["id", "requester", "operation"])
        show_result(operator.approve_request(asked.approval_id, "fine [/y]"), as_json=False)
        table([operator.get_approval(asked.approval_id)], ["id", "decision_reason"])
    shown = captured.get()
    assert "[black on black]&& sh ./payload[/] [/x]" in shown and "fine [/y]" in shown
    with err.capture() as captured, pytest.raises(SystemExit):
        fail(CoordError("text [/z]", code="CO472", detail="[/w]"), as_json=False)
    assert "text [/z]" in captured.get() and "[/w]" in captured.get()


def test_the_audit_keeps_a_bounded_request_context(db: psycopg.Connection, agent_factory: Any) -> None:
    """api.begin_request takes the function name and the headers from the client: a hostile
    client must not make every audit event of its calls carry megabytes of request path or
    user agent (the audit is append-only and kept for years)."""
    principal, _ = agent_factory()
    huge = "x" * 1_000_000
    headers = json.dumps({"x-coord-token": principal.token, "user-agent": huge, "x-request-id": huge,
                          "x-forwarded-for": huge, "x-real-ip": huge})
    db.execute("select api.begin_request(%s, %s, false)", ("remember" + huge, headers))
    db.execute("select api.remember('semantic', 'a fact worth keeping')")
    db.execute("reset role")
    request = db.execute("select request from audit.events where action = 'memory.remember' "
                         "and actor_id = %s", (principal.principal_id,)).fetchone()[0]
    assert request["path"].startswith("/rpc/remember")
    assert max(len(str(v)) for v in request.values()) <= 256
