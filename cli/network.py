"""coord network: may an agent contact a host? Rules per tenant, profile or agent."""

from __future__ import annotations

import click

from coordinator.client import Client

from .context import Invocation, client_command


@click.group()
def network() -> None:
    """Network policy: may an agent contact a host? Rules per tenant, profile or agent."""


@network.command("check")
@click.argument("domain")
@client_command
def network_check(invocation: Invocation, client: Client, domain: str) -> None:
    """May you contact DOMAIN (a host name or IP address, any spelling)? Exit 1 when denied. Audited."""
    invocation.result(client.check_network(domain))


@network.command("rules")
@client_command
def network_rules(invocation: Invocation, client: Client) -> None:
    """Rules of your tenant in the order they are tried."""
    invocation.listing(client.list_network_rules(),
                       ["rule_id", "priority", "action", "pattern", "agent", "profile", "reason", "created_at"],
                       empty="(no rules: the profile or tenant default decides)")


@network.command("add")
@click.argument("pattern")
@click.argument("action", type=click.Choice(["allow", "deny"]))
@click.option("--priority", type=int, help="-1000..1000 (default 0); deny wins ties.")
@click.option("--agent", "for_agent", help="Only for this agent.")
@click.option("--profile", "for_profile", help="Only for the agents of this profile.")
@click.option("--reason", help="Why (shown in decisions and the audit log).")
@client_command
def network_add(invocation: Invocation, client: Client, pattern: str, action: str, priority: int | None,
                for_agent: str | None, for_profile: str | None, reason: str | None) -> None:
    """Add a rule: PATTERN is a host name, *.name (its subdomains), an IP address or a range (10.0.0.0/8)."""
    invocation.result(client.add_network_rule(pattern, action, priority, for_agent=for_agent, reason=reason,
                                              for_profile=for_profile))


@network.command("remove")
@click.argument("rule_id", type=int)
@client_command
def network_remove(invocation: Invocation, client: Client, rule_id: int) -> None:
    """Remove rule RULE_ID."""
    invocation.result(client.remove_network_rule(rule_id))


COMMANDS = [network]
