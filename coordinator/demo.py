"""coord demo: three agents coordinate through the database.

Every decision shown is made by the ``api`` functions; this module only scripts the calls
(each agent on its own connection) and prints what came back.
"""

from __future__ import annotations

import shlex
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from . import admin
from .client import Client
from .errors import registered
from .results import LockResult

TENANT = "demo"  # the demo's own tenant, reused by every run
AGENTS = ("alice", "bob", "carol")
OPERATOR = "ops"


def _row(agent: str, result: LockResult) -> dict[str, Any]:
    return {"agent": agent, "path": result.path, "mode": result.mode, "code": result.code, "fence": result.fence,
            "holder": result.holder_name, "until": result.holder_expires_at.strftime("%H:%M:%S")
            if result.holder_expires_at else None, "reason": result.reason}


class _Printer:
    def __init__(self, console: Console | None) -> None:
        self.console = console

    def section(self, title: str, text: str) -> None:
        if self.console:
            self.console.print()
            self.console.rule(f"[bold]{title}")
            self.console.print(text)

    def results(self, rows: list[dict[str, Any]]) -> None:
        if not self.console:
            return
        grid = Table(header_style="bold")
        columns = ("agent", "path", "mode", "code", "fence", "holder", "until")
        for column in columns:
            grid.add_column(column, no_wrap=True)
        for row in rows:
            style = "green" if row["code"] in ("granted", "renewed", "released") else "yellow"
            grid.add_row(*(f"[{style}]{row[c]}[/{style}]" if c == "code" else ("" if row[c] is None else str(row[c]))
                           for c in columns))
        self.console.print(grid)


def _clear_last_run(ops: Client, clients: dict[str, Client], fresh: set[Any]) -> dict[str, int]:
    """Every run starts from the same state: the last run's leases are released and its tokens
    revoked (the tokens it printed stop working; this run prints new ones)."""
    released = 0
    for client in clients.values():
        for lease in client.my_locks():
            released += client.release_lock(lease.path, lease.fence).ok
    revoked = 0
    for token in ops.list_tokens():
        if token.revoked_at is None and token.token_id not in fresh and token.principal_name in (*AGENTS, OPERATOR):
            revoked += ops.revoke_token(token.token_id).ok
    return {"leases_released": released, "tokens_revoked": revoked}


def run_demo(*, data_dir: Path | None = None, port: int | None = None, admin_dsn: str | None = None,
             console: Console | None = None, program: Sequence[str] = ("coord",),
             flags: Sequence[str] = ()) -> dict[str, Any]:
    """Run the demo in tenant demo of the embedded server (started if needed, and left running).
    ``program`` and ``flags`` are how the user runs coord (e.g. bin/coord, --data-dir D): the
    commands the demo prints are spelled that way."""

    def typed(*args: str) -> str:
        return shlex.join([*program, *args, *flags])

    show = _Printer(console)
    up = admin.up(data_dir=data_dir, port=port, admin_dsn=admin_dsn,
                  progress=(lambda m: console.print(f"[dim]{m}[/dim]")) if console else None)
    if up.dsn is None:
        raise registered("CO501", "the demo needs the embedded server (or COORD_DSN for an external one)")
    grants = {name: admin.principal_token(up.admin_dsn, name, tenant=TENANT) for name in AGENTS}
    operator = admin.principal_token(up.admin_dsn, OPERATOR, tenant=TENANT, role="operator")
    clients = {name: Client(up.dsn, grant.token) for name, grant in grants.items()}
    with Client(up.dsn, operator.token) as ops:
        reused = _clear_last_run(ops, clients, {g.token_id for g in (*grants.values(), operator)})
    stop = typed("down")
    report: dict[str, Any] = {"tenant": TENANT, "dsn": up.dsn, "reused": reused, "steps": [],
                              "server": {"data_dir": up.data_dir, "started": up.started, "running": True,
                                         "stop": stop}}
    last_run = (f" Its own tenant, as on every run: released {reused['leases_released']} leases and revoked "
                f"{reused['tokens_revoked']} tokens of the last run." if any(reused.values()) else "")
    show.section("Agent Coordinator demo",
                 f"tenant [bold]{TENANT}[/bold], agents alice, bob and carol, each on its own connection.{last_run}")
    try:
        # 1. Three agents race for the same file at the same instant.
        barrier = threading.Barrier(3)
        race: dict[str, LockResult] = {}

        def contend(name: str) -> None:
            barrier.wait()
            race[name] = clients[name].acquire_lock("src/app.py", ttl="5 minutes", reason=f"{name} refactors app")

        threads = [threading.Thread(target=contend, args=(n,)) for n in clients]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        winner = next(n for n, r in race.items() if r.ok)
        rows = [_row(n, race[n]) for n in clients]
        show.section("1. Three agents race for src/app.py",
                     "All three call acquire_lock at once; the database grants exactly one.")
        show.results(rows)
        report["steps"].append({"step": "race", "results": rows})

        # 2. Directory subtree vs a file inside it, and shared locks.
        others = [n for n in clients if n != winner]
        steps = [
            (others[0], clients[others[0]].acquire_lock("src/", ttl="5 minutes", reason="rename the package")),
            (others[1], clients[others[1]].acquire_lock("docs/", mode="shared", reason="read the docs")),
            (winner, clients[winner].acquire_lock("docs/", mode="shared", reason="read the docs")),
            (others[0], clients[others[0]].acquire_lock("docs/guide.md", reason="edit the guide")),
        ]
        rows = [_row(n, r) for n, r in steps]
        show.section("2. A directory lock overlaps every file inside it",
                     f"{others[0]} wants src/ while {winner} holds src/app.py; two shared readers of docs/ "
                     "coexist, an exclusive writer inside docs/ does not.")
        show.results(rows)
        report["steps"].append({"step": "subtree", "results": rows})

        # 3. Waiting: the loser waits for the winner to release, without retrying itself.
        waited: dict[str, LockResult] = {}
        waiter = threading.Thread(target=lambda: waited.__setitem__(
            "r", clients[others[0]].acquire_lock("src/", ttl="5 minutes", wait="10 seconds")))
        waiter.start()
        time.sleep(0.3)
        released = clients[winner].release_lock("src/app.py", race[winner].fence or 0)
        waiter.join()
        rows = [_row(winner, released), _row(others[0], waited["r"])]
        waited_ms = waited["r"].details.get("waited_ms", "?")
        show.section("3. Waiting for a lease", f"{others[0]} asks for src/ with wait => 10 seconds; {winner} "
                     f"releases src/app.py with its fence; the waiter gets src/ after {waited_ms} ms.")
        show.results(rows)
        report["steps"].append({"step": "wait", "results": rows})

        # 4. A lease expires; a newer grant fences out the old holder.
        carol, alice = clients["carol"], clients["alice"]
        first = carol.acquire_lock("config/settings.toml", ttl="1 second", reason="tweak settings")
        time.sleep(1.2)
        second = alice.acquire_lock("config/settings.toml", ttl="5 minutes", reason="update settings")
        stale_release = carol.release_lock("config/settings.toml", first.fence or 0)
        stale_renew = carol.renew_lock("config/settings.toml", first.fence or 0)
        rows = [_row("carol", first), _row("alice", second), _row("carol", stale_release), _row("carol", stale_renew)]
        show.section("4. Fencing after expiry",
                     f"carol's 1-second lease (fence {first.fence}) expires; alice is granted fence {second.fence}; "
                     "carol's release and renew with the old fence are refused.")
        show.results(rows)
        report["steps"].append({"step": "fencing", "results": rows})

        # 5. The audit trail, read by an operator.
        with Client(up.dsn, operator.token) as ops:
            events = list(reversed(ops.query_audit(limit=25)))
        audit_rows = [{"id": e.id, "actor": e.actor_name, "action": e.action, "target": e.target_id,
                       "decision": e.decision} for e in events]
        if console:
            show.section("5. Audit tail", "Every decision and change above, written in the same transaction "
                         "as the change itself (operator view, newest last).")
            grid = Table(header_style="bold")
            for column in ("id", "actor", "action", "target", "decision"):
                grid.add_column(column)
            for row in audit_rows:
                grid.add_row(*(str(row[c] or "") for c in ("id", "actor", "action", "target", "decision")))
            console.print(grid)
            console.print()
            try_it = typed("lock", "acquire", "src/app.py", "--token", grants["bob"].token or "")
            console.print(f"Try it yourself: [bold]{escape(try_it)}[/bold]")
            console.print(("The demo started the server and left it running" if up.started
                           else "The server was running and is left running")
                          + f" (data directory {escape(str(up.data_dir))}); stop it with [bold]{escape(stop)}[/bold]")
        report["steps"].append({"step": "audit", "events": audit_rows})
        report["tokens"] = {name: grant.token for name, grant in grants.items()} | {"ops": operator.token}
    finally:
        for client in clients.values():
            client.close()
    return report
