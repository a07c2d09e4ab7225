"""Where an api call's server time goes: per call, each PL/pgSQL function's calls and self time
(track_functions = 'all', pg_stat_user_functions) and each statement's calls and time
(pg_stat_statements, track = 'all': nested statements too), for the lock pair, the single task
lifecycle and the batched one.

A fresh embedded server with pg_stat_statements preloaded; one agent. Each phase (a lock pair;
submit_task, claim_task, complete_task; submit_tasks, claim_tasks, complete_tasks of --batch)
runs in rounds, each round on a new connection that first runs a few untimed calls of its kind
(functions compiled, plans cached); a round's claims stay under the agent's concurrency limit, so
the count of live claims does not grow over the run. A backend flushes its function counters as
it exits, so a round's figures are read after its connection closed. The times are wall time
inside the backend with the instrumentation on: read them as shares, bin/bench cpu for totals.

Usage: bin/bench profile [--calls lock,task,batch] [--ops 500] [--batch 50] [--top 25]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import core
import cpu
import harness
import locks
import psycopg

from coordinator import admin
from coordinator.client import Client
from coordinator.server import EmbeddedServer

OPTIONS = ["-c shared_preload_libraries=pg_stat_statements", "-c pg_stat_statements.track=all",
           "-c track_functions=all", "-c synchronous_commit=off", "-c pg_stat_statements.max=10000"]

Counters = dict[Any, tuple[float, ...]]

FUNCTIONS = """
select schemaname || '.' || funcname, calls, self_time, total_time
from pg_stat_user_functions where calls > 0 and schemaname <> 'public'
"""
STATEMENTS = """
select toplevel, regexp_replace(left(query, 110), '\\s+', ' ', 'g'), calls, total_exec_time, total_plan_time
from pg_stat_statements where calls > 0 and query !~ 'pg_stat'
"""


def snapshot(admin_dsn: str) -> tuple[Counters, Counters]:
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        funcs = {r[0]: r[1:] for r in conn.execute(FUNCTIONS)}
        stmts = {(r[0], r[1]): r[2:] for r in conn.execute(STATEMENTS)}
    return funcs, stmts


def minus(now: Counters, was: Counters) -> Counters:
    return {k: tuple(a - b for a, b in zip(v, was.get(k, (0,) * len(v)), strict=True)) for k, v in now.items()}


def plus(into: Counters, more: Counters) -> None:
    for k, v in more.items():
        into[k] = tuple(a + b for a, b in zip(into.get(k, (0,) * len(v)), v, strict=True))


@dataclass
class Phase:
    """One api call's profile: ``run`` makes ``per_round`` calls on a connection ``warm`` prepared."""

    title: str
    warm: Callable[[Client], None]
    run: Callable[[Client], None]
    per_round: int
    funcs: Counters
    stmts: Counters


def phases(kinds: list[str], batch: int) -> list[Phase]:
    """The phases of each kind of call, in the order a round runs them."""
    claims: list[tuple[int, int]] = []
    chunk = 50  # single calls per round: under the agent's max_concurrent_tasks, all held at once
    specs = [{"kind": "cpu", "payload": {}} for _ in range(batch)]

    def lock_pairs(client: Client) -> None:
        for _ in range(chunk):
            cpu.api_lock_pair(client)

    def lifecycles(client: Client) -> None:
        for _ in range(20):
            cpu.api_task_lifecycle(client)

    def submit(client: Client) -> None:
        for _ in range(chunk):
            core._check(client.submit_task("cpu", payload={}), "submitted", "submit_task")

    def claim(client: Client) -> None:
        for _ in range(chunk):
            c = core._check(client.claim_task(["cpu"], lease="5 minutes"), "claimed", "claim_task")
            claims.append((c.task_id, c.claim))

    def complete(client: Client) -> None:
        for task_id, claim_token in claims:
            core._check(client.complete_task(task_id, claim_token), "completed", "complete_task")
        claims.clear()

    def batch_lifecycles(client: Client) -> None:
        for _ in range(3):  # its own claims: the round's stay in ``claims`` for its complete phase
            submit_batch(client)
            taken = client.claim_tasks(["cpu"], lease="5 minutes", limit=batch)
            for r in client.complete_tasks([{"task_id": c.task_id, "claim": c.claim} for c in taken]):
                core._check(r, "completed", "complete_tasks")

    def submit_batch(client: Client) -> None:
        for r in client.submit_tasks(specs):
            core._check(r, "submitted", "submit_tasks")

    def claim_batch(client: Client) -> None:
        for r in client.claim_tasks(["cpu"], lease="5 minutes", limit=batch):
            core._check(r, "claimed", "claim_tasks")
            claims.append((r.task_id or 0, r.claim or 0))

    def complete_batch(client: Client) -> None:
        for r in client.complete_tasks([{"task_id": t, "claim": c} for t, c in claims]):
            core._check(r, "completed", "complete_tasks")
        claims.clear()

    table = {
        "lock": [("acquire_lock + release_lock", lambda c: [cpu.api_lock_pair(c) for _ in range(20)], lock_pairs,
                  chunk)],
        "task": [("submit_task", lifecycles, submit, chunk), ("claim_task", lifecycles, claim, chunk),
                 ("complete_task", lifecycles, complete, chunk)],
        "batch": [(f"submit_tasks({batch})", batch_lifecycles, submit_batch, 1),
                  (f"claim_tasks({batch})", batch_lifecycles, claim_batch, 1),
                  (f"complete_tasks({batch})", batch_lifecycles, complete_batch, 1)],
    }
    return [Phase(title, warm, run, per_round, {}, {}) for kind in kinds for title, warm, run, per_round in table[kind]]


def round_of(phase: Phase, dsn: str, token: str, admin_dsn: str) -> None:
    """Adds what one round of ``phase`` cost, on a connection of its own, to its counters."""
    with Client(dsn, token) as client:
        client.authenticate()
        phase.warm(client)
        pid = client.connection.info.backend_pid
        # The warm-up's pending function counters go out at the end of this statement's transaction.
        client.connection.execute("select pg_stat_force_next_flush()")
        before = snapshot(admin_dsn)
        phase.run(client)
    # The backend flushes the rest as it exits: wait until it is gone.
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        while conn.execute("select count(*) from pg_stat_activity where pid = %s", (pid,)).fetchone()[0]:  # type: ignore[index]
            conn.execute("select pg_stat_clear_snapshot()")
    after = snapshot(admin_dsn)
    plus(phase.funcs, minus(after[0], before[0]))
    plus(phase.stmts, minus(after[1], before[1]))


def render(title: str, ops: int, funcs: Counters, stmts: Counters, top: int) -> list[str]:
    lines = [f"#### {title}", "", "| function | calls per call | self us per call | total us per call |",
             "|---|---|---|---|"]
    funcs = {k: v for k, v in funcs.items() if v[0] >= ops / 100}  # what runs in at least 1 call of 100
    stmts = {k: v for k, v in stmts.items() if v[0] >= ops / 100}
    for name, (calls, self_ms, total_ms) in sorted(funcs.items(), key=lambda kv: -kv[1][1])[:top]:
        lines.append(f"| {name} | {calls / ops:g} | {self_ms * 1000 / ops:,.1f} | {total_ms * 1000 / ops:,.1f} |")
    lines.append(f"| all ({sum(v[0] for v in funcs.values()) / ops:g} calls) | | "
                 f"{sum(v[1] for v in funcs.values()) * 1000 / ops:,.1f} | |")
    lines += ["", "| statement (top: sent by the client) | calls per call | exec us per call | plan us per call |",
              "|---|---|---|---|"]
    for (toplevel, query), (calls, exec_ms, plan_ms) in sorted(stmts.items(), key=lambda kv: -kv[1][1])[:top]:
        q = query.replace("|", "\\|")
        lines.append(f"| {'top: ' if toplevel else ''}`{q}` | {calls / ops:g} | {exec_ms * 1000 / ops:,.1f} | "
                     f"{plan_ms * 1000 / ops:,.1f} |")
    nested = sum(v[0] for (top_level, _), v in stmts.items() if not top_level)
    return [*lines, f"| {nested / ops:g} nested statements per call | | | |", ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", default="lock,task,batch", help="comma-separated: lock, task, batch")
    parser.add_argument("--ops", type=int, default=500, help="single calls (lock pairs) per phase")
    parser.add_argument("--batches", type=int, default=10, help="batch calls per phase")
    parser.add_argument("--batch", type=int, default=50, help="tasks per batch call")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    kinds = [k.strip() for k in args.calls.split(",") if k.strip()]
    if not kinds or set(kinds) - {"lock", "task", "batch"}:
        parser.error(f"--calls takes lock, task and batch, not {args.calls!r}")
    parent = Path(tempfile.mkdtemp(prefix="coord-profile-"))
    parent.chmod(0o711)
    server_dir = parent / "data"
    try:
        up = admin.up(data_dir=server_dir, port=harness.free_port(), server_options=OPTIONS)
        assert up.dsn is not None
        with psycopg.connect(up.admin_dsn, autocommit=True) as conn:
            conn.execute("create extension if not exists pg_stat_statements")
            conn.execute("grant execute on function pg_stat_force_next_flush() to public")
        token = locks.agents(up.admin_dsn, "profile", 1)[0]
        dsn = cpu.same_transport(up.dsn, up.admin_dsn)
        out = [f"{harness.header(up, 1, 0).split(' | ')[0]} | --calls {','.join(kinds)} --ops {args.ops} "
               f"--batches {args.batches} --batch {args.batch} | load average "
               f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}", ""]
        for kind in kinds:
            # A round runs each phase of the kind in turn: the claims a round takes, it completes.
            group = phases([kind], args.batch)
            per_round = group[0].per_round
            rounds = max(1, (args.batches if kind == "batch" else args.ops) // per_round)
            for _ in range(rounds):
                for phase in group:
                    round_of(phase, dsn, token, up.admin_dsn)
            for phase in group:
                out += render(phase.title, rounds * per_round, phase.funcs, phase.stmts, args.top)
        print("\n".join(out))
    finally:
        EmbeddedServer(server_dir).stop()
        shutil.rmtree(parent, ignore_errors=True)


if __name__ == "__main__":
    main()
