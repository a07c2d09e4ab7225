"""coord policy cedar: the tenant's Cedar policy (versions, history, rollback) and its engine."""

from __future__ import annotations

from pathlib import Path

import click

from coordinator.client import Client

from .context import Invocation, client_command


@click.group()
def policy() -> None:
    """The tenant's policy engine: native (default), cedar or both (docs/cedar.md)."""


@policy.group("cedar")
def cedar() -> None:
    """Cedar policies of your tenant: versions, history, rollback, the engine (operators)."""


@cedar.command("set")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--reason", required=True, help="Why (kept in the history and the audit log).")
@client_command
def cedar_set(invocation: Invocation, client: Client, file: Path, reason: str) -> None:
    """Validate the Cedar policy in FILE against the shipped schema and store it as the newest version."""
    invocation.result(client.set_cedar_policy(file.read_text(), reason))


@cedar.command("show")
@click.option("--version", "version", type=int, help="A stored version (default: the newest).")
@click.option("--schema", is_flag=True, help="Print the shipped Cedar schema instead.")
@client_command
def cedar_show(invocation: Invocation, client: Client, version: int | None, schema: bool) -> None:
    """Print the policy in force (the shipped baseline while none is stored), or a stored version."""
    row = client.cedar_policy(version)[0]
    if invocation.as_json:
        invocation.json(row)
        return
    if schema:
        click.echo(row.schema, nl=False)
        return
    origin = f"version {row.version} by {row.created_by} at {row.created_at}: {row.reason}" if row.version \
        else "the shipped baseline (no version stored)"
    click.echo(f"// engine {row.engine}; Cedar {'available' if row.cedar_available else 'unavailable'} here; "
               f"{origin}")
    click.echo(row.policy, nl=False)


@cedar.command("history")
@client_command
def cedar_history(invocation: Invocation, client: Client) -> None:
    """Every stored version, newest first: who, when, why, and which a rollback restored."""
    invocation.listing(client.cedar_policy_history(),
                       ["version", "current", "created_at", "created_by", "rolled_back_from", "reason", "sha256"],
                       empty="(no Cedar policy stored: cedar and both decide with the shipped baseline)")


@cedar.command("rollback")
@click.argument("version", type=int)
@click.option("--reason", required=True, help="Why (kept in the history and the audit log).")
@client_command
def cedar_rollback(invocation: Invocation, client: Client, version: int, reason: str) -> None:
    """Make VERSION's text the newest version again (the history keeps every version)."""
    invocation.result(client.rollback_cedar_policy(version, reason))


@cedar.command("engine")
@click.argument("engine", type=click.Choice(["native", "cedar", "both"]))
@click.option("--reason", required=True, help="Why (kept in the audit log).")
@client_command
def cedar_engine(invocation: Invocation, client: Client, engine: str, reason: str) -> None:
    """Decide with ENGINE from the next call: native, cedar, or both (both must allow)."""
    invocation.result(client.set_policy_engine(engine, reason))


COMMANDS = [policy]
