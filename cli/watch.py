"""coord watch: a live, full-screen view of api.fleet_status.

The view holds the tenant's watch (api.watch_fleet, so the database announces changes), re-reads
the status when a change is announced on the tenant's fleet channel (LISTEN on a connection of
its own; the payload is only the tenant id, the status is read through the api) and every
--refresh seconds as a fallback for a missed notification. What is shown is
what the database returned; the agent and kind filters only choose which rows to draw."""

from __future__ import annotations

import contextlib
import os
import select
import sys
import termios
import threading
import time
import tty
from collections.abc import Iterator
from typing import Any

import click
import psycopg
from psycopg import sql as pgsql
from rich.console import Group, RenderableType
from rich.live import Live
from rich.table import Table
from rich.text import Text

from coordinator.client import Client
from coordinator.errors import from_psycopg

from .context import Invocation, client_command
from .render import cell, emit_json, out

KEYS = "a: next agent  k: next kind  c: clear filters  r: refresh  q: quit"
# Coalesce a burst of notifications (a claim changes tasks, leases and sessions) into one read.
SETTLE_SECONDS = 0.1

SECTIONS: list[tuple[str, str, list[str]]] = [
    ("agents", "Agents", ["name", "role", "presence", "last_seen", "live_sessions", "leases", "claims"]),
    ("leases", "Leases", ["repository", "path", "mode", "fence", "holder", "task_id", "acquired_at", "expires_at"]),
    ("claims", "Claims", ["task_id", "kind", "agent", "attempts", "claimed_at", "lease_expires_at"]),
    ("queue", "Queue", ["kind", "state", "count", "ready", "oldest_ready_age_seconds"]),
    ("dead_tasks", "Dead tasks", ["task_id", "kind", "attempts", "finished_at", "last_error"]),
    ("alerts", "Open alerts", ["alert_id", "severity", "rule", "actor_name", "event_count", "last_event_at"]),
    ("approvals", "Pending approvals", ["approval_id", "requester", "kind", "target", "rules", "created_at",
                                        "expires_at"]),
    ("actions", "Actions in flight", ["action_id", "state", "kind", "proposer", "target", "approval_id", "attempts",
                                      "max_attempts", "expires_at", "lease_expires_at"]),
]
# Which fields of a section's rows name an agent or a task kind, for the filters.
AGENT_FIELDS = {"agents": ("name",), "leases": ("holder",), "claims": ("agent",), "alerts": ("actor_name",),
                "approvals": ("requester",), "actions": ("proposer", "target")}
KIND_FIELD = {"claims": "kind", "queue": "kind", "dead_tasks": "kind"}


def read_status(client: Client, limit: int) -> dict[str, Any]:
    status = client.fleet_status(limit=limit)
    assert isinstance(status, dict)
    return status


def filtered(status: dict[str, Any], section: str, agent: str | None, kind: str | None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = status.get(section) or []
    if agent is not None and section in AGENT_FIELDS:
        rows = [r for r in rows if agent in (r.get(f) for f in AGENT_FIELDS[section])]
    if kind is not None and section in KIND_FIELD:
        rows = [r for r in rows if r.get(KIND_FIELD[section]) == kind]
    return rows


def render(status: dict[str, Any], agent: str | None = None, kind: str | None = None,
           keys: bool = False) -> RenderableType:
    """The status as a header line and one table per section."""
    counts = status.get("counts") or {}
    header = Text.assemble(
        ("fleet ", "bold"), (str(status.get("tenant")), "bold cyan"), f"  at {cell(status.get('at'))}  ",
        f"leases {counts.get('leases', 0)}  claims {counts.get('claims', 0)}  ",
        f"dead {counts.get('dead_tasks', 0)}  open alerts {counts.get('open_alerts', 0)}  "
        f"pending approvals {counts.get('pending_approvals', 0)}  open actions {counts.get('open_actions', 0)}")
    if agent is not None or kind is not None:
        header.append(f"  filter: agent={agent or '*'} kind={kind or '*'}", style="yellow")
    parts: list[RenderableType] = [header]
    for section, title, columns in SECTIONS:
        rows = filtered(status, section, agent, kind)
        grid = Table(title=f"{title} ({len(rows)})", title_justify="left", header_style="bold", expand=False)
        for column in columns:
            grid.add_column(column)
        for row in rows:
            grid.add_row(*(cell(row.get(c)) for c in columns))
        parts.append(grid)
    if keys:
        parts.append(Text(KEYS, style="dim"))
    return Group(*parts)


def _next(current: str | None, choices: list[str]) -> str | None:
    """Cycle None -> first -> ... -> last -> None."""
    if not choices:
        return None
    if current not in choices:
        return choices[0]
    index = choices.index(current) + 1
    return choices[index] if index < len(choices) else None


@contextlib.contextmanager
def _keys() -> Iterator[int | None]:
    """stdin in cbreak mode (single key presses, no echo) when it is a terminal."""
    if not sys.stdin.isatty():
        yield None
        return
    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        yield fd
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


class Watch:
    """Holds the tenant's watch (api.watch_fleet) on a connection of its own, on a thread: the
    database announces changes only while a watcher holds or awaits it. When the watch is
    taken, a byte on ``wakeup`` tells the view to read again (what changed while nobody
    watched was not announced)."""

    def __init__(self, invocation: Invocation) -> None:
        settings = invocation.settings()
        self.client = Client(settings.client_dsn(), settings.bearer())
        self.wakeup, self._signal = os.pipe()
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._hold, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _hold(self) -> None:
        try:
            result = self.client.watch_fleet()
            while result.code == "watched_elsewhere":  # changes are announced meanwhile: wait again
                result = self.client.watch_fleet()
            if result.code != "watching":
                raise click.ClickException(f"api.watch_fleet: {result.code} {result.reason or ''}".strip())
            os.write(self._signal, b"w")
        except BaseException as exc:  # reported by the view's loop
            self.error = exc
            os.write(self._signal, b"e")

    def close(self) -> None:
        if self._thread.is_alive():  # still waiting for the watch
            with contextlib.suppress(psycopg.Error):
                self.client.connection.cancel_safe()
            self._thread.join(timeout=5)
        self.client.close()
        os.close(self.wakeup)
        os.close(self._signal)


def _live(invocation: Invocation, client: Client, limit: int, refresh: float, agent: str | None,
          kind: str | None) -> None:
    status = read_status(client, limit)
    try:
        listener = psycopg.connect(invocation.settings().client_dsn(), autocommit=True,
                                   application_name="coord watch")
    except psycopg.Error as exc:
        raise from_psycopg(exc) from None
    watch = Watch(invocation)
    with listener, contextlib.closing(watch), _keys() as key_fd, Live(
            render(status, agent, kind, keys=True), screen=True, auto_refresh=False, console=out) as live:
        listener.execute(pgsql.SQL("LISTEN {}").format(pgsql.Identifier(status["channel"])))
        watch.start()
        status = read_status(client, limit)  # a change may have come before LISTEN took effect
        live.update(render(status, agent, kind, keys=True), refresh=True)
        next_read = time.monotonic() + refresh
        while True:
            watched = [listener.fileno(), watch.wakeup] + ([key_fd] if key_fd is not None else [])
            ready, _, _ = select.select(watched, [], [], max(0.0, next_read - time.monotonic()))
            reread = time.monotonic() >= next_read
            if watch.wakeup in ready:
                os.read(watch.wakeup, 1)
                if watch.error is not None:
                    raise watch.error
                reread = True
            if listener.fileno() in ready:
                time.sleep(SETTLE_SECONDS)
                for _ in listener.notifies(timeout=0):
                    pass
                reread = True
            if key_fd is not None and key_fd in ready:
                key = os.read(key_fd, 1).decode(errors="ignore").lower()
                if key == "q":
                    return
                if key == "a":
                    agent = _next(agent, [a["name"] for a in status.get("agents") or []])
                elif key == "k":
                    kind = _next(kind, sorted({q["kind"] for q in status.get("queue") or []}))
                elif key == "c":
                    agent = kind = None
                elif key == "r":
                    reread = True
            if reread:
                status = read_status(client, limit)
                next_read = time.monotonic() + refresh
            live.update(render(status, agent, kind, keys=True), refresh=True)


@click.command("watch")
@click.option("--once", is_flag=True, help="Print one snapshot and exit (tables, or JSON with --json).")
@click.option("--agent", help="Show only this agent's rows (key a cycles through agents).")
@click.option("--kind", help="Show only this task kind's rows (key k cycles through kinds).")
@click.option("--refresh", type=click.FloatRange(min=0.5), default=30.0, show_default=True,
              help="Seconds between fallback re-reads when no change is announced.")
@click.option("--limit", type=int, default=100, show_default=True, help="Rows per section.")
@client_command
def watch(invocation: Invocation, client: Client, once: bool, agent: str | None, kind: str | None,
          refresh: float, limit: int) -> None:
    """Live view of the fleet (operator or auditor token): agents with presence, leases, claims,
    queue depth by kind and state, dead tasks, open alerts, pending approvals and actions in flight
    (proposed, approved, executing). Redraws when the database announces
    a change (LISTEN), and every --refresh seconds. Keys: a/k cycle the agent/kind filter, c
    clears them, r re-reads, q quits."""
    if once:
        status = read_status(client, limit)
        if invocation.as_json:
            emit_json(status)
        else:
            out.print(render(status, agent, kind))
        return
    _live(invocation, client, limit, refresh, agent, kind)


COMMANDS = [watch]
