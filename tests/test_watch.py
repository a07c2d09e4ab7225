"""coord watch: one snapshot as JSON or tables, and the live view as a person sees it: run in a
tmux pane of fixed size, acted on from the test, read back with capture-pane."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator

import pytest
from click.testing import CliRunner, Result
from coord_cli.main import main

from coordinator.client import Client
from coordinator.errors import EXIT_NOPERM
from tests.conftest import Database, make_principal

ENV = {"COORD_TOKEN": "", "COORD_DSN": "", "COORD_ADMIN_DSN": "", "COORD_DATA_DIR": "", "COORD_PORT": ""}
DEADLINE_SECONDS = 30


def coord(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), env={**ENV, "COLUMNS": "200"}, catch_exceptions=False)


def test_watch_once_prints_one_snapshot(committed_db: Database) -> None:
    with committed_db.connect() as conn:
        agent = make_principal(conn, "watch-alice")
        ops = make_principal(conn, "watch-ops", role="operator").token
    with Client(committed_db.client_dsn, agent.token) as a:
        fence = a.acquire_lock("src/app.py").fence
        a.submit_task("build")
    dsn = ["--dsn", committed_db.client_dsn]

    result = coord("watch", "--once", "--json", "--token", ops, *dsn)
    assert result.exit_code == 0, result.output
    status = json.loads(result.stdout)
    assert [(x["path"], x["holder"], x["fence"]) for x in status["leases"]] == [("src/app.py", "watch-alice", fence)]
    assert [(q["kind"], q["state"], q["count"]) for q in status["queue"]] == [("build", "queued", 1)]
    assert {"agents", "claims", "dead_tasks", "alerts", "counts", "channel"} <= set(status)

    tables = coord("watch", "--once", "--token", ops, *dsn)
    assert tables.exit_code == 0, tables.output
    for text in ("Agents (1)", "Leases (1)", "src/app.py", "watch-alice", "Queue (1)", "build", "Dead tasks (0)"):
        assert text in tables.stdout
    # The agent filter chooses the rows drawn.
    other = coord("watch", "--once", "--agent", "nobody", "--token", ops, *dsn)
    assert "Leases (0)" in other.stdout and "filter: agent=nobody" in other.stdout

    refused = coord("watch", "--once", "--json", "--token", agent.token, *dsn)
    assert refused.exit_code == EXIT_NOPERM


class Pane:
    """A detached tmux session of fixed size on a tmux server of its own."""

    def __init__(self, command: list[str], width: int = 160, height: int = 60) -> None:
        self.socket = f"coordtest-{uuid.uuid4().hex[:8]}"
        self.tmux(["new-session", "-d", "-s", "watch", "-x", str(width), "-y", str(height), shlex.join(command)])
        self.tmux(["set-option", "-t", "watch", "remain-on-exit", "on"])

    def tmux(self, args: list[str]) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], check=True, capture_output=True,
                              text=True, timeout=10).stdout

    def screen(self) -> str:
        return self.tmux(["capture-pane", "-p", "-t", "watch"])

    def keys(self, *keys: str) -> None:
        self.tmux(["send-keys", "-t", "watch", *keys])

    def dead(self) -> bool:
        return self.tmux(["list-panes", "-t", "watch", "-F", "#{pane_dead}"]).strip() == "1"

    def wait_for(self, predicate: Callable[[str], bool], what: str) -> str:
        """Poll capture-pane until predicate(screen) holds, up to a bounded deadline."""
        deadline = time.monotonic() + DEADLINE_SECONDS
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if predicate(screen):
                return screen
            time.sleep(0.05)  # poll interval, not a wait for an outcome
        raise AssertionError(f"never saw {what}; the pane shows:\n{screen}")

    def kill(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=10)


@pytest.fixture
def pane_factory() -> Iterator[Callable[[list[str]], Pane]]:
    assert shutil.which("tmux"), "tmux is needed for the live view test"
    panes: list[Pane] = []

    def make(command: list[str]) -> Pane:
        pane = Pane(command)
        panes.append(pane)
        return pane

    try:
        yield make
    finally:
        for pane in panes:
            pane.kill()


def _lease_line(screen: str, path: str) -> list[str]:
    return [line for line in screen.splitlines() if path in line]


def test_watch_shows_a_lease_taken_by_another_agent_as_it_happens(
        committed_db: Database, pane_factory: Callable[[list[str]], Pane]) -> None:
    with committed_db.connect() as conn:
        alice = make_principal(conn, "tmux-alice")
        bob = make_principal(conn, "tmux-bob")
        ops = make_principal(conn, "tmux-ops", role="operator").token
    env = [f"{k}=" for k in ENV]
    # --refresh 600: whatever appears within the deadline came from the notification, not the timer.
    pane = pane_factory(["env", *env, sys.executable, "-m", "coord_cli.main", "watch", "--refresh", "600",
                         "--dsn", committed_db.client_dsn, "--token", ops])
    pane.wait_for(lambda s: "Leases (0)" in s and "tmux-alice" in s, "the first status")

    with Client(committed_db.client_dsn, alice.token) as a, Client(committed_db.client_dsn, bob.token) as b:
        fence = a.acquire_lock("src/watched.py", reason="refactor").fence
        screen = pane.wait_for(lambda s: "Leases (1)" in s and bool(_lease_line(s, "src/watched.py")),
                               "alice's lease")
        [line] = _lease_line(screen, "src/watched.py")
        assert "tmux-alice" in line and "exclusive" in line and str(fence) in line

        b.acquire_lock("docs/guide.md")
        pane.wait_for(lambda s: "Leases (2)" in s and bool(_lease_line(s, "docs/guide.md")), "bob's lease")

        # a cycles the agent filter to the first agent (tmux-alice): bob's lease is no longer drawn.
        pane.keys("a")
        screen = pane.wait_for(lambda s: "filter: agent=tmux-alice" in s, "the agent filter")
        assert _lease_line(screen, "src/watched.py") and not _lease_line(screen, "docs/guide.md")
        pane.keys("c")
        pane.wait_for(lambda s: "filter:" not in s and bool(_lease_line(s, "docs/guide.md")), "filters cleared")

        a.release_lock("src/watched.py", fence)
        pane.wait_for(lambda s: "Leases (1)" in s and not _lease_line(s, "src/watched.py"), "the release")

    pane.keys("q")
    pane.wait_for(lambda s: pane.dead(), "coord watch to quit on q")
