"""coord profile: trust levels and limits of agents."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

from coordinator.client import Client
from coordinator.errors import registered

from .context import Invocation, client_command, connection_options, json_option, with_invocation
from .render import cell, emit_json, plain, table

F = TypeVar("F", bound=Callable[..., Any])

_PROFILE_SETTINGS = [
    click.option("--max-locks", type=int, help="Live leases an agent may hold (0-100000)."),
    click.option("--max-lock-ttl", help="Longest lease ttl, e.g. '1 hour' (<= 24 hours)."),
    click.option("--max-concurrent-tasks", type=int, help="Live claims an agent may hold (0-10000)."),
    click.option("--kinds", help="Comma-separated task kinds the agents may claim."),
    click.option("--operations", help="Comma-separated actions allowed (names or prefix.*, e.g. task.*,lock.*)."),
    click.option("--max-task-duration", help="How long one claim may last, renewals included (<= 30 days)."),
    click.option("--calls-per-hour", type=int, help="Mutating calls per clock hour."),
    click.option("--network-default", type=click.Choice(["allow", "deny"]),
                 help="check_network's answer when no rule matches (else the tenant's)."),
    click.option("--description", help="What the profile is for."),
    click.option("--clear", "cleared", multiple=True,
                 help="Remove a limit (repeatable), e.g. --clear max_locks."),
]


def profile_settings(fn: F) -> F:
    for option in reversed(_PROFILE_SETTINGS):
        fn = option(fn)
    return fn


def _settings(options: dict[str, Any]) -> dict[str, Any]:
    """The settings object of create_profile/update_profile from the command-line options."""
    lists = {"kinds": "allowed_task_kinds", "operations": "allowed_operations"}
    settings: dict[str, Any] = {}
    for key, value in options.items():
        if value is None or key == "cleared":
            continue
        if key in lists:
            settings[lists[key]] = [v.strip() for v in value.split(",") if v.strip()]
        else:
            settings[key] = value
    settings.update({name.replace("-", "_"): None for name in options.get("cleared", ())})
    return settings


def _show_profiles(rows: Sequence[Any], as_json: bool) -> None:
    if as_json:
        emit_json(rows)
        return
    fixed = {"name", "trust_level", "is_default", "agents", "description", "created_at", "updated_at"}
    summary = []
    for row in rows:
        data = plain(row)
        limits = ", ".join(f"{k}={cell(v)}" for k, v in data.items() if k not in fixed and v is not None)
        summary.append({**data, "default": "yes" if data["is_default"] else "", "limits": limits or "none"})
    table(summary, ["name", "trust_level", "default", "agents", "limits", "description"])


@click.group()
def profile() -> None:
    """Profiles: the trust level (0 suspended, 1 read-only, 2 standard, 3 elevated, 4 admin) and
    limits of agents. Changing them needs an operator (or a trust-4 agent, never for itself)."""


@profile.command("list")
@client_command
def profile_list(invocation: Invocation, client: Client) -> None:
    """Profiles of your tenant, with the default marked and how many agents have each."""
    _show_profiles(client.list_profiles(), invocation.as_json)


@profile.command("show")
@click.argument("name", required=False)
@client_command
def profile_show(invocation: Invocation, client: Client, name: str | None) -> None:
    """Profile NAME, or (agents) the profile you act under."""
    if name is None:
        rows = [client.my_profile()]
    else:
        rows = [p for p in client.list_profiles() if p.name == name]
        if not rows:
            raise registered("CO462", "unknown profile", f"no profile named {name}",
                             "list profiles with coord profile list")
    _show_profiles(rows, invocation.as_json)


@profile.command("create")
@click.argument("name")
@click.option("--trust", type=click.IntRange(0, 4), required=True,
              help="0 suspended, 1 read-only, 2 standard, 3 elevated, 4 admin.")
@profile_settings
@client_command
def profile_create(invocation: Invocation, client: Client, name: str, trust: int, **options: Any) -> None:
    """Create profile NAME with a trust level and limits (an unset limit means none)."""
    invocation.result(client.create_profile(name, trust, _settings(options)))


@profile.command("update")
@click.argument("name")
@click.option("--trust", "trust_level", type=click.IntRange(0, 4), help="New trust level.")
@profile_settings
@connection_options
@json_option
@with_invocation
def profile_update(invocation: Invocation, name: str, **options: Any) -> None:
    """Change settings of profile NAME (only those given); applies from its agents' next call."""
    settings = _settings(options)
    if not settings:
        raise click.UsageError("nothing to change: pass --trust, a limit, or --clear SETTING")
    with invocation.client() as client:
        invocation.result(client.update_profile(name, settings))


@profile.command("assign")
@click.argument("agent_name")
@click.argument("profile_name", required=False)
@client_command
def profile_assign(invocation: Invocation, client: Client, agent_name: str, profile_name: str | None) -> None:
    """Give AGENT_NAME profile PROFILE_NAME (omit it: back to the tenant default)."""
    invocation.result(client.assign_profile(agent_name, profile_name))


@profile.command("default")
@click.argument("name")
@client_command
def profile_default(invocation: Invocation, client: Client, name: str) -> None:
    """Make NAME the tenant default: the profile of every agent without one of its own."""
    invocation.result(client.set_default_profile(name))


@profile.command("delete")
@click.argument("name")
@client_command
def profile_delete(invocation: Invocation, client: Client, name: str) -> None:
    """Delete NAME (refused while it is the default or assigned)."""
    invocation.result(client.delete_profile(name))


COMMANDS = [profile]
