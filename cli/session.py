"""coord session: start, end, list and run inside a coord session.

A session is what makes leases and claims belong to one running agent rather than to its token:
one heartbeat keeps all of them alive, and when the session ends (or misses its heartbeat) the
database releases its leases and requeues its claims. Every api command takes --session (or
COORD_SESSION) to act in one; ``coord session run -- CMD`` wraps a whole process in one.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from types import FrameType
from typing import Any

import click

from coordinator.client import Client
from coordinator.config import ENVIRONMENT
from coordinator.errors import CoordError

from .context import Invocation, client_command
from .render import err, out

DEFAULT_RUN_TTL_SECONDS = 60  # the database's default session ttl
_UNITS = {"s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1, "m": 60, "min": 60, "mins": 60, "minute": 60,
          "minutes": 60, "h": 3600, "hour": 3600, "hours": 3600}


def ttl_seconds(text: str | None) -> float | None:
    """A session ttl as seconds: 90, 90s, 30 seconds, 5 minutes, 1 hour or 00:05:00. Only
    ``session run`` needs the number (to pace its heartbeats); the database checks the range."""
    if text is None:
        return None
    value = text.strip().lower()
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([a-z]+)", value)
    if match and match.group(2) in _UNITS:
        return float(match.group(1)) * _UNITS[match.group(2)]
    match = re.fullmatch(r"(\d+):(\d{2}):(\d{2})", value)
    if match:
        return int(match.group(1)) * 3600 + int(match.group(2)) * 60 + int(match.group(3))
    raise click.BadParameter(f"{text!r} is not a duration such as 90, 30 seconds, 5 minutes or 00:05:00",
                             param_hint="--ttl")


@click.group()
def session() -> None:
    """Start, end, list and run inside coord sessions.

    Leases and claims taken in a session belong to it: one heartbeat keeps them alive, and the
    session's end (or a missed heartbeat) releases them. Act in a session with --session ID or
    COORD_SESSION on any command; `coord session run -- CMD` runs CMD in a fresh session.
    """


ttl_option = click.option("--ttl", help="Heartbeat deadline, e.g. '60 seconds' (1 s to 1 h, default 60 seconds).")
agent_type_option = click.option("--agent-type", help="What kind of agent this is, e.g. claude-code.")
capability_option = click.option("--capability", "capabilities", multiple=True,
                                 help="A capability others can discover you by (repeatable).")
repository_option = click.option("--repository", envvar="COORD_REPOSITORY",
                                 help="Repository the session's leases are kept in (default: the token's, else "
                                      "default) [env COORD_REPOSITORY].")
skill_option = click.option("--skill", envvar="COORD_SKILL",
                            help="Run the session under this skill (NAME@VERSION, or NAME for its newest version): "
                                 "its calls are held to the skill's manifest [env COORD_SKILL].")


@session.command("start")
@ttl_option
@agent_type_option
@capability_option
@repository_option
@skill_option
@client_command
def session_start(invocation: Invocation, client: Client, ttl: str | None, agent_type: str | None,
                  capabilities: tuple[str, ...], repository: str | None, skill: str | None) -> None:
    """Start a session and print its id (use it with --session or export COORD_SESSION).
    Heartbeat it within the ttl (coord call heartbeat --session ID), or it ends by itself."""
    ttl_seconds(ttl)
    result = client.start_session(agent_type, list(capabilities) or None, _ttl_arg(ttl), repository, skill)
    if invocation.as_json or not result.ok:
        invocation.result(result)
        return
    out.print(f"started session {result.session_id} (expires {result.expires_at:%Y-%m-%d %H:%M:%S %Z})")
    out.print(f"export COORD_SESSION={result.session_id}", highlight=False)


@session.command("end")
@click.argument("session_id", required=False)
@client_command
def session_end(invocation: Invocation, client: Client, session_id: str | None) -> None:
    """End session SESSION_ID (default: --session / COORD_SESSION): its leases are released and
    its claimed tasks requeued."""
    if session_id:
        client.session_id = session_id
    invocation.result(client.end_session())


@session.command("list")
@click.option("--presence", type=click.Choice(["online", "idle", "offline"]))
@click.option("--capability")
@client_command
def session_list(invocation: Invocation, client: Client, presence: str | None, capability: str | None) -> None:
    """Sessions of your tenant: live ones and those ended within the last hour."""
    rows = client.discover_agents(capability, presence)
    invocation.listing(rows, ["session_id", "name", "agent_type", "presence", "status", "last_heartbeat_at",
                              "expires_at"], empty="(no sessions)")


@session.command("run", context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@ttl_option
@agent_type_option
@capability_option
@repository_option
@skill_option
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
@client_command
def session_run(invocation: Invocation, client: Client, ttl: str | None, agent_type: str | None,
                capabilities: tuple[str, ...], repository: str | None, skill: str | None,
                command: tuple[str, ...]) -> None:
    """Run COMMAND in a new session: heartbeat it every third of the ttl while COMMAND runs,
    export COORD_SESSION (and the token and server given as flags) to COMMAND so its own coord
    calls act in the session, end the session when COMMAND exits (releasing its leases and
    requeueing its claims) and exit with COMMAND's exit code. SIGINT, SIGTERM and SIGHUP are
    passed on to COMMAND. Example: coord session run --ttl '2 minutes' -- make test"""
    seconds = ttl_seconds(ttl) or DEFAULT_RUN_TTL_SECONDS
    started = client.start_session(agent_type or "coord-session-run", list(capabilities) or None, _ttl_arg(ttl),
                                   repository, skill)
    if not started.ok:
        invocation.result(started)
        return
    env = dict(os.environ)
    env["COORD_SESSION"] = str(started.session_id)
    settings = invocation.settings()
    for name in ("dsn", "data_dir", "token"):  # what the child needs to be the same principal
        given = settings.given(name)
        if given is not None and given.flag:
            env[ENVIRONMENT[name]] = given.value
    heartbeats = _Heartbeats(client, interval=max(seconds / 3, 0.5))
    code = _run_child(list(command), env, heartbeats)
    if heartbeats.refused is not None:  # the same token would be refused again (and audited again)
        err.print(f"[yellow]warning[/yellow] not ending session {started.session_id} "
                  f"({heartbeats.refused.code}); it ends by itself when its ttl runs out")
        sys.exit(code)
    try:  # the command's exit code is what this exits with, whatever happens to the session
        ended = client.end_session()
        if not ended.ok and ended.code != "session_ended":
            err.print(f"[yellow]warning[/yellow] could not end session {started.session_id}: {ended.code} "
                      f"{ended.reason}")
    except CoordError as exc:
        err.print(f"[yellow]warning[/yellow] could not end session {started.session_id} ({exc.code} {exc.message}); "
                  "it ends by itself when its ttl runs out")
    sys.exit(code)


def _ttl_arg(ttl: str | None) -> str | None:
    seconds = ttl_seconds(ttl)
    return None if seconds is None else f"{seconds:g} seconds"


class _Heartbeats:
    """Heartbeats the client's session on a thread until stopped. The client's connection is
    used by nobody else meanwhile (the main thread only waits for the child)."""

    def __init__(self, client: Client, interval: float) -> None:
        self.client = client
        self.interval = interval
        self.stop = threading.Event()
        self.refused: CoordError | None = None  # the error that stopped the heartbeats for good
        self.thread = threading.Thread(target=self._beat, name="coord-heartbeat", daemon=True)

    def _beat(self) -> None:
        while not self.stop.wait(self.interval) and self.beat():
            pass

    def beat(self) -> bool:
        """One heartbeat; False when there is no point in another. A refused token (PT401:
        revoked, expired, unknown) or a role that may not heartbeat stays refused, and every
        retry would be one more critical auth event in the audit trail that an operator who
        revoked a leaked token reads; a closed connection is never reopened. The command keeps
        running either way; the session ends by itself when its ttl runs out."""
        try:
            result = self.client.heartbeat("working")
        except CoordError as exc:
            if exc.code in STAYS_REFUSED or self.client.connection.closed:
                self.refused = exc if exc.code in STAYS_REFUSED else None
                err.print(f"[yellow]warning[/yellow] heartbeat failed: {exc.code} {exc.message}; no more "
                          f"heartbeats: session {self.client.session_id} ends by itself when its ttl runs out "
                          "(the command keeps running)")
                return False
            err.print(f"[yellow]warning[/yellow] heartbeat failed: {exc.code} {exc.message}")  # may pass
            return True
        if not result.ok:
            err.print(f"[yellow]warning[/yellow] session {self.client.session_id} is over: {result.code} "
                      f"{result.reason}")
            return False
        return True

    def __enter__(self) -> _Heartbeats:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        self.thread.join()


FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# Errors a retry with the same token and connection cannot mend.
STAYS_REFUSED = ("PT401", "PT403", "42501")


def _terminal_sent_it_to_the_child_too() -> bool:
    """Ctrl-C in a terminal interrupts the whole foreground process group, the child included:
    passing it on again would interrupt the child twice (a second KeyboardInterrupt in the
    middle of its cleanup)."""
    try:
        return os.tcgetpgrp(sys.stdin.fileno()) == os.getpgrp()
    except (OSError, ValueError):  # no terminal: the signal was sent to this process alone
        return False


def _run_child(command: list[str], env: dict[str, str], heartbeats: _Heartbeats) -> int:
    """Run the command to its end, forwarding signals; its exit code, or 128 + the signal that
    killed it (as a shell reports it), 127 when it cannot be started."""
    started: list[subprocess.Popen[bytes]] = []
    pending: list[int] = []  # a signal that arrived before the child existed is sent once it does

    def forward(signum: int, _frame: FrameType | None) -> None:
        if signum == signal.SIGINT and _terminal_sent_it_to_the_child_too():
            return
        if not started:
            pending.append(signum)
        elif started[0].poll() is None:
            started[0].send_signal(signum)

    previous: dict[int, Any] = {signum: signal.signal(signum, forward) for signum in FORWARDED}
    try:
        try:
            started.append(subprocess.Popen(command, env=env))
        except OSError as exc:
            err.print(f"[red]error[/red] cannot run {command[0]}: {exc.strerror or exc}")
            return 127
        for signum in pending:
            started[0].send_signal(signum)
        with heartbeats:
            returncode = started[0].wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 128 - returncode if returncode < 0 else returncode


COMMANDS = [session]
