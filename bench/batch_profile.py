"""Where one batched lifecycle spends its server time: functions and statements per batch call.

Runs ``--cycles`` lifecycles of ``--batch`` tasks (api.submit_tasks, api.claim_tasks,
api.complete_tasks) as one agent, each phase on its own connection, and prints per phase the
functions (pg_stat_user_functions: calls and self time per call of the api function) and the
statements (pg_stat_statements, track = all: nested statements too) that cost the most.

The claim phase holds every claim it takes (profiles get max_concurrent_tasks 10000), so its
count of live claims grows over the phase. Needs a server started with pg_stat_statements
preloaded (a scratch one: the instrumentation itself costs time, so the figures are for
ranking, not for publishing as CPU per job):

    bin/coord up --data-dir /tmp/x/data --port 0 --json     # note admin_dsn and dsn
    psql "$ADMIN" -c "alter system set shared_preload_libraries = 'pg_stat_statements'" \\
                  -c "alter system set pg_stat_statements.track = 'all'" \\
                  -c "alter system set track_functions = 'all'"
    bin/coord down --data-dir /tmp/x/data && bin/coord up --data-dir /tmp/x/data --port 0 --json
    bin/bench batch_profile --admin-dsn "$ADMIN" --dsn "$DSN"
"""

from __future__ import annotations

import argparse
import time

import core
import locks
import psycopg

from coordinator.client import Client

KIND = "profile-batch"


def gone(admin: psycopg.Connection, pid: int) -> None:
    """Wait until backend ``pid`` has exited (and so flushed its statistics)."""
    pause = 0.001
    while admin.execute("select 1 from pg_stat_activity where pid = %s", (pid,)).fetchone():
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


def snapshot(admin: psycopg.Connection) -> tuple[dict[str, tuple[int, float]], dict[str, tuple[int, float]]]:
    admin.execute("select pg_stat_clear_snapshot()")
    functions = {f"{s}.{n}": (c, t) for s, n, c, t in admin.execute(
        "select schemaname, funcname, sum(calls)::bigint, sum(self_time) from pg_stat_user_functions "
        "group by 1, 2").fetchall()}
    statements = {q: (c, t) for q, c, t in admin.execute(
        "select query, sum(calls)::bigint, sum(total_exec_time) from pg_stat_statements group by 1").fetchall()}
    return functions, statements


def phase(admin: psycopg.Connection, dsn: str, token: str, run, cycles: int):
    before = snapshot(admin)
    with Client(dsn, token) as client:
        client.authenticate()
        pid = client.connection.info.backend_pid
        state = None
        for _ in range(cycles):
            state = run(client, state)
    gone(admin, pid)
    after = snapshot(admin)
    deltas = []
    for kind, (b, a) in zip(("function", "statement"), zip(before, after, strict=True), strict=True):
        for name, (calls, ms) in a.items():
            c0, t0 = b.get(name, (0, 0.0))
            if calls - c0 > 0:
                deltas.append((kind, name, (calls - c0) / cycles, (ms - t0) * 1000 / cycles))
    return deltas


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--admin-dsn", required=True)
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--cycles", type=int, default=10)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    token = locks.agents(args.admin_dsn, f"profile-{time.time_ns()}", 1)[0]
    with psycopg.connect(args.admin_dsn, autocommit=True) as admin:
        # The claim phase holds cycles x batch claims at once (the default profile allows 64).
        admin.execute("update coord.profiles set max_concurrent_tasks = 10000")
    specs = [{"kind": KIND, "payload": {}} for _ in range(args.batch)]

    def submit(client: Client, _: object) -> None:
        for r in client.submit_tasks(specs):
            core._check(r, "submitted", "submit_tasks")

    pending: list[tuple[int, int]] = []

    def claim(client: Client, _: object) -> None:
        for r in client.claim_tasks([KIND], lease="30 minutes", limit=args.batch):
            core._check(r, "claimed", "claim_tasks")
            pending.append((r.task_id or 0, r.claim or 0))

    with psycopg.connect(args.admin_dsn, autocommit=True) as admin:
        admin.execute("create extension if not exists pg_stat_statements")
        # Warm-up lifecycles (plans cached), then the measured phases over as many tasks.
        with Client(args.dsn, token) as client:
            warm = client.connection.info.backend_pid
            for _ in range(5):
                submit(client, None)
                claims = client.claim_tasks([KIND], lease="30 minutes", limit=args.batch)
                client.complete_tasks([{"task_id": c.task_id, "claim": c.claim} for c in claims])
        gone(admin, warm)  # its statistics land before the first snapshot
        results = {"submit_tasks": phase(admin, args.dsn, token, submit, args.cycles),
                   "claim_tasks": phase(admin, args.dsn, token, claim, args.cycles)}

        def complete(client: Client, state: object) -> object:
            left = pending if state is None else state
            batch, rest = left[:args.batch], left[args.batch:]  # type: ignore[index]
            for r in client.complete_tasks([{"task_id": t, "claim": c} for t, c in batch]):
                core._check(r, "completed", "complete_tasks")
            return rest
        results["complete_tasks"] = phase(admin, args.dsn, token, complete, args.cycles)

    for name, deltas in results.items():
        print(f"\n#### api.{name}({args.batch}), per call (mean of {args.cycles}; instrumented)\n")
        print("| function or statement | calls per call | self µs per call |")
        print("|---|---|---|")
        for kind, text, calls, us in sorted(deltas, key=lambda d: -d[3])[:args.top]:
            label = text if kind == "function" else "`" + " ".join(text.split())[:110].replace("|", "\\|") + "`"
            print(f"| {label} | {calls:,.0f} | {us:,.0f} |")


if __name__ == "__main__":
    main()
