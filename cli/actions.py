"""coord actions: work a proposer wants a device or an agent to carry out once approved. One
model for approval: an action's approval is an approval request, so `coord actions approve` and
`reject` decide the action's request exactly as `coord approvals approve` and `deny` would."""

from __future__ import annotations

import json
from typing import Any

import click

from coordinator.client import Client

from .context import Invocation, client_command
from .render import cell, out, plain

ACTION_COLUMNS = ["action_id", "state", "kind", "proposer", "target", "approval_id", "claim", "attempts",
                  "max_attempts", "created_at", "expires_at"]
STATES = ["proposed", "approved", "rejected", "executing", "executed", "failed", "expired", "all"]


def _json_object(value: str | None, name: str) -> Any:
    if value is None:
        return None
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint=name) from exc


def _approval_of(client: Client, action_id: int) -> int:
    approval = client.get_action(action_id).approval_id
    if approval is None:
        raise click.ClickException(f"action {action_id} has no approval request")
    return int(approval)


@click.group()
def actions() -> None:
    """Actions: a proposer asks a device (or an agent) to do something; an approver approves the
    action's approval request (never the proposer, nor the owner of a proposing device), or an
    auto-approval policy whose scopes cover every required scope does; the target claims it
    (a fencing claim with a lease), then reports it executed or failed. A lease that runs out
    returns it to approved for another attempt, or fails it after the last one."""


@actions.command("propose")
@click.argument("kind")
@click.option("--target", required=True, help="The device or agent that should carry it out.")
@click.option("--payload", default="{}", show_default=True, help="What to do, as a JSON object.")
@click.option("--scopes", required=True,
              help="Comma-separated scopes an auto-approval policy must cover, e.g. door:write.")
@click.option("--max-attempts", type=int, help="Claims at most (1-10, default 3).")
@client_command
def actions_propose(invocation: Invocation, client: Client, kind: str, target: str, payload: str, scopes: str,
                    max_attempts: int | None) -> None:
    """Propose an action of KIND for a device or agent; prints the action and its approval request."""
    required = [s.strip() for s in scopes.split(",") if s.strip()]
    invocation.result(client.propose_action(kind, _json_object(payload, "--payload"), required, target, max_attempts))


@actions.command("list")
@click.option("--state", type=click.Choice(STATES), default="all", show_default=True)
@click.option("--side", type=click.Choice(["proposer", "target"]),
              help="Only those you proposed, or are the target of.")
@click.option("--limit", type=int, default=100, show_default=True)
@client_command
def actions_list(invocation: Invocation, client: Client, state: str, side: str | None, limit: int) -> None:
    """Actions of your tenant, newest first (agents: those they proposed or are the target of)."""
    rows = client.list_actions(None if state == "all" else state, side, limit)
    invocation.listing(rows, ACTION_COLUMNS, empty="(no actions)")


@actions.command("show")
@click.argument("action_id", type=int)
@client_command
def actions_show(invocation: Invocation, client: Client, action_id: int) -> None:
    """One action: what, for whom, its approval request, state, claim, attempts, result or error."""
    row = client.get_action(action_id)
    if invocation.as_json:
        invocation.json(row)
    else:
        for key, value in plain(row).items():
            out.print(f"{key}: {cell(value)}")


@actions.command("approve")
@click.argument("action_id", type=int)
@click.option("--reason", required=True, help="Why (kept with the request and in the audit log).")
@click.option("--valid-for", help="How long the target has for its first claim, e.g. '30 minutes' "
                                  "(1 minute to 24 hours; default 1 hour).")
@client_command
def actions_approve(invocation: Invocation, client: Client, action_id: int, reason: str, valid_for: str | None) -> None:
    """Approve the action's approval request (operator token, or an agent at trust 4; never your
    own action or one of your devices'). The target is told and may claim it."""
    invocation.result(client.approve_request(_approval_of(client, action_id), reason, valid_for))


@actions.command("reject")
@click.argument("action_id", type=int)
@click.option("--reason", required=True, help="Why (the proposer sees it).")
@client_command
def actions_reject(invocation: Invocation, client: Client, action_id: int, reason: str) -> None:
    """Deny the action's approval request: the action is rejected, for good."""
    invocation.result(client.deny_request(_approval_of(client, action_id), reason))


@actions.command("claim")
@click.argument("action_id", type=int, required=False)
@click.option("--lease", help="How long the claim holds without renewal, e.g. '10 minutes' (default 5 minutes).")
@client_command
def actions_claim(invocation: Invocation, client: Client, action_id: int | None, lease: str | None) -> None:
    """Claim ACTION_ID, or the oldest approved action for you (device or agent token with
    actions:claim). Prints the claim: the fencing token complete, fail and renew need."""
    invocation.result(client.claim_action(action_id, lease))


@actions.command("renew")
@click.argument("action_id", type=int)
@click.option("--claim", type=int, required=True, help="The claim claim printed.")
@click.option("--lease", help="New lease from now, e.g. '10 minutes' (default 5 minutes).")
@client_command
def actions_renew(invocation: Invocation, client: Client, action_id: int, claim: int, lease: str | None) -> None:
    """Extend the lease of your live claim."""
    invocation.result(client.renew_action(action_id, claim, lease))


@actions.command("complete")
@click.argument("action_id", type=int)
@click.option("--claim", type=int, required=True, help="The claim claim printed.")
@click.option("--result", "result_json", default="{}", show_default=True, help="The result, as a JSON object.")
@client_command
def actions_complete(invocation: Invocation, client: Client, action_id: int, claim: int, result_json: str) -> None:
    """Report the action executed. Refused (stale_fence) when it was claimed again since your claim."""
    invocation.result(client.complete_action(action_id, claim, _json_object(result_json, "--result")))


@actions.command("fail")
@click.argument("action_id", type=int)
@click.option("--claim", type=int, required=True, help="The claim claim printed.")
@click.option("--error", required=True, help="What went wrong (1-1000 characters).")
@client_command
def actions_fail(invocation: Invocation, client: Client, action_id: int, claim: int, error: str) -> None:
    """Report the action failed (final). Refused (stale_fence) when it was claimed again since your claim."""
    invocation.result(client.fail_action(action_id, claim, error))


COMMANDS = [actions]
