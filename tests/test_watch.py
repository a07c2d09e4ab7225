"""coord watch: one snapshot as JSON or tables, and the live view as a person sees it: run in a
tmux pane of fixed size, acted on from the test, read back with capture-pane."""

from __future__ import annotations

import contextlib
import json
import os
import select
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

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
        assert a.add_device("watch-lamp", ["actions:claim"]).ok
        action = a.propose_action("lamp.on", {}, ["lamp:write"], "watch-lamp").action_id
    dsn = ["--dsn", committed_db.client_dsn]

    result = coord("watch", "--once", "--json", "--token", ops, *dsn)
    assert result.exit_code == 0, result.output
    status = json.loads(result.stdout)
    assert [(x["path"], x["holder"], x["fence"]) for x in status["leases"]] == [("src/app.py", "watch-alice", fence)]
    assert [(q["kind"], q["state"], q["count"]) for q in status["queue"]] == [("build", "queued", 1)]
    assert [(x["action_id"], x["state"], x["kind"], x["proposer"], x["target"]) for x in status["actions"]] == [
        (action, "proposed", "lamp.on", "watch-alice", "watch-lamp")]
    assert status["counts"]["open_actions"] == 1
    assert {"agents", "claims", "dead_tasks", "alerts", "approvals", "counts", "channel"} <= set(status)

    tables = coord("watch", "--once", "--token", ops, *dsn)
    assert tables.exit_code == 0, tables.output
    for text in ("Agents (1)", "Leases (1)", "src/app.py", "watch-alice", "Queue (1)", "build", "Dead tasks (0)",
                 "Actions in flight (1)", "lamp.on", "watch-lamp", "open actions 1"):
        assert text in tables.stdout
    # The agent filter chooses the rows drawn: an action is the proposer's and the target's.
    other = coord("watch", "--once", "--agent", "nobody", "--token", ops, *dsn)
    assert "Leases (0)" in other.stdout and "Actions in flight (0)" in other.stdout
    assert "filter: agent=nobody" in other.stdout
    for name in ("watch-alice", "watch-lamp"):
        assert "Actions in flight (1)" in coord("watch", "--once", "--agent", name, "--token", ops, *dsn).stdout

    refused = coord("watch", "--once", "--json", "--token", agent.token, *dsn)
    assert refused.exit_code == EXIT_NOPERM


class Pane:
    """A detached tmux session of fixed size on a tmux server of its own. Its output is piped
    (pipe-pane) into a FIFO the test reads, so the screen is read again when the program
    writes, not on a timer: tmux draws what it read before it copies it to the pipe. The
    program's end is its pidfd turning readable."""

    def __init__(self, command: list[str], width: int = 160, height: int = 60) -> None:
        self.socket = f"coordtest-{uuid.uuid4().hex[:8]}"
        self.directory = Path(tempfile.mkdtemp(prefix="coordtest-pane-"))
        fifo = self.directory / "output"
        os.mkfifo(fifo)
        # Read and write: the FIFO always has a writer (this end), so it is readable only when
        # the pane wrote, never at an end of file.
        self.output = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)
        self.tmux(["new-session", "-d", "-s", "watch", "-x", str(width), "-y", str(height), shlex.join(command)])
        self.tmux(["set-option", "-t", "watch", "remain-on-exit", "on"])
        self.program = os.pidfd_open(int(self.tmux(["display-message", "-p", "-t", "watch", "#{pane_pid}"])))
        self.tmux(["pipe-pane", "-t", "watch", f"exec cat > {shlex.quote(str(fifo))}"])

    def tmux(self, args: list[str]) -> str:
        # os.environ, not the process's C environment (subprocess's default): a library in the
        # test process may have set COLUMNS and LINES there (ncurses does), and the program in
        # the pane would draw at that size instead of the pane's.
        return subprocess.run(["tmux", "-L", self.socket, *args], check=True, capture_output=True,
                              text=True, timeout=10, env=dict(os.environ)).stdout

    def screen(self) -> str:
        return self.tmux(["capture-pane", "-p", "-t", "watch"])

    def size(self) -> str:
        return self.tmux(["display-message", "-p", "-t", "watch", "#{window_width}x#{window_height}"]).strip()

    def keys(self, *keys: str) -> None:
        self.tmux(["send-keys", "-t", "watch", *keys])

    def wait_for(self, predicate: Callable[[str], bool], what: str) -> str:
        """Read the screen now and again each time the pane writes, until predicate(screen)
        holds or DEADLINE_SECONDS pass without it."""
        deadline = time.monotonic() + DEADLINE_SECONDS
        while True:
            screen = self.screen()
            if predicate(screen):
                return screen
            ready, _, _ = select.select([self.output], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise AssertionError(f"never saw {what}; the pane ({self.size()}) shows:\n{self.screen()}")
            with contextlib.suppress(BlockingIOError):
                while os.read(self.output, 65536):
                    pass

    def wait_for_exit(self, what: str) -> None:
        """Until the program in the pane has exited (its pidfd turns readable)."""
        ready, _, _ = select.select([self.program], [], [], DEADLINE_SECONDS)
        if not ready:
            raise AssertionError(f"never saw {what}; the pane ({self.size()}) shows:\n{self.screen()}")

    def kill(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=10)
        os.close(self.output)
        os.close(self.program)
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture
def pane_factory() -> Iterator[Callable[..., Pane]]:
    assert shutil.which("tmux"), "tmux is needed for the live view test"
    panes: list[Pane] = []

    def make(command: list[str], width: int = 160, height: int = 60) -> Pane:
        pane = Pane(command, width=width, height=height)
        panes.append(pane)
        return pane

    try:
        yield make
    finally:
        for pane in panes:
            pane.kill()


def _lease_line(screen: str, path: str) -> list[str]:
    return [line for line in screen.splitlines() if path in line]


def _action_states(screen: str, target: str) -> list[str]:
    """The state cell of each row of the actions panel aimed at target."""
    return [line.split("│")[2].strip() for line in screen.splitlines() if f" {target} " in line]


def test_watch_shows_a_lease_taken_by_another_agent_as_it_happens(
        committed_db: Database, pane_factory: Callable[..., Pane]) -> None:
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
        drawn = ("tmux-alice", "exclusive", f" {fence} ")
        pane.wait_for(lambda s: "Leases (1)" in s and [all(x in line for x in drawn)
                                                        for line in _lease_line(s, "src/watched.py")] == [True],
                      "alice's lease")

        b.acquire_lock("docs/guide.md")
        pane.wait_for(lambda s: "Leases (2)" in s and bool(_lease_line(s, "docs/guide.md")), "bob's lease")

        # a cycles the agent filter to the first agent (tmux-alice): bob's lease is no longer drawn.
        # Each wait names the whole frame it expects: a capture may catch a frame half drawn.
        pane.keys("a")
        pane.wait_for(lambda s: "filter: agent=tmux-alice" in s and bool(_lease_line(s, "src/watched.py"))
                      and not _lease_line(s, "docs/guide.md"), "the agent filter")
        pane.keys("c")
        pane.wait_for(lambda s: "filter:" not in s and bool(_lease_line(s, "docs/guide.md")), "filters cleared")

        a.release_lock("src/watched.py", fence)
        pane.wait_for(lambda s: "Leases (1)" in s and not _lease_line(s, "src/watched.py"), "the release")

    pane.keys("q")
    pane.wait_for_exit("coord watch to quit on q")


def test_watch_follows_an_action_from_proposal_to_its_execution(
        committed_db: Database, pane_factory: Callable[..., Pane]) -> None:
    """Each step of an action's life is redrawn as it happens; the report of its execution
    changes the action alone (no lease, task, session or approval), so the actions panel
    cannot borrow another table's announcement."""
    dsn = committed_db.client_dsn
    with committed_db.connect() as conn:
        planner = make_principal(conn, "tmux-planner").token
        approver = make_principal(conn, "tmux-approver", role="operator").token
    with Client(dsn, planner) as p:
        lamp_token = p.add_device("tmux-lamp", ["actions:claim"]).token
    env = [f"{k}=" for k in ENV]
    pane = pane_factory(["env", *env, sys.executable, "-m", "coord_cli.main", "watch", "--refresh", "600",
                         "--dsn", dsn, "--token", approver], width=220, height=100)
    pane.wait_for(lambda s: "open actions 0" in s and "Actions in flight (0)" in s, "the first status")

    with Client(dsn, planner) as p, Client(dsn, approver) as o, Client(dsn, lamp_token) as lamp:
        proposed = p.propose_action("lamp.on", {"brightness": 80}, ["lamp:write"], "tmux-lamp")
        pane.wait_for(lambda s: "Actions in flight (1)" in s and _action_states(s, "tmux-lamp") == ["proposed"],
                      "the proposal")
        assert o.approve_request(proposed.approval_id, "evening").code == "approved"
        pane.wait_for(lambda s: _action_states(s, "tmux-lamp") == ["approved"], "the approval")
        claimed = lamp.claim_action()
        assert claimed.code == "claimed"
        pane.wait_for(lambda s: _action_states(s, "tmux-lamp") == ["executing"], "the claim")
        assert lamp.complete_action(claimed.action_id, claimed.claim, {"ok": True}).code == "executed"
        pane.wait_for(lambda s: "Actions in flight (0)" in s and _action_states(s, "tmux-lamp") == [],
                      "the executed action leaving the panel")

    pane.keys("q")
    pane.wait_for_exit("coord watch to quit on q")
