"""Fault injection: a server of its own that can be crashed, a mixed workload of clients that
keep a ledger of every call acknowledged as committed, and the checks run after each fault.

Used at a small size by tests/test_faults.py (CI) and at full size by bench/faults.py
(``bin/bench faults``). Everything goes through the real api (coordinator.client.Client);
the checks read the tables as superuser. Nothing here sleeps on a guess: the driver waits on
events the clients set (so many calls acknowledged, every client parked after the crash), on
process exit (pidfd), or on pg_stat_activity; only the end of crash recovery, which nothing
announces, is re-tried with a backing-off pause.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import random
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from coordinator import admin
from coordinator.client import Client
from coordinator.errors import CoordError, Unavailable
from coordinator.server import EmbeddedServer, free_port

Expected = tuple[str, str, str]  # audit action, target_id, decision

# Shared by all clients, overlapping on purpose (a directory lease covers the files below it).
PR_SET_CHILD_SUBREAPER = 36

PATHS = ("src/", "src/app.py", "src/lib/util.py", "docs/", "docs/a.md", "tests/t.py", "bin/run", "README.md")
KINDS = ("build", "test")
LEASE = "1 hour"  # no lease expires during a run: every acknowledged grant must still be there

OVERLAPPING_LEASES = """
select a.path, a.fence, b.path, b.fence
from coord.locks a
join coord.locks b on a.tenant_id = b.tenant_id and a.repository = b.repository and a.id < b.id
  and (a.holder_id, a.session_id) is distinct from (b.holder_id, b.session_id)
where a.expires_at > coord.now() and b.expires_at > coord.now()
  and (a.mode = 'exclusive' or b.mode = 'exclusive')
  and not exists (select from coord.sessions s where s.id in (a.session_id, b.session_id)
                  and (s.ended_at is not null or s.expires_at <= coord.now()))
  and (rtrim(a.path, '/') = rtrim(b.path, '/')
       or (right(a.path, 1) = '/' and starts_with(b.path, a.path))
       or (right(b.path, 1) = '/' and starts_with(a.path, b.path)))
"""


@contextmanager
def _subreaper() -> Iterator[None]:
    """Make this process the parent of the postmaster pg_ctl starts (PR_SET_CHILD_SUBREAPER
    while pg_ctl runs): pg_ctl exits once the server is up, and the orphaned postmaster is
    reparented here instead of to PID 1. After a SIGKILL this process can then reap it at once;
    otherwise the dead postmaster stays a zombie until PID 1 reaps it, pg_ctl (kill(pid, 0))
    sees it running, and the restart is refused."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")
    try:
        yield
    finally:
        libc.prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):  # not ours (started elsewhere): PID 1 reaps it
        os.waitpid(pid, 0)


def _wait_exit(pids: list[int]) -> None:
    """Block until every process in ``pids`` has exited (pidfd: no polling, no sleeps)."""
    fds = []
    for pid in pids:
        try:
            fds.append(os.pidfd_open(pid))
        except ProcessLookupError:
            continue
    try:
        for fd in fds:
            ready, _, _ = select.select([fd], [], [], 60)
            if not ready:
                raise AssertionError("a server process outlived its postmaster by 60 s")
    finally:
        for fd in fds:
            os.close(fd)


def _children(ppid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == ppid:
            found.append(int(entry.name))
    return found


class FaultServer:
    """An embedded server of its own in ``parent`` (a temporary directory unless given, e.g. a
    tmpfs), never the shared test cluster: the faults kill it. ``durable`` keeps fsync on; a
    crash of the server (not of the machine) loses nothing that reached the kernel, so tests may
    turn fsync off, but synchronous_commit stays on in every case: an acknowledged commit must
    have its WAL written."""

    def __init__(self, parent: Path | None = None, *, durable: bool = False, options: list[str] | None = None) -> None:
        self.own_parent = parent is None
        self.parent = parent or Path(tempfile.mkdtemp(prefix="coord-faults-"))
        self.parent.chmod(0o711)
        self.data_dir = self.parent / "data"
        extra = [] if durable else ["-c fsync=off", "-c full_page_writes=off"]
        self.options = [*extra, "-c synchronous_commit=on", "-c max_connections=60", *(options or [])]
        with _subreaper():
            self.up = admin.up(data_dir=self.data_dir, port=free_port(), fast_init=not durable,
                               server_options=self.options)
        assert self.up.dsn is not None and self.up.operator_token is not None
        self.server = EmbeddedServer(self.data_dir, extra_options=self.options)
        state = self.server.state()
        assert state is not None
        self.port = state.port
        self.crashes = 0

    @property
    def dsn(self) -> str:
        assert self.up.dsn is not None
        return self.up.dsn

    @property
    def admin_dsn(self) -> str:
        return self.up.admin_dsn

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(self.admin_dsn, autocommit=True)

    def postmaster_pid(self) -> int:
        return int((self.server.pgdata / "postmaster.pid").read_text().split()[0])

    def crash(self, how: str = "sigkill") -> None:
        """Kill the server without a shutdown checkpoint: ``immediate`` is pg_ctl stop -m immediate
        (SIGQUIT), ``sigkill`` a SIGKILL of the postmaster; then wait until every server process
        is gone (their shared memory must be released before a restart)."""
        postmaster = self.postmaster_pid()
        children = _children(postmaster)
        if how == "immediate":
            self.server._as_server_user([str(self.server.bin_dir / "pg_ctl"), "stop", "-D", str(self.server.pgdata),
                                         "-w", "-m", "immediate"])
        elif how == "sigkill":
            os.kill(postmaster, signal.SIGKILL)
        else:
            raise ValueError(how)
        _reap(postmaster)
        _wait_exit(children)
        self.crashes += 1

    def start(self) -> None:
        """Start (after a crash: crash recovery replays the WAL before it accepts connections)."""
        with _subreaper():
            self.server.start(self.port)

    def wait_ready(self, timeout: float = 120) -> None:
        """Until the server accepts connections again (after it restarted itself: crash recovery)."""
        deadline = time.monotonic() + timeout
        pause = 0.001  # nothing announces the end of crash recovery: re-try, backing off to 50 ms
        while True:
            try:
                with self.connect() as conn:
                    conn.execute("select 1")
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, 0.05)

    def close(self) -> None:
        try:
            postmaster = self.postmaster_pid() if self.server.is_running() else None
            self.server.stop()
            if postmaster is not None:
                _reap(postmaster)
        except (CoordError, OSError):
            pass
        if self.own_parent:
            shutil.rmtree(self.parent, ignore_errors=True)


# --- the ledger: what clients were told was committed ------------------------------------------

@dataclass
class Ledger:
    """Every call the api acknowledged (its result came back, so it committed), and the calls
    whose answer was lost to a fault (ambiguous: committed or not, the client cannot know)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    events: Counter[Expected] = field(default_factory=Counter)
    submitted: set[int] = field(default_factory=set)
    completed: dict[int, int] = field(default_factory=dict)  # task -> the claim that completed it
    double_completions: list[int] = field(default_factory=list)
    acknowledged: int = 0
    ambiguous: int = 0
    retried: Counter[str] = field(default_factory=Counter)  # ambiguous calls retried, by outcome

    def ack(self, event: Expected | None) -> None:
        with self.lock:
            self.acknowledged += 1
            if event is not None:
                self.events[event] += 1

    def complete(self, task_id: int, claim: int) -> None:
        with self.lock:
            if task_id in self.completed:
                self.double_completions.append(task_id)
            self.completed[task_id] = claim


@dataclass
class Pending:
    """A call whose answer a fault took: retried once the server is back, where the api makes
    the retry safe (acquire_lock renews, submit_task with a unique_key dedupes, complete_task
    with the same claim answers CO412), otherwise forgotten."""

    name: str
    args: tuple[Any, ...]


class Worker(threading.Thread):
    """One client: its own connection, token and session; a random mix of locks, tasks with
    leases and dependencies, session heartbeats, guardrail checks and (the operator) audit
    queries. On a lost connection it parks until the driver says the server is back."""

    def __init__(self, index: int, fleet: Fleet, token: str, *, operator: bool = False) -> None:
        super().__init__(daemon=True, name=f"fault-worker-{index}")
        self.index, self.fleet, self.token, self.operator = index, fleet, token, operator
        self.rng = random.Random(fleet.seed * 100 + index)
        self.client: Client | None = None
        self.session_id: Any = None
        self.held: dict[str, int] = {}  # path -> fence (acknowledged)
        self.claims: dict[int, int] = {}  # task -> claim (acknowledged)
        self.pending: Pending | None = None
        self.error: BaseException | None = None
        self.n = 0

    # --- connection ----------------------------------------------------------------------

    def _connect(self) -> Client:
        if self.client is None:
            self.client = Client(self.fleet.server.dsn, self.token, session_id=self.session_id)
        return self.client

    def _lost(self) -> None:
        if self.client is not None:
            with contextlib.suppress(Exception):  # the connection is gone already
                self.client.close()
        self.client = None
        if self.pending is not None:
            with self.fleet.ledger.lock:
                self.fleet.ledger.ambiguous += 1
        self.fleet.park()

    def run(self) -> None:
        try:
            while not self.fleet.stopping.is_set():
                try:
                    client = self._connect()
                    if self.pending is not None:
                        self._retry(client, self.pending)
                        self.pending = None
                    self.step(client)
                except Unavailable:
                    self._lost()
                except CoordError as exc:
                    if exc.code in ("57P01", "57P02", "57P03") or exc.code.startswith("08"):  # lost under the call
                        self._lost()
                    else:
                        raise
        except BaseException as exc:
            self.error = exc
            self.fleet.halt()

    # --- calls ---------------------------------------------------------------------------

    def step(self, client: Client) -> None:
        ledger = self.fleet.ledger
        self.n += 1
        if self.session_id is None:
            started = client.start_session(capabilities=["faults"], ttl="1 hour")
            assert started.ok, started
            self.session_id = started.session_id
            ledger.ack(("session.start", str(started.session_id), "started"))
            return
        if self.operator:
            choice = self.rng.choice(["audit", "audit", "guardrail", "heartbeat"])
        else:
            choice = self.rng.choice(["acquire", "acquire", "release", "submit", "submit", "claim", "complete",
                                      "complete", "guardrail", "heartbeat"])
        if choice == "acquire":
            path = self.rng.choice(PATHS)
            self.pending = Pending("acquire", (path,))
            result = client.acquire_lock(path, LEASE)
            self.pending = None
            self._acquired(path, result)
        elif choice == "release" and self.held:
            path = self.rng.choice(sorted(self.held))
            fence = self.held[path]
            self.pending = Pending("release", (path, fence))
            result = client.release_lock(path, fence)
            self.pending = None
            assert result.code == "released", (path, fence, result)
            del self.held[path]
            ledger.ack(("lock.release", path, "released"))
        elif choice == "submit":
            with ledger.lock:
                done = sorted(ledger.submitted)
            depends = [self.rng.choice(done)] if done and self.rng.random() < 0.3 else None
            key = f"w{self.index}-{self.n}"
            kind = self.rng.choice(KINDS)
            self.pending = Pending("submit", (kind, key, depends))
            result = client.submit_task(kind, {"n": self.n}, depends_on=depends, unique_key=key)
            self.pending = None
            self._submitted(result)
        elif choice == "claim":
            self.pending = Pending("claim", ())
            result = client.claim_task(list(KINDS), LEASE)  # not idempotent: an answer lost is not retried
            self.pending = None
            if result.ok:
                self.claims[result.task_id] = result.claim  # type: ignore[index,assignment]
                ledger.ack(("task.claimed", str(result.task_id), "claimed"))
            else:
                ledger.ack(None)
        elif choice == "complete" and self.claims:
            task_id = self.rng.choice(sorted(self.claims))
            claim = self.claims[task_id]
            self.pending = Pending("complete", (task_id, claim))
            result = client.complete_task(task_id, claim, {"by": self.index})
            self.pending = None
            assert result.code == "completed", (task_id, claim, result)
            self._completed(task_id, claim)
        elif choice == "guardrail":
            decision = client.check_operation("command", "rm -rf /")
            assert decision.code == "blocked", decision
            ledger.ack(("guardrail.check", "command", "blocked"))
        elif choice == "heartbeat":
            beat = client.heartbeat("working")
            assert beat.code == "alive", beat
            ledger.ack(("session.heartbeat", str(self.session_id), "alive"))
        elif choice == "audit":
            rows = client.query_audit(limit=20)
            assert rows, "the audit trail is never empty here"
            ledger.ack(None)
        self.fleet.count()

    def _acquired(self, path: str, result: Any) -> None:
        if result.ok:
            if path in self.held:
                assert result.fence == self.held[path], ("a renewal keeps the fence", path, result)
            self.held[path] = result.fence
        self.fleet.ledger.ack(("lock.acquire", path, result.code))

    def _submitted(self, result: Any) -> None:
        assert result.code in ("submitted", "duplicate"), result
        with self.fleet.ledger.lock:
            self.fleet.ledger.submitted.add(result.task_id)
        self.fleet.ledger.ack(("task.submit", str(result.task_id), "queued" if result.code == "submitted"
                               else "duplicate"))

    def _completed(self, task_id: int, claim: int) -> None:
        del self.claims[task_id]
        self.fleet.ledger.complete(task_id, claim)
        self.fleet.ledger.ack(("task.completed", str(task_id), "completed"))

    def _retry(self, client: Client, pending: Pending) -> None:
        """The call whose answer was lost, again: the api promises these retries are safe."""
        ledger = self.fleet.ledger
        if pending.name == "claim":  # not idempotent: a claim that did commit runs out its lease
            ledger.retried["claim_task not retried"] += 1
        elif pending.name == "acquire":
            (path,) = pending.args
            result = client.acquire_lock(path, LEASE)
            self._acquired(path, result)
            ledger.retried[f"acquire_lock {result.code}"] += 1
        elif pending.name == "release":
            path, fence = pending.args
            result = client.release_lock(path, fence)
            assert result.code in ("released", "not_held", "stale_fence"), result
            del self.held[path]
            if result.code == "released":
                ledger.ack(("lock.release", path, "released"))
            ledger.retried[f"release_lock {result.code}"] += 1
        elif pending.name == "submit":
            kind, key, depends = pending.args
            result = client.submit_task(kind, {"retry": key}, depends_on=depends, unique_key=key)
            self._submitted(result)
            ledger.retried[f"submit_task {result.code}"] += 1
        elif pending.name == "complete":
            task_id, claim = pending.args
            try:
                result = client.complete_task(task_id, claim, {"by": self.index})
                assert result.code == "completed", result
                ledger.retried["complete_task completed"] += 1
            except CoordError as exc:
                if exc.code != "CO412":  # this claim already completed it: the first call committed
                    raise
                ledger.retried["complete_task CO412"] += 1
            self._completed(task_id, claim)


class Fleet:
    """The workers and the handshake with the driver: a worker that loses its connection parks
    (counted) until the driver resumes the fleet (the server is back)."""

    def __init__(self, server: FaultServer, clients: int, seed: int) -> None:
        self.server, self.seed = server, seed
        self.ledger = Ledger()
        self.stopping = threading.Event()
        self._cond = threading.Condition()
        self._parked = 0
        self._generation = 0
        self._calls = 0
        tokens = [admin.add_principal(server.admin_dsn, f"faults-w{i}").token for i in range(clients - 1)]
        self.workers = [Worker(i, self, t) for i, t in enumerate(tokens)]
        self.workers.append(Worker(clients - 1, self, server.up.operator_token or "", operator=True))

    def park(self) -> None:
        with self._cond:
            self._parked += 1
            generation = self._generation
            self._cond.notify_all()
            self._cond.wait_for(lambda: self._generation != generation or self.stopping.is_set())

    def count(self) -> None:
        with self._cond:
            self._calls += 1
            self._cond.notify_all()

    def wait_calls(self, n: int) -> None:
        """Until n more calls are acknowledged (or a worker failed)."""
        with self._cond:
            target = self._calls + n
            if not self._cond.wait_for(lambda: self._calls >= target or self.stopping.is_set(), timeout=300):
                raise AssertionError(f"the clients acknowledged {self._calls} of {target} calls in 300 s")
        self.raise_errors()

    def wait_parked(self) -> None:
        """Until every worker has lost its connection and waits for the server."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._parked >= len(self.workers) or self.stopping.is_set(),
                                       timeout=120):
                raise AssertionError(f"{len(self.workers) - self._parked} clients never noticed the crash")
        self.raise_errors()

    def resume(self) -> None:
        with self._cond:
            self._parked = 0
            self._generation += 1
            self._cond.notify_all()

    def raise_errors(self) -> None:
        for w in self.workers:
            if w.error is not None:
                raise AssertionError(f"client {w.index} failed: {w.error!r}") from w.error

    def start(self) -> None:
        for w in self.workers:
            w.start()

    def halt(self) -> None:
        """Stop every worker (and wake the driver) after the current call."""
        self.stopping.set()
        with self._cond:
            self._cond.notify_all()

    def stop(self) -> None:
        self.halt()
        for w in self.workers:
            w.join(timeout=60)


# --- the checks after each fault -----------------------------------------------------------

@dataclass
class Check:
    acknowledged: int
    ambiguous: int
    missing: list[str]  # acknowledged commits not in the database
    doubled: list[str]  # tasks completed twice
    overlapping: list[tuple]  # live exclusive leases that overlap
    unaudited: list[str]  # acknowledged mutations without their audit event
    chain: dict[str, Any]

    @property
    def clean(self) -> bool:
        return not (self.missing or self.doubled or self.overlapping or self.unaudited) and self.chain.get("ok") is True


def check(server: FaultServer, fleet: Fleet) -> Check:
    """What must hold after a fault, read as superuser while every client is parked."""
    ledger = fleet.ledger
    missing: list[str] = []
    with server.connect() as conn:
        tasks = {r[0]: r[1:] for r in conn.execute(
            "select id, state::text, claim from coord.tasks where id = any(%s)",
            (sorted(ledger.submitted | set(ledger.completed)),)).fetchall()}
        for task_id in sorted(ledger.submitted):
            if task_id not in tasks:
                missing.append(f"task {task_id} (submitted)")
        for task_id, claim in sorted(ledger.completed.items()):
            state, final_claim = tasks.get(task_id, (None, None))
            if state != "completed" or final_claim != claim:
                missing.append(f"task {task_id} completed with claim {claim}: found {state} claim {final_claim}")
        for w in fleet.workers:
            # The call whose answer the crash took may have committed: what it would have
            # changed is the client's to find out by retrying, not a loss.
            cut = w.pending.args if w.pending is not None and w.pending.name in ("release", "complete") else ()
            for task_id, claim in w.claims.items():
                if cut == (task_id, claim):
                    continue
                state, live_claim = tasks.get(task_id, (None, None))
                if state != "claimed" or live_claim != claim:
                    missing.append(f"task {task_id} claimed with {claim}: found {state} claim {live_claim}")
            for path, fence in w.held.items():
                if cut == (path, fence):
                    continue
                row = conn.execute("select fence from coord.locks where path = %s and session_id = %s",
                                   (path, w.session_id)).fetchone()
                if row is None or row[0] != fence:
                    missing.append(f"lease {path} fence {fence} of client {w.index}: found {row}")
            if w.session_id is not None and conn.execute(
                    "select ended_at is null from coord.sessions where id = %s", (w.session_id,)).fetchone() != (True,):
                missing.append(f"session {w.session_id} of client {w.index}")
        doubled = [f"task {t} acknowledged completed twice" for t in ledger.double_completions]
        doubled += [f"task {t}: {n} completion events" for t, n in conn.execute(
            "select target_id, count(*) from audit.events where action = 'task.completed' "
            "group by target_id having count(*) > 1").fetchall()]
        overlapping = conn.execute(OVERLAPPING_LEASES).fetchall()
        events = Counter({(a, t, d): n for a, t, d, n in conn.execute(
            "select action, target_id, decision, count(*) from audit.events group by 1, 2, 3").fetchall()})
        short = ledger.events - events
        unaudited = [f"{a} {t} {d}: {n} acknowledged without an event" for (a, t, d), n in sorted(short.items())]
        chain: dict[str, Any] = {"ok": True, "tenants": 0}
        for (tenant_id,) in conn.execute("select id from coord.tenants").fetchall():
            conn.execute("select audit.seal(%s, true)", (tenant_id,))
            verdict = conn.execute("select audit.verify_chain(%s)", (tenant_id,)).fetchone()[0]  # type: ignore[index]
            chain["tenants"] += 1
            if not verdict.get("ok"):
                chain = {"ok": False, "tenant": str(tenant_id), "verdict": verdict}
                break
    return Check(ledger.acknowledged, ledger.ambiguous, missing, doubled, overlapping, unaudited, chain)


# --- crash cycles -------------------------------------------------------------------------

@dataclass
class CrashReport:
    cycles: int
    clients: int
    checks: list[Check]
    retried: Counter[str]
    completed: int
    submitted: int

    @property
    def acknowledged(self) -> int:
        return self.checks[-1].acknowledged if self.checks else 0

    def totals(self) -> dict[str, int]:
        last = self.checks[-1]
        return {"missing": len(last.missing), "doubled": len(last.doubled),
                "overlapping": len(last.overlapping), "unaudited": len(last.unaudited),
                "chain_broken": sum(1 for c in self.checks if c.chain.get("ok") is not True)}


def crash_cycles(server: FaultServer, *, cycles: int, clients: int = 8, calls_per_cycle: int = 40, seed: int = 17,
                 progress: Callable[[str], None] | None = None, work_after: bool = True) -> CrashReport:
    """``cycles`` times: let the clients acknowledge ``calls_per_cycle`` calls, kill the server
    under them (SIGKILL of the postmaster and pg_ctl stop -m immediate by turns), wait until
    every client has lost its connection, restart, check, and let the clients go on (each first
    retries the call whose answer it lost, where the api makes that safe); after the last
    restart too, unless ``work_after`` is off."""
    fleet = Fleet(server, clients, seed)
    checks: list[Check] = []
    fleet.start()
    try:
        for cycle in range(cycles):
            fleet.wait_calls(calls_per_cycle)
            server.crash("sigkill" if cycle % 2 == 0 else "immediate")
            fleet.wait_parked()
            server.start()
            result = check(server, fleet)
            checks.append(result)
            if progress:
                progress(f"cycle {cycle + 1}/{cycles}: {result.acknowledged} acknowledged, {result.ambiguous} "
                         f"ambiguous, missing {len(result.missing)}, doubled {len(result.doubled)}, overlapping "
                         f"{len(result.overlapping)}, unaudited {len(result.unaudited)}, chain "
                         f"{'verified' if result.chain.get('ok') else 'BROKEN'}"
                         + ("" if result.clean else f": {result.missing[:3]} {result.doubled[:3]} "
                            f"{result.overlapping[:3]} {result.unaudited[:3]} {result.chain}"))
            if cycle < cycles - 1 or work_after:
                fleet.resume()
        if work_after:
            fleet.wait_calls(calls_per_cycle)  # the clients work on after the last restart
    finally:
        fleet.stop()
    fleet.raise_errors()
    return CrashReport(cycles, clients, checks, fleet.ledger.retried, len(fleet.ledger.completed),
                       len(fleet.ledger.submitted))


@contextmanager
def fault_server(parent: Path | None = None, **kwargs: Any) -> Iterator[FaultServer]:
    server = FaultServer(parent, **kwargs)
    try:
        yield server
    finally:
        server.close()


def to_json(value: Any) -> str:
    return json.dumps(value, default=str, indent=2)


# --- killed connections ---------------------------------------------------------------------

def wait_for_backend(server: FaultServer, pid: int, condition: str, timeout: float = 60) -> None:
    """Block until pg_stat_activity shows backend ``pid`` in the state the SQL predicate names."""
    from tests.waits import wait_on_backend  # here: this file also runs as a script (agent_process)

    wait_on_backend(server.connect, pid, condition, timeout)


def _in_thread(fn: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["result"] = fn()
        except BaseException as exc:  # the caller inspects it
            out["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out


ADVISORY_LOCKS = "select count(*) from pg_locks where locktype = 'advisory'"


@dataclass
class KillReport:
    victim: int
    killed_error: str  # what the killed client was told
    partial: list[str]  # anything of the killed transaction that became visible
    retry: str  # what the retry answered
    leaks: list[str]  # advisory locks or leases left behind


def killed_completion(server: FaultServer, rng: random.Random, *, clients: int = 4) -> KillReport:
    """``clients`` agents complete their claimed tasks at once; each task holds a lease it
    declared and has a dependent, whose row the driver keeps locked, so every completion waits
    inside its transaction after it has dropped the lease, completed the task and written its
    audit event (coord.finish_completion), just before it counts the dependent down. One
    random client's backend is terminated there (pg_terminate_backend, once pg_stat_activity
    shows it waiting); the others go on once the driver lets go. Nothing of the killed
    transaction may be visible, the retry on a new connection must complete the task once, and
    no advisory lock or lease may be left behind."""
    tag = f"k{rng.randrange(10**9)}"
    tokens = [admin.add_principal(server.admin_dsn, f"{tag}-{i}").token for i in range(clients)]
    agents = [Client(server.dsn, t) for t in tokens]
    try:
        work = []
        for i, agent in enumerate(agents):
            kind = f"{tag}-{i}"
            parent = agent.submit_task(kind, {"i": i}, locks=[f"{tag}/{i}.py"])
            child = agent.submit_task(f"{kind}-child", depends_on=[parent.task_id])
            claim = agent.claim_task([kind], LEASE)
            assert claim.code == "claimed", claim
            fence = claim.locks[f"{tag}/{i}.py"]  # the fence of the lease the claim took
            work.append((agent, parent.task_id, child.task_id, claim.claim, fence))
        victim = rng.randrange(clients)
        with server.connect() as driver, driver.transaction():
            driver.execute("select id from coord.tasks where id = any(%s) for update",
                           ([w[2] for w in work],))
            calls = []
            for agent, task_id, _child, claim, _fence in work:
                pid = agent.connection.info.backend_pid
                calls.append((pid, *_in_thread(lambda a=agent, t=task_id, c=claim: a.complete_task(t, c, {"ok": 1}))))
            for pid, _thread, _out in calls:
                wait_for_backend(server, pid, "state = 'active' and wait_event_type = 'Lock'")
            victim_pid = calls[victim][0]
            with server.connect() as killer:
                assert killer.execute("select pg_terminate_backend(%s)", (victim_pid,)).fetchone() == (True,)
            calls[victim][1].join(60)
        for _pid, thread, _out in calls:
            thread.join(60)
        for i, (_pid, _thread, out) in enumerate(calls):
            if i != victim:
                assert out.get("result") is not None and out["result"].code == "completed", out
        error = calls[victim][2].get("error")
        assert isinstance(error, CoordError), calls[victim][2]
        agent, task_id, child_id, claim, fence = work[victim]
        partial = []
        with server.connect() as conn:
            state, live_claim = conn.execute("select state::text, claim from coord.tasks where id = %s",
                                             (task_id,)).fetchone()  # type: ignore[misc]
            if (state, live_claim) != ("claimed", claim):
                partial.append(f"task {task_id}: {state} claim {live_claim}")
            if conn.execute("select count(*) from audit.events where action = 'task.completed' and target_id = %s",
                            (str(task_id),)).fetchone() != (0,):
                partial.append(f"task {task_id}: a completion event")
            if conn.execute("select count(*) from coord.locks where task_id = %s and fence = %s",
                            (task_id, fence)).fetchone() != (1,):
                partial.append(f"task {task_id}: its lease (fence {fence}) is gone")
            if conn.execute("select pending_deps from coord.tasks where id = %s", (child_id,)).fetchone() != (1,):
                partial.append(f"task {child_id}: counted down")
        retry_client = Client(server.dsn, tokens[victim])
        try:
            retried = retry_client.complete_task(task_id, claim, {"ok": 1})
        finally:
            retry_client.close()
        leaks = []
        with server.connect() as conn:
            if (n := conn.execute(ADVISORY_LOCKS).fetchone()[0]) != 0:  # type: ignore[index]
                leaks.append(f"{n} advisory locks held")
            if (n := conn.execute("select count(*) from coord.locks where path like %s",
                                  (f"{tag}/%",)).fetchone()[0]) != 0:  # type: ignore[index]
                leaks.append(f"{n} leases of completed tasks")
            done = conn.execute("select count(*) from audit.events where action = 'task.completed' "
                                "and target_id = any(%s)", ([str(w[1]) for w in work],)).fetchone()[0]  # type: ignore[index]
            if done != clients:
                leaks.append(f"{done} completion events for {clients} tasks")
            ready = conn.execute("select count(*) from coord.tasks where id = any(%s) and pending_deps = 0",
                                 ([w[2] for w in work],)).fetchone()[0]  # type: ignore[index]
            if ready != clients:
                leaks.append(f"{clients - ready} dependents never became ready")
        return KillReport(victim, f"{error.code}: {str(error).splitlines()[0]}", partial, retried.code or "", leaks)
    finally:
        for agent in agents:
            agent.close()


def killed_acquire(server: FaultServer, rng: random.Random) -> KillReport:
    """An acquire_lock killed while it holds its advisory locks: the driver keeps the row of an
    enclosing shared lease locked, so the acquire waits on it after taking the advisory locks of
    the path. After pg_terminate_backend, no advisory lock is left, nothing was granted, and
    another agent acquires the same path at once (a leaked advisory lock would make it wait for
    2 s and fail with 55P03); the killed agent's retry is then busy, as it must be."""
    tag = f"a{rng.randrange(10**9)}"
    owner, victim, other = (Client(server.dsn, admin.add_principal(server.admin_dsn, f"{tag}-{n}").token)
                            for n in ("owner", "victim", "other"))
    try:
        # Shared leases all: the victim's and the other agent's requests do not conflict with the
        # enclosing lease nor with each other, so only a leaked advisory lock could hold one up.
        enclosing = owner.acquire_lock(f"{tag}/", LEASE, mode="shared")
        assert enclosing.code == "granted", enclosing
        with server.connect() as driver, driver.transaction():
            driver.execute("select id from coord.locks where path = %s for update", (f"{tag}/",))
            pid = victim.connection.info.backend_pid
            thread, out = _in_thread(lambda: victim.acquire_lock(f"{tag}/x.py", LEASE, mode="shared"))
            wait_for_backend(server, pid, "state = 'active' and wait_event_type = 'Lock'")
            with server.connect() as conn:
                held = conn.execute("select count(*) from pg_locks where locktype = 'advisory' and pid = %s",
                                    (pid,)).fetchone()[0]  # type: ignore[index]
                assert held > 0, "the acquire waits holding its advisory locks"
                conn.execute("select pg_terminate_backend(%s)", (pid,))
            thread.join(60)
        error = out.get("error")
        assert isinstance(error, CoordError), out
        partial, leaks = [], []
        with server.connect() as conn:
            if conn.execute("select count(*) from coord.locks where path = %s", (f"{tag}/x.py",)).fetchone() != (0,):
                partial.append("a lease was granted")
            if conn.execute("select count(*) from audit.events where action = 'lock.acquire' and target_id = %s",
                            (f"{tag}/x.py",)).fetchone() != (0,):
                partial.append("an acquire event")
            if (n := conn.execute(ADVISORY_LOCKS).fetchone()[0]) != 0:  # type: ignore[index]
                leaks.append(f"{n} advisory locks held")
        taken = other.acquire_lock(f"{tag}/x.py", LEASE, mode="shared")
        if taken.code != "granted":
            leaks.append(f"another agent's acquire: {taken.code}")
        retry_client = Client(server.dsn, victim.token)
        try:
            retried = retry_client.acquire_lock(f"{tag}/x.py", LEASE, mode="shared")
        finally:
            retry_client.close()
        return KillReport(0, f"{error.code}: {str(error).splitlines()[0]}", partial, retried.code or "", leaks)
    finally:
        for c in (owner, victim, other):
            c.close()


# --- frozen agents --------------------------------------------------------------------------

STALE_CODES = frozenset({"stale_fence", "stale_claim", "expired", "session_ended", "not_held"})


def agent_process(dsn: str, token: str) -> subprocess.Popen[str]:
    """A client in a process of its own (python tests/faults.py agent): it reads one JSON call per
    line on stdin ({"fn": name, "args": {...}, "session": bool}) and writes one JSON line back
    with the result, so the driver can SIGSTOP and SIGCONT it between calls."""
    return subprocess.Popen([sys.executable, __file__, "agent", dsn, token],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)


def ask(proc: subprocess.Popen[str], fn: str, session: bool = True, **args: Any) -> dict[str, Any]:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(json.dumps({"fn": fn, "args": args, "session": session}) + "\n")
    proc.stdin.flush()
    line = proc.stdout.readline()
    if not line:
        raise AssertionError(f"the agent process ended (exit {proc.wait()}) on {fn}")
    answer = json.loads(line)
    if "error" in answer:
        raise AssertionError(f"{fn}: {answer['error']}")
    return answer  # type: ignore[no-any-return]


def _agent_main(dsn: str, token: str) -> None:
    plain = Client(dsn, token)
    in_session = Client(dsn, token)
    for line in sys.stdin:
        request = json.loads(line)
        client = in_session if request["session"] else plain
        try:
            if request["fn"] == "start_session":
                result: Any = client.start_session(**request["args"])
            else:
                result = getattr(client, request["fn"])(**request["args"])
            row = result if not isinstance(result, list) else result[0]
            answer = {k: getattr(row, k, None) for k in ("ok", "code", "fence", "claim", "task_id", "session_id")}
        except CoordError as exc:
            answer = {"ok": False, "code": exc.code, "raised": str(exc).splitlines()[0]}
        except Exception as exc:  # the driver reports it
            answer = {"error": repr(exc)}
        sys.stdout.write(json.dumps(answer, default=str) + "\n")
        sys.stdout.flush()


@dataclass
class FrozenReport:
    refused: dict[str, str]  # call -> the code the frozen agent got
    accepted: list[str]  # calls with old fences or claims that were not refused
    overwritten: list[str]  # the new holders' state changed by the frozen agent


def frozen_agent(server: FaultServer, rng: random.Random) -> FrozenReport:
    """An agent in its own process holds a lease in a session, a lease outside any session and a
    claim on a task that declares a lease; it is frozen (SIGSTOP), the test clock moves past
    every expiry, other agents take the paths and the task over, and it is thawed (SIGCONT).
    Every call it then makes with its old fences and claim must be refused as stale, and the new
    holders' leases and claim must be exactly as they were."""
    tag = f"f{rng.randrange(10**9)}"
    frozen_token = admin.add_principal(server.admin_dsn, f"{tag}-frozen").token
    proc = agent_process(server.dsn, frozen_token)
    heir = Client(server.dsn, admin.add_principal(server.admin_dsn, f"{tag}-heir").token)
    submitter = Client(server.dsn, admin.add_principal(server.admin_dsn, f"{tag}-boss").token)
    kind = f"{tag}-job"
    p_session, p_plain, p_task = f"{tag}/session.py", f"{tag}/plain.py", f"{tag}/task.py"
    try:
        task = submitter.submit_task(kind, {"job": 1}, locks=[p_task])
        assert ask(proc, "start_session", ttl="1 minute")["code"] == "started"
        old_session = ask(proc, "acquire_lock", path=p_session, ttl="30 seconds")
        old_plain = ask(proc, "acquire_lock", session=False, path=p_plain, ttl="30 seconds")
        old_claim = ask(proc, "claim_task", kinds=[kind], lease="30 seconds")
        assert (old_session["code"], old_plain["code"], old_claim["code"]) == ("granted", "granted", "claimed")

        proc.send_signal(signal.SIGSTOP)
        with server.connect() as conn:
            conn.execute("update coord.clock set offset_by = offset_by + interval '2 minutes'")
        new_session = heir.acquire_lock(p_session, LEASE)
        new_plain = heir.acquire_lock(p_plain, LEASE)
        new_claim = heir.claim_task([kind], LEASE)  # rescues the expired claim: queued again after a backoff
        if new_claim.code == "empty":
            with server.connect() as conn:  # the backoff after a first attempt is under a second
                conn.execute("update coord.clock set offset_by = offset_by + interval '5 seconds'")
            new_claim = heir.claim_task([kind], LEASE)
        assert (new_session.code, new_plain.code, new_claim.code) == ("granted", "granted", "claimed"), \
            (new_session, new_plain, new_claim)
        assert new_claim.task_id == task.task_id
        with server.connect() as conn:
            before = conn.execute("select path, fence, holder_id, expires_at from coord.locks where path like %s "
                                  "order by path", (f"{tag}/%",)).fetchall()
            task_before = conn.execute("select state::text, claim, claimed_by, lease_expires_at, result "
                                       "from coord.tasks where id = %s", (task.task_id,)).fetchone()
        proc.send_signal(signal.SIGCONT)

        stale_calls: list[tuple[str, bool, dict[str, Any]]] = [
            ("assert_lease", True, {"path": p_session, "fence": old_session["fence"]}),
            ("renew_lock", True, {"path": p_session, "fence": old_session["fence"], "ttl": "1 hour"}),
            ("release_lock", True, {"path": p_session, "fence": old_session["fence"]}),
            ("assert_lease", False, {"path": p_plain, "fence": old_plain["fence"]}),
            ("renew_lock", False, {"path": p_plain, "fence": old_plain["fence"], "ttl": "1 hour"}),
            ("release_lock", False, {"path": p_plain, "fence": old_plain["fence"]}),
            ("renew_task", True, {"task_id": task.task_id, "claim": old_claim["claim"], "lease": "1 hour"}),
            ("complete_task", True, {"task_id": task.task_id, "claim": old_claim["claim"], "result": {"by": "frozen"}}),
            ("fail_task", True, {"task_id": task.task_id, "claim": old_claim["claim"], "error": "frozen"}),
            ("release_locks", False, {"paths": [p_plain], "fences": [old_plain["fence"]]}),
            ("complete_tasks", True, {"tasks": [{"task_id": task.task_id, "claim": old_claim["claim"],
                                                 "result": {"by": "frozen"}}]}),
            ("heartbeat", True, {"status": "working"}),
            ("acquire_lock", True, {"path": p_session, "ttl": "1 hour"}),  # its session is over
        ]
        refused: dict[str, str] = {}
        accepted: list[str] = []
        for fn, session, args in stale_calls:
            answer = ask(proc, fn, session=session, **args)
            name = f"{fn}{'' if session else ' (no session)'}"
            refused[name] = answer["code"]
            if answer["ok"] or answer["code"] not in STALE_CODES:
                accepted.append(f"{name}: {answer}")
        overwritten = []
        with server.connect() as conn:
            after = conn.execute("select path, fence, holder_id, expires_at from coord.locks where path like %s "
                                 "order by path", (f"{tag}/%",)).fetchall()
            task_after = conn.execute("select state::text, claim, claimed_by, lease_expires_at, result "
                                      "from coord.tasks where id = %s", (task.task_id,)).fetchone()
        if after != before:
            overwritten.append(f"leases: {before} became {after}")
        if task_after != task_before:
            overwritten.append(f"task: {task_before} became {task_after}")
        done = heir.complete_task(task.task_id, new_claim.claim, {"by": "heir"})  # type: ignore[arg-type]
        if done.code != "completed":
            overwritten.append(f"the heir's completion: {done.code}")
        return FrozenReport(refused, accepted, overwritten)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGCONT)
            proc.kill()
            proc.wait()
        for c in (heir, submitter):
            c.close()


# --- disk full ------------------------------------------------------------------------------

@contextmanager
def small_tmpfs(size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` mounted on a new temporary directory (needs CAP_SYS_ADMIN: root)."""
    base = Path(tempfile.mkdtemp(prefix="coord-diskfull-"))
    base.chmod(0o711)
    mount = base / "mnt"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0711", "tmpfs", str(mount)],
                   check=True, capture_output=True, text=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False, capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


CHECKPOINTER = "select pid from pg_stat_activity where backend_type = 'checkpointer'"


@dataclass
class DiskReport:
    acknowledged: int
    refused: Counter[str]  # error code, class, coord exit code and first line, as the clients were told
    missing: int
    after_free: str  # what a write answers once space is freed
    crashed: bool  # the server crashed (PANIC) and restarted itself with crash recovery
    chain: dict[str, Any]


def disk_full(server: FaultServer, *, clients: int = 4, writes_before: int = 20, refusals: int = 3,
              switch_wal: bool = False) -> DiskReport:
    """Clients submit tasks with 8 KiB payloads while a filler file takes every free byte of the
    file system that holds the data directory; each client goes on until it has been refused
    three times. Then the filler is removed. The server must have refused writes with a clear
    error (no PANIC, or else a restart that recovers), accept writes again, and have lost
    nothing it acknowledged; the audit chain must verify."""
    fleet_tokens = [admin.add_principal(server.admin_dsn, f"disk-{i}").token for i in range(clients)]
    acked: list[int] = []
    refused: Counter[str] = Counter()
    lock = threading.Lock()
    started = threading.Barrier(clients + 1)
    filled = threading.Event()

    def write(token: str) -> None:
        client: Client | None = None
        failures = n = 0
        try:
            while failures < refusals:
                if n == writes_before:
                    started.wait(timeout=120)
                n += 1
                try:
                    client = client or Client(server.dsn, token)
                    result = client.submit_task("disk", {"fill": "x" * 8192, "n": n})
                    with lock:
                        acked.append(result.task_id)  # type: ignore[arg-type]
                except CoordError as exc:
                    if not filled.is_set():
                        raise
                    failures += 1
                    told = f"{exc.code} {type(exc).__name__} exit {exc.exit_code}: {str(exc).splitlines()[0]}"
                    with lock:
                        refused[told] += 1
                    if client is not None:
                        client.close()
                        client = None
        finally:
            if client is not None:
                client.close()

    with server.connect() as conn:  # a new checkpointer after the fill: the server crashed and restarted
        checkpointer = conn.execute(CHECKPOINTER).fetchone()
    threads = [_in_thread(lambda t=t: write(t)) for t in fleet_tokens]
    started.wait(timeout=120)
    filler = server.parent / "filler"
    filled.set()  # from now on a refusal is expected
    with open(filler, "wb", buffering=0) as fh:
        for chunk in (1 << 20, 4096):  # megabytes, then the last pages
            with contextlib.suppress(OSError):
                while True:
                    fh.write(b"\0" * chunk)
    if switch_wal:
        # The next WAL segment cannot be created either: the server may PANIC and restart.
        with contextlib.suppress(psycopg.Error), server.connect() as conn:
            conn.execute("select pg_switch_wal()")
    for thread, out in threads:
        thread.join(300)
        if "error" in out:
            raise AssertionError(f"a write failed before the disk was full: {out['error']!r}") from out["error"]
    filler.unlink()
    if not server.server.is_running():
        server.start()
    server.wait_ready()  # after a PANIC the postmaster restarts the server by itself
    with server.connect() as conn:
        crashed = checkpointer != conn.execute(CHECKPOINTER).fetchone()
    with Client(server.dsn, fleet_tokens[0]) as client:
        after = client.submit_task("disk", {"after": True}).code or ""
    with server.connect() as conn:
        present = conn.execute("select count(*) from coord.tasks where id = any(%s)", (acked,)).fetchone()[0]  # type: ignore[index]
        events = conn.execute("select count(*) from audit.events where action = 'task.submit' "
                              "and target_id = any(%s)", ([str(a) for a in acked],)).fetchone()[0]  # type: ignore[index]
        chain: dict[str, Any] = {"ok": True}
        for (tenant_id,) in conn.execute("select id from coord.tenants").fetchall():
            conn.execute("select audit.seal(%s, true)", (tenant_id,))
            verdict = conn.execute("select audit.verify_chain(%s)", (tenant_id,)).fetchone()[0]  # type: ignore[index]
            if not verdict.get("ok"):
                chain = {"ok": False, "verdict": verdict}
    return DiskReport(len(acked), refused, len(acked) - min(present, events), after, crashed, chain)


if __name__ == "__main__":
    if sys.argv[1:2] == ["agent"]:
        _agent_main(sys.argv[2], sys.argv[3])
