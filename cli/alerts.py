"""coord alerts: alerts raised by alert rules over the audit log, and the rules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from coordinator.client import Client

from .context import Invocation, client_command, connection_options, json_option, with_invocation

F = TypeVar("F", bound=Callable[..., Any])

ALERT_COLUMNS = ["alert_id", "severity", "state", "rule", "actor_name", "event_count", "first_event_at",
                 "last_event_at", "resolved_by", "resolution"]
SEVERITIES = ["notice", "warning", "critical"]
DECISIONS = ["denied", "blocked", "needs_approval", "refused"]


def _list_alerts(invocation: Invocation, client: Client, open_only: bool, severity: str | None, rule: str | None,
                 actor: str | None, limit: int) -> None:
    invocation.listing(client.list_alerts(state="open" if open_only else None, severity=severity, rule=rule,
                                          actor=actor, limit=limit), ALERT_COLUMNS, empty="(no alerts)")


def alert_list_options(fn: F) -> F:
    for option in reversed([
        click.option("--open", "open_only", is_flag=True, help="Only open alerts."),
        click.option("--severity", type=click.Choice(SEVERITIES), help="Minimum severity."),
        click.option("--rule", help="Only alerts of this rule."),
        click.option("--actor", help="Only alerts about this principal."),
        click.option("--limit", type=int, default=50, show_default=True),
    ]):
        fn = option(fn)
    return fn


@click.group(invoke_without_command=True)
@alert_list_options
@connection_options
@json_option
@with_invocation
def alerts(invocation: Invocation, open_only: bool, severity: str | None, rule: str | None, actor: str | None,
           limit: int) -> None:
    """Alerts raised by alert rules over the audit log (operator or auditor token to list,
    operator to resolve and change rules). Without a subcommand: list."""
    if click.get_current_context().invoked_subcommand is None:
        with invocation.client() as client:
            _list_alerts(invocation, client, open_only, severity, rule, actor, limit)


@alerts.command("list")
@alert_list_options
@client_command
def alerts_list(invocation: Invocation, client: Client, open_only: bool, severity: str | None, rule: str | None,
                actor: str | None, limit: int) -> None:
    """Alerts of your tenant, newest first."""
    _list_alerts(invocation, client, open_only, severity, rule, actor, limit)


@alerts.command("resolve")
@click.argument("alert_id", type=int)
@click.option("--note", required=True, help="What was done about it (kept with the alert and in the audit log).")
@client_command
def alerts_resolve(invocation: Invocation, client: Client, alert_id: int, note: str) -> None:
    """Resolve an open alert (operator token)."""
    invocation.result(client.resolve_alert(alert_id, note))


@alerts.group("rules", invoke_without_command=True)
@connection_options
@json_option
@with_invocation
def alerts_rules(invocation: Invocation) -> None:
    """Alert rules of your tenant. Without a subcommand: list them."""
    if click.get_current_context().invoked_subcommand is not None:
        return
    with invocation.client() as client:
        invocation.listing(client.list_alert_rules(), ["name", "enabled", "action_pattern", "decisions", "threshold",
                                                       "within", "severity", "open_alerts", "description"])


@alerts_rules.command("add")
@click.argument("name")
@click.option("--action", "action_pattern", required=True, help="Action pattern; * matches any run.")
@click.option("--decision", "decisions", multiple=True, required=True, type=click.Choice(DECISIONS),
              help="Repeatable.")
@click.option("--threshold", type=int, required=True, help="Events by one actor that raise the alert.")
@click.option("--within", required=True, help="Interval, e.g. '10 minutes'.")
@click.option("--severity", type=click.Choice(SEVERITIES), default="warning", show_default=True)
@click.option("--description")
@client_command
def alerts_rules_add(invocation: Invocation, client: Client, name: str, action_pattern: str,
                     decisions: tuple[str, ...], threshold: int, within: str, severity: str,
                     description: str | None) -> None:
    """Add an alert rule (operator token)."""
    invocation.result(client.add_alert_rule(name, action_pattern, list(decisions), threshold, within, severity,
                                            description))


@alerts_rules.command("enable")
@click.argument("name")
@client_command
def alerts_rules_enable(invocation: Invocation, client: Client, name: str) -> None:
    """Enable an alert rule (operator token)."""
    invocation.result(client.set_alert_rule(name, enabled=True))


@alerts_rules.command("disable")
@click.argument("name")
@client_command
def alerts_rules_disable(invocation: Invocation, client: Client, name: str) -> None:
    """Disable an alert rule (operator token); its open alerts stay open."""
    invocation.result(client.set_alert_rule(name, enabled=False))


@alerts_rules.command("set")
@click.argument("name")
@click.option("--threshold", type=int)
@click.option("--within")
@click.option("--severity", type=click.Choice(SEVERITIES))
@click.option("--action", "action_pattern")
@click.option("--decision", "decisions", multiple=True, type=click.Choice(DECISIONS))
@click.option("--description")
@client_command
def alerts_rules_set(invocation: Invocation, client: Client, name: str, threshold: int | None, within: str | None,
                     severity: str | None, action_pattern: str | None, decisions: tuple[str, ...],
                     description: str | None) -> None:
    """Change an alert rule's fields (operator token); omitted fields stay."""
    invocation.result(client.set_alert_rule(name, threshold=threshold, within=within, severity=severity,
                                            action_pattern=action_pattern, decisions=list(decisions) or None,
                                            description=description))


COMMANDS = [alerts]
