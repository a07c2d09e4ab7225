"""coord events, coord webhooks and coord notify: the typed event stream and its delivery."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import click

from coordinator.client import Client
from coordinator.webhooks import DEFAULT_TIMEOUT, deliver_due

from .context import Invocation, client_command
from .render import cell, out, plain

EVENT_COLUMNS = ["id", "occurred_at", "event_type", "actor_name", "target_type", "target_id", "decision", "reason"]
WEBHOOK_COLUMNS = ["webhook_id", "name", "url", "event_types", "max_attempts", "pending", "delivered", "dead"]
DELIVERY_COLUMNS = ["delivery_id", "webhook", "event_id", "event_type", "state", "attempts", "next_attempt_at",
                    "last_status", "last_error", "idempotency_key"]


def _types(values: Sequence[str]) -> list[str] | None:
    """--types a,b --types c: the database checks them (CO650)."""
    names = [t.strip() for v in values for t in v.split(",") if t.strip()]
    return names or None


def print_event(invocation: Invocation, row: Any, columns: Sequence[str]) -> None:
    """One event as a JSON line (--json) or a line of cells."""
    data = plain(row)
    if invocation.as_json:
        click.echo(json.dumps(data, separators=(",", ":"), default=str))
    else:
        out.print(" ".join(cell(data.get(c)) for c in columns))


@click.command("events")
@click.option("--after", type=int, help="Events after this id (0: from the start). Default: the newest --limit "
                                        "without --follow, from now on with it.")
@click.option("--types", "types", multiple=True, help="Event types, families (lease.*) or *; comma-separated or "
                                                      "repeated. Default: all you may read.")
@click.option("--follow", "-f", is_flag=True, help="Keep printing new events as they are committed (woken by "
                                                   "NOTIFY; resumes from the last id printed).")
@click.option("--limit", type=int, default=100, show_default=True, help="Events per read.")
@click.option("--list-types", is_flag=True, help="List the event types and exit.")
@client_command
def events(invocation: Invocation, client: Client, after: int | None, types: tuple[str, ...], follow: bool,
           limit: int, list_types: bool) -> None:
    """The typed event stream of your tenant: lease.*, task.*, session.*, alert.*, approval.*.

    Only events of transactions older than every running one are handed out, so following or
    resuming with --after the last id printed misses nothing and repeats nothing, even when a
    transaction commits late. With --json, one JSON object per line."""
    if list_types:
        out.print("\n".join(EVENT_TYPES))
        return
    wanted = _types(types)
    if follow:
        try:
            for row in client.follow(after=after, types=wanted, batch=limit):
                print_event(invocation, row, EVENT_COLUMNS)
        except KeyboardInterrupt:
            return
        return
    rows = client.events_since(after if after is not None else 0, wanted, limit)
    if invocation.as_json:
        for row in rows:
            print_event(invocation, row, EVENT_COLUMNS)
    else:
        invocation.listing(rows, EVENT_COLUMNS, empty="(no events)")


# The vocabulary, for --list-types and the docs; the database's coord.event_types is the truth
# (tests/test_events.py checks they agree).
EVENT_TYPES = [
    "alert.raised", "alert.resolved",
    "approval.approved", "approval.cancelled", "approval.denied", "approval.expired", "approval.requested",
    "lease.expired", "lease.released", "lease.renewed", "lease.taken",
    "session.ended", "session.expired", "session.started",
    "task.cancelled", "task.claimed", "task.completed", "task.dead", "task.failed", "task.queued",
]


@click.group("webhooks")
def webhooks() -> None:
    """Webhook subscriptions: events of chosen types (alert.raised by default) POSTed to a URL,
    signed (X-Coord-Signature: sha256=HMAC of the body), retried with backoff, dead after
    --max-attempts. Operators manage them; coord notify or coord maintain delivers."""


@webhooks.command("add")
@click.argument("name")
@click.argument("url")
@click.option("--types", "types", multiple=True, help="Event types to send (default alert.raised).")
@click.option("--secret", help="Signing secret (16-200 characters; default: generated and printed once).")
@click.option("--max-attempts", type=int, default=8, show_default=True)
@client_command
def webhooks_add(invocation: Invocation, client: Client, name: str, url: str, types: tuple[str, ...],
                 secret: str | None, max_attempts: int) -> None:
    """Subscribe URL to events from now on (operator token)."""
    invocation.result(client.add_webhook(name, url, _types(types) or ["alert.raised"], secret, max_attempts))


@webhooks.command("list")
@client_command
def webhooks_list(invocation: Invocation, client: Client) -> None:
    """The subscriptions (never their secrets) and their deliveries."""
    invocation.listing(client.list_webhooks(), WEBHOOK_COLUMNS, empty="(no webhooks)")


@webhooks.command("remove")
@click.argument("name")
@client_command
def webhooks_remove(invocation: Invocation, client: Client, name: str) -> None:
    """Remove a subscription and its deliveries (operator token)."""
    invocation.result(client.remove_webhook(name))


@webhooks.command("deliveries")
@click.option("--state", type=click.Choice(["pending", "delivered", "dead"]))
@click.option("--webhook", help="Only this subscription's.")
@click.option("--limit", type=int, default=50, show_default=True)
@client_command
def webhooks_deliveries(invocation: Invocation, client: Client, state: str | None, webhook: str | None,
                        limit: int) -> None:
    """Deliveries, newest first: pending (with the next attempt), delivered, dead."""
    invocation.listing(client.list_webhook_deliveries(state=state, webhook=webhook, limit=limit), DELIVERY_COLUMNS,
                       empty="(no deliveries)")


@click.command("notify")
@click.option("--every", type=float, help="Deliver again every this many seconds until interrupted.")
@click.option("--timeout", type=float, default=DEFAULT_TIMEOUT, show_default=True,
              help="Seconds to wait for a receiver's answer.")
@click.option("--limit", type=int, default=20, show_default=True, help="Deliveries per pass.")
@client_command
def notify(invocation: Invocation, client: Client, every: float | None, timeout: float, limit: int) -> None:
    """Deliver your tenant's due webhook deliveries (operator token): the database hands out what
    is due (SKIP LOCKED, so several deliverers share the work), this POSTs it and reports back."""
    while True:
        attempts = deliver_due(client, limit=limit, timeout=timeout)
        while len(attempts) == limit:
            attempts += deliver_due(client, limit=limit, timeout=timeout)
        if invocation.as_json:
            invocation.json({"at": datetime.now(UTC).isoformat(), "attempts": [vars(a) for a in attempts]})
        elif attempts or every is None:
            stamp = datetime.now(UTC).strftime("%H:%M:%S")
            out.print(f"{stamp} {len(attempts)} attempt(s)" + "".join(
                f"\n  {cell(a.webhook)} event {a.event_id} attempt {a.attempt}: {cell(a.code)}"
                f"{'' if a.status is None else f' (HTTP {a.status})'}{'' if not a.error else f' {cell(a.error)}'}"
                for a in attempts))
        if every is None:
            return
        time.sleep(every)


COMMANDS = [events, webhooks, notify]
