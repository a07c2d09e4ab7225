"""The end-to-end of approvals from the command line: an agent blocked with needs_approval gets
a request id, an operator approves it with coord approvals approve, and the agent's repeated call
is allowed once and refused the second time. Also list, show, deny, wait, the policies and the
pending approvals of coord watch."""

from __future__ import annotations

import json

from click.testing import CliRunner
from coord_cli.main import main
from coord_cli.watch import render
from rich.console import Console

from coordinator.client import Client
from coordinator.errors import EXIT_NOT_OK
from tests.conftest import make_principal


def test_an_agent_blocked_with_needs_approval_is_unblocked_once_by_an_operator(committed_db) -> None:
    with committed_db.connect() as conn:
        agent = make_principal(conn, "cli-agent")
        operator = make_principal(conn, "cli-operator", role="operator")

    def coord(token: str, *args: str):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(main, [*args, "--dsn", committed_db.client_dsn, "--token", token],
                                  env={"COORD_TOKEN": "", "COORD_DSN": "", "COORD_ADMIN_DSN": ""},
                                  catch_exceptions=False)

    asked = coord(agent.token, "guard", "check", "command", "npm publish", "--json")
    assert asked.exit_code == EXIT_NOT_OK
    decision = json.loads(asked.stdout)
    assert decision["code"] == "needs_approval"
    approval = decision["approval_id"]
    assert isinstance(approval, int)

    pending = coord(operator.token, "approvals", "list", "--json")
    assert pending.exit_code == 0 and [r["approval_id"] for r in json.loads(pending.stdout)] == [approval]
    shown = coord(operator.token, "approvals", "show", str(approval))
    assert shown.exit_code == 0 and "publish-package" in shown.stdout and "cli-agent" in shown.stdout
    waiting = coord(agent.token, "approvals", "wait", str(approval), "--timeout", "0", "--json")
    assert waiting.exit_code == EXIT_NOT_OK and json.loads(waiting.stdout)["code"] == "approval_pending"
    # The operator's fleet view shows it waiting.
    with Client(committed_db.client_dsn, operator.token) as boss:
        status = boss.fleet_status()
    assert status["counts"]["pending_approvals"] == 1 and status["approvals"][0]["approval_id"] == approval
    console = Console(record=True, width=200)
    console.print(render(status))
    text = console.export_text()
    assert "Pending approvals (1)" in text and "pending approvals 1" in text

    assert coord(agent.token, "approvals", "approve", str(approval), "--reason", "mine").exit_code == EXIT_NOT_OK
    approved = coord(operator.token, "approvals", "approve", str(approval), "--reason", "release day", "--json")
    assert approved.exit_code == 0 and json.loads(approved.stdout)["code"] == "approved"
    granted = coord(agent.token, "approvals", "wait", str(approval), "--timeout", "5", "--json")
    assert granted.exit_code == 0 and json.loads(granted.stdout)["code"] == "approval_granted"

    allowed = coord(agent.token, "guard", "check", "command", "npm publish", "--approval", str(approval), "--json")
    assert allowed.exit_code == 0, allowed.stdout
    assert json.loads(allowed.stdout)["code"] == "allowed" and json.loads(allowed.stdout)["approval_id"] == approval
    again = coord(agent.token, "guard", "check", "command", "npm publish", "--approval", str(approval), "--json")
    assert again.exit_code == EXIT_NOT_OK and json.loads(again.stdout)["code"] == "approval_used"
    assert coord(operator.token, "approvals", "list", "--json").stdout.strip() == "[]"
    used = json.loads(coord(operator.token, "approvals", "list", "--state", "used", "--json").stdout)
    assert [r["approval_id"] for r in used] == [approval]

    # Deny, and the policies.
    second = json.loads(coord(agent.token, "guard", "check", "command", "npm publish --tag next", "--json").stdout)
    denied = coord(operator.token, "approvals", "deny", str(second["approval_id"]), "--reason", "not now")
    assert denied.exit_code == 0 and "rejected" in denied.stdout
    added = coord(operator.token, "approvals", "policy", "add", "publish", "--scope", "guardrail:deployment",
                  "--kind", "command", "--json")
    assert added.exit_code == 0, added.stdout
    listed = json.loads(coord(operator.token, "approvals", "policy", "list", "--json").stdout)
    assert [p["name"] for p in listed] == ["publish"] and listed[0]["scopes"] == ["guardrail:deployment"]
    auto = coord(agent.token, "guard", "check", "command", "npm publish --tag beta", "--json")
    assert auto.exit_code == 0 and json.loads(auto.stdout)["code"] == "allowed"
    assert coord(operator.token, "approvals", "policy", "remove", "publish").exit_code == 0
    assert coord(agent.token, "guard", "check", "command", "npm publish --tag rc").exit_code == EXIT_NOT_OK
    assert coord(operator.token, "approvals", "--help").exit_code == 0
