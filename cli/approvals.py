"""coord approvals: approval requests (what a needs_approval answer recorded), deciding them,
waiting for them, and the tenant's auto-approval policies."""

from __future__ import annotations

import click

from coordinator.client import Client

from .context import Invocation, client_command, connection_options, json_option, with_invocation
from .render import cell, out, plain

APPROVAL_COLUMNS = ["approval_id", "state", "requester", "kind", "target_id", "rules", "created_at", "expires_at",
                    "decided_by", "policy"]
POLICY_COLUMNS = ["name", "scopes", "kinds", "rules", "min_trust", "path_prefix", "created_by", "description"]
STATES = ["pending", "approved", "denied", "expired", "cancelled", "used", "all"]


def _list(invocation: Invocation, client: Client, state: str, limit: int) -> None:
    rows = client.list_approvals(None if state == "all" else state, limit)
    invocation.listing(rows, APPROVAL_COLUMNS, empty=f"(no {'' if state == 'all' else state + ' '}approval requests)")


@click.group(invoke_without_command=True)
@click.option("--state", type=click.Choice(STATES), default="pending", show_default=True)
@click.option("--limit", type=int, default=100, show_default=True)
@connection_options
@json_option
@with_invocation
def approvals(invocation: Invocation, state: str, limit: int) -> None:
    """Approval requests: an agent whose operation needs approval gets a request id; an operator
    (or an agent at trust 4, never for its own request) approves or denies it, and the agent
    repeats its call once with that id (p_approval). Without a subcommand: list pending ones."""
    if click.get_current_context().invoked_subcommand is None:
        with invocation.client() as client:
            _list(invocation, client, state, limit)


@approvals.command("list")
@click.option("--state", type=click.Choice(STATES), default="pending", show_default=True)
@click.option("--limit", type=int, default=100, show_default=True)
@client_command
def approvals_list(invocation: Invocation, client: Client, state: str, limit: int) -> None:
    """Approval requests of your tenant, newest first (agents: their own)."""
    _list(invocation, client, state, limit)


@approvals.command("show")
@click.argument("approval_id", type=int)
@client_command
def approvals_show(invocation: Invocation, client: Client, approval_id: int) -> None:
    """One approval request: the operation, its hash, the rules that asked, state and decision."""
    row = client.get_approval(approval_id)
    if invocation.as_json:
        invocation.json(row)
    else:
        for key, value in plain(row).items():
            out.print(f"{key}: {cell(value)}")


@approvals.command("approve")
@click.argument("approval_id", type=int)
@click.option("--reason", required=True, help="Why (kept with the request and in the audit log).")
@click.option("--valid-for", help="How long the requester has to use the approval, e.g. '30 minutes' "
                                  "(1 minute to 24 hours; default 1 hour).")
@client_command
def approvals_approve(invocation: Invocation, client: Client, approval_id: int, reason: str,
                      valid_for: str | None) -> None:
    """Approve a pending request (operator token, or an agent at trust 4): the requester may then
    repeat its call once with this id."""
    invocation.result(client.approve_request(approval_id, reason, valid_for))


@approvals.command("deny")
@click.argument("approval_id", type=int)
@click.option("--reason", required=True, help="Why (the requester sees it).")
@client_command
def approvals_deny(invocation: Invocation, client: Client, approval_id: int, reason: str) -> None:
    """Deny a pending request (operator token, or an agent at trust 4)."""
    invocation.result(client.deny_request(approval_id, reason))


@approvals.command("cancel")
@click.argument("approval_id", type=int)
@click.option("--reason", help="Why (optional).")
@client_command
def approvals_cancel(invocation: Invocation, client: Client, approval_id: int, reason: str | None) -> None:
    """Withdraw your own pending request."""
    invocation.result(client.cancel_approval(approval_id, reason))


@approvals.command("wait")
@click.argument("approval_id", type=int)
@click.option("--timeout", type=float, default=60.0, show_default=True,
              help="Seconds to wait for a decision (at most 900; LISTEN/NOTIFY, no polling).")
@client_command
def approvals_wait(invocation: Invocation, client: Client, approval_id: int, timeout: float) -> None:
    """Wait until the request is decided (or expires); exits 0 when it is approved and unused,
    1 while it is still pending or when it was denied, expired, cancelled or used."""
    invocation.result(client.wait_for_approval(approval_id, timeout))


@approvals.group("policy", invoke_without_command=True)
@connection_options
@json_option
@with_invocation
def approvals_policy(invocation: Invocation) -> None:
    """Auto-approval policies of your tenant. Without a subcommand: list them."""
    if click.get_current_context().invoked_subcommand is None:
        with invocation.client() as client:
            invocation.listing(client.list_approval_policies(), POLICY_COLUMNS, empty="(no approval policies)")


@approvals_policy.command("list")
@client_command
def approvals_policy_list(invocation: Invocation, client: Client) -> None:
    """List the auto-approval policies."""
    invocation.listing(client.list_approval_policies(), POLICY_COLUMNS, empty="(no approval policies)")


@approvals_policy.command("add")
@click.argument("name")
@click.option("--scope", "scopes", multiple=True,
              help="Repeatable. The policy approves a request only when these cover every scope it needs "
                   "(guardrail:<category> per rule that asked, e.g. guardrail:deployment); none: approves nothing.")
@click.option("--kind", "kinds", multiple=True, help="Repeatable: command, sql, path, task.complete (default any).")
@click.option("--rule", "rules", multiple=True, help="Repeatable: only when every rule that asked is one of these.")
@click.option("--min-trust", type=click.IntRange(0, 4), default=0, show_default=True,
              help="Only for requesters of at least this trust.")
@click.option("--path-prefix", help="Only for path operations under this prefix (dir/ or an exact path).")
@click.option("--description")
@client_command
def approvals_policy_add(invocation: Invocation, client: Client, name: str, scopes: tuple[str, ...],
                         kinds: tuple[str, ...], rules: tuple[str, ...], min_trust: int, path_prefix: str | None,
                         description: str | None) -> None:
    """Add an auto-approval policy (operator token)."""
    invocation.result(client.add_approval_policy(name, list(scopes), list(kinds) or None, list(rules) or None,
                                                 min_trust, path_prefix, description))


@approvals_policy.command("remove")
@click.argument("name")
@client_command
def approvals_policy_remove(invocation: Invocation, client: Client, name: str) -> None:
    """Remove an auto-approval policy (operator token)."""
    invocation.result(client.remove_approval_policy(name))


COMMANDS = [approvals]
