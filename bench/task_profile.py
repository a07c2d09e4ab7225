"""Where one task lifecycle's server time goes: per api call, each PL/pgSQL function's calls and
self time (track_functions = 'all', pg_stat_user_functions) and each statement's calls and time
(pg_stat_statements, track = 'all': nested statements too), divided by the calls made.

A fresh embedded server with pg_stat_statements preloaded; one agent runs --warmup lifecycles,
then, in chunks of 50 (under the agent's concurrency limit), 50 submit_task calls on one
connection, 50 claim_task calls on a second and 50 complete_task calls on a third. Each
connection first runs 20 lifecycles (functions compiled, plans cached) before its counted calls;
a backend flushes its function counters as it exits, so its figures are read after it closed.
The times are wall time inside the backend with the instrumentation on (pg_stat_statements and
function tracking cost a little themselves): read them as shares, bin/bench cpu for the totals.

Usage: bin/bench task_profile [--ops 500] [--warmup 200] [--top 25]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from collections.abc import Callable
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


def phase(dsn: str, token: str, admin_dsn: str, warm: Callable[[Client], None],
          run: Callable[[Client], None]) -> tuple[Counters, Counters]:
    """The counters ``run`` added on a connection warmed by ``warm`` (functions compiled, plans cached)."""
    with Client(dsn, token) as client:
        client.authenticate()
        warm(client)
        pid = client.connection.info.backend_pid
        # The warm-up's pending function counters go out at the end of this statement's transaction.
        client.connection.execute("select pg_stat_force_next_flush()")
        before = snapshot(admin_dsn)
        run(client)
    # The backend flushes the rest as it exits: wait until it is gone.
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        while conn.execute("select count(*) from pg_stat_activity where pid = %s", (pid,)).fetchone()[0]:  # type: ignore[index]
            conn.execute("select pg_stat_clear_snapshot()")
    after = snapshot(admin_dsn)
    return minus(after[0], before[0]), minus(after[1], before[1])


def render(title: str, ops: int, funcs: Counters, stmts: Counters, top: int) -> list[str]:
    lines = [f"#### {title}", "", "| function | calls per call | self us per call | total us per call |",
             "|---|---|---|---|"]
    funcs = {k: v for k, v in funcs.items() if v[0] >= ops / 100}  # what runs in at least 1 call of 100
    stmts = {k: v for k, v in stmts.items() if v[0] >= ops / 100}
    for name, (calls, self_ms, total_ms) in sorted(funcs.items(), key=lambda kv: -kv[1][1])[:top]:
        lines.append(f"| {name} | {calls / ops:g} | {self_ms * 1000 / ops:,.1f} | {total_ms * 1000 / ops:,.1f} |")
    lines += ["", "| statement (top: sent by the client) | calls per call | exec us per call | plan us per call |",
              "|---|---|---|---|"]
    for (toplevel, query), (calls, exec_ms, plan_ms) in sorted(stmts.items(), key=lambda kv: -kv[1][1])[:top]:
        q = query.replace("|", "\\|")
        lines.append(f"| {'top: ' if toplevel else ''}`{q}` | {calls / ops:g} | {exec_ms * 1000 / ops:,.1f} | "
                     f"{plan_ms * 1000 / ops:,.1f} |")
    return [*lines, ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ops", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
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
        with Client(dsn, token) as client:
            for _ in range(args.warmup):
                cpu.api_task_lifecycle(client)
        claims: list[tuple[int, int]] = []
        chunk = 50  # under the agent's max_concurrent_tasks: the claims of a chunk are all held at once

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

        def warm(client: Client) -> None:
            for _ in range(20):
                cpu.api_task_lifecycle(client)

        rounds = max(1, args.ops // chunk)
        ops = rounds * chunk
        totals: dict[str, tuple[Counters, Counters]] = {}
        for _ in range(rounds):
            for title, run in (("submit_task", submit), ("claim_task", claim), ("complete_task", complete)):
                funcs, stmts = phase(dsn, token, up.admin_dsn, warm, run)
                f0, s0 = totals.setdefault(title, ({}, {}))
                f0.update(minus(funcs, {k: tuple(-x for x in v) for k, v in f0.items()}))
                s0.update(minus(stmts, {k: tuple(-x for x in v) for k, v in s0.items()}))
        out = [f"{harness.header(up, 1, 0).split(' | ')[0]} | {ops} calls each ({rounds} x {chunk}) after "
               f"{args.warmup} lifecycles | load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}", ""]
        for title, (funcs, stmts) in totals.items():
            out += render(title, ops, funcs, stmts, args.top)
        print("\n".join(out))
    finally:
        EmbeddedServer(server_dir).stop()
        shutil.rmtree(parent, ignore_errors=True)


if __name__ == "__main__":
    main()
