"""The fast path's figures in one run on one server: throughput ratios of the api against naive
SQL, the secure floor, procrastinate and pgmq; CPU per operation; each goal beside what was measured.

One invocation starts one embedded server (durable commits) and runs, in this order:

1. CPU per operation (bench/cpu.py, with synchronous_commit=off for that part only): the api
   lock pair and task lifecycle against the naive pair and lifecycle, each with psycopg's
   automatic prepared statements and without them, and the secure floor.
2. Throughput at every client count in interleaved rounds (bench/harness.py), once per
   ``--commit-delay`` value (commit_delay and commit_siblings set by ALTER SYSTEM + reload before
   each cell; 0 is the server's default, group commit off). One op is:

   * naive_lease         INSERT ... ON CONFLICT DO NOTHING + DELETE on a plain table, 2 calls
   * secure_floor        the same pair in plain SQL with the unavoidable work of a secure call:
                         the token looked up by its SHA-256, the lease row, one audit row
                         (cpu.FLOOR_ACQUIRE / FLOOR_RELEASE), 2 calls
   * api_lock            Client.acquire_lock + Client.release_lock, 2 calls
   * naive_task          INSERT a task, claim it (FOR UPDATE SKIP LOCKED), mark it done, 3 calls
   * procrastinate       defer + fetch + finish through procrastinate's stored procedures, 3 calls
   * pgmq                pgmq.send + pgmq.read (visibility timeout 30 s, 1 message) + pgmq.archive,
                         pgmq 1.5.1 installed from its plain SQL (bench/vendor/pgmq), 3 calls
   * api_task            Client.submit_task + claim_task + complete_task, 3 calls
   * api_batch_lifecycle Client.submit_tasks (--batch tasks) + claim_tasks(limit=--batch) + the
                         completes (complete_claimed below: one complete_tasks call when the
                         client has it, else one complete_task per claim), --batch jobs
3. The goals of the fast path beside the measured figures: met or missed.

Usage: bin/bench ratios [--clients 1,4,8] [--seconds 3] [--rounds 2] [--cpu-ops 1000] [--cpu-rounds 5]
                        [--commit-delay 0] [--commit-siblings 5] [--batch 50] [--only w1,w2]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import core
import cpu
import harness
import locks
import psycopg
import psycopg.sql
from harness import Op, Results, Tally, Workload

from coordinator.client import Client

PGMQ_SQL = Path(__file__).resolve().parent / "vendor" / "pgmq" / "pgmq--1.5.1.sql"
PGMQ_DB = "pgmq_bench"
PGMQ_QUEUE = "bench"
PGMQ_VT = 30  # seconds a read message stays invisible to other readers, as a claim's lease
BATCH_KIND = "bench-batch"
FLOOR_PATH = "src/floor-{}.py"

ORDER = ["naive_lease", "secure_floor", "api_lock", "naive_task", "procrastinate", "pgmq", "api_task",
         "api_batch_lifecycle"]


# --- workloads -----------------------------------------------------------------------------------


def secure_floor(admin_dsn: str, tokens: list[str]) -> Workload:
    """The secure floor's lease pair as a throughput workload (the SQL of bench/cpu.py), a token and path per client."""
    def make_op(i: int, stack: ExitStack) -> Op:
        conn = stack.enter_context(psycopg.connect(admin_dsn, autocommit=True))
        pair = cpu.floor_pair(tokens[i], FLOOR_PATH.format(i))

        def op() -> Tally:
            pair(conn)
            return Tally(2)
        return op
    return Workload("secure_floor", make_op, baselines=("naive_lease",))


def pgmq_setup(admin_dsn: str, dbname: str = PGMQ_DB) -> None:
    """A separate database on the same server with pgmq's install script run as plain SQL, and one queue."""
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(psycopg.sql.SQL("create database {}").format(psycopg.sql.Identifier(dbname)))
    with psycopg.connect(admin_dsn, dbname=dbname, autocommit=True) as conn:
        conn.execute(PGMQ_SQL.read_text())  # type: ignore[arg-type]  # a trusted file, many statements
        conn.execute("select pgmq.create(%s)", (PGMQ_QUEUE,))


def pgmq(admin_dsn: str, dbname: str = PGMQ_DB) -> Workload:
    """send + read + archive: the queue lifecycle as pgmq's clients send it, one autocommit connection per client.

    archive (move the message to the queue's archive table) rather than delete, because the
    api, naive_task and procrastinate keep finished tasks too.
    """
    def make_op(_i: int, stack: ExitStack) -> Op:
        conn = stack.enter_context(psycopg.connect(admin_dsn, dbname=dbname, autocommit=True))

        def op() -> Tally:
            conn.execute("select * from pgmq.send(%s, %s::jsonb)", (PGMQ_QUEUE, "{}"))
            read = conn.execute("select msg_id from pgmq.read(%s, %s, %s)", (PGMQ_QUEUE, PGMQ_VT, 1)).fetchone()
            if read is None:  # every visible message was locked by another reader
                return Tally(2, jobs=0)
            archived = conn.execute("select pgmq.archive(%s, %s::bigint)", (PGMQ_QUEUE, read[0])).fetchone()
            assert archived is not None and archived[0], f"pgmq.archive({read[0]}) archived nothing"
            return Tally(3)
        return op
    return Workload("pgmq", make_op, baselines=("naive_task",), jobs=True)


def complete_claimed(client: Client, claims: Sequence[Any]) -> int:
    """Complete what one batch claimed; returns the calls made.

    The hook for the batch completion endpoint: with ``Client.complete_tasks`` (a JSON array of
    {task_id, claim}, as ``submit_tasks`` takes its batch) it is one call, otherwise one
    ``complete_task`` per claim. The table's note says which ran.
    """
    if not claims:
        return 0
    if hasattr(client, "complete_tasks"):
        for result in client.complete_tasks([{"task_id": c.task_id, "claim": c.claim} for c in claims]):
            core._check(result, "completed", "complete_tasks")
        return 1
    for c in claims:
        core._check(client.complete_task(c.task_id, c.claim), "completed", "complete_task")
    return len(claims)


def batch_mode() -> str:
    return ("complete_tasks (one call per batch)" if hasattr(Client, "complete_tasks")
            else "one complete_task per claim (Client.complete_tasks does not exist yet)")


def api_batch_lifecycle(dsn: str, tokens: list[str], batch: int) -> Workload:
    """submit_tasks(batch) + claim_tasks(limit=batch) + complete what was claimed, on one shared kind."""
    def make_op(i: int, stack: ExitStack) -> Op:
        client = stack.enter_context(Client(dsn, tokens[i]))
        submit = [{"kind": BATCH_KIND, "payload": {}} for _ in range(batch)]

        def op() -> Tally:
            for result in client.submit_tasks(submit):
                core._check(result, "submitted", "submit_tasks")
            rows = client.claim_tasks([BATCH_KIND], lease="5 minutes", limit=batch)
            claims = [r for r in rows if r.ok]
            if not claims and rows[0].code != "empty":  # empty: other clients claimed them all
                core._check(rows[0], "claimed", "claim_tasks")
            return Tally(2 + complete_claimed(client, claims), jobs=len(claims))
        return op
    return Workload("api_batch_lifecycle", make_op, baselines=("api_task", "procrastinate", "pgmq"), jobs=True)


def throughput_workloads(names: Sequence[str], dsn: str, admin_dsn: str, clients: int, batch: int) -> list[Workload]:
    """The named workloads, with a fresh set of ``clients`` agents for each api workload (and the floor's tokens)."""
    def tokens(prefix: str) -> list[str]:
        return locks.agents(admin_dsn, prefix, clients)

    factories: dict[str, Callable[[], Workload]] = {
        "naive_lease": lambda: locks.naive_lease(admin_dsn),
        "secure_floor": lambda: secure_floor(admin_dsn, tokens("floor")),
        "api_lock": lambda: locks.api_lock(dsn, tokens("lock")),
        "naive_task": lambda: core.naive_task(admin_dsn),
        "procrastinate": lambda: core.procrastinate(admin_dsn),
        "pgmq": lambda: pgmq(admin_dsn),
        "api_task": lambda: core.api_task(dsn, tokens("task")),
        "api_batch_lifecycle": lambda: api_batch_lifecycle(dsn, tokens("batch"), batch),
    }
    # the api workloads of locks.py and core.py, compared here with the floor and pgmq too
    return [dataclasses.replace(w, baselines=BASELINES[w.name]) if w.name in BASELINES else w
            for w in (factories[n]() for n in names)]


BASELINES = {"api_lock": ("naive_lease", "secure_floor"), "api_task": ("naive_task", "procrastinate", "pgmq")}


def setup(admin_dsn: str, names: Sequence[str]) -> None:
    cpu.setup(admin_dsn)  # bench_rows, bench_leases, bench_tasks, the floor's tables
    if "procrastinate" in names:
        core.procrastinate_setup(admin_dsn)
    if "pgmq" in names:
        pgmq_setup(admin_dsn)


# --- group commit --------------------------------------------------------------------------------


def group_commit(admin_dsn: str, delay: int, siblings: int) -> None:
    """commit_delay (microseconds) and commit_siblings for new connections; delay 0 resets both to the defaults."""
    if delay:
        harness.server_settings(admin_dsn, commit_delay=str(delay), commit_siblings=str(siblings))
    else:
        harness.server_settings(admin_dsn, commit_delay=None, commit_siblings=None)


def run_throughput(workloads: Sequence[Workload], levels: Sequence[int], rounds: int, seconds: float,
                   delays: Sequence[int], apply: Callable[[int], None]) -> dict[int, Results]:
    """Every workload at every client count under every commit_delay, interleaved: round, delay, clients, workload."""
    results: dict[int, Results] = {d: {} for d in delays}
    for r in range(rounds):
        for d in delays:
            apply(d)
            print(f"round {r + 1}/{rounds}  commit_delay={d}", file=sys.stderr)
            for key, cells in harness.run(workloads, levels, 1, seconds).items():
                results[d].setdefault(key, []).extend(cells)
    return results


# --- goals ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Goal:
    text: str
    measured: str
    met: bool | None  # None: not measured in this run


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else float("nan")


def goals(cpu_us: dict[str, cpu.Sample], results: Results, levels: Sequence[int], *, top: int) -> list[Goal]:
    """The fast path's goals against this run: CPU ratios against the unprepared naive baselines
    (the prepared ones shown beside), throughput at ``top`` clients, p50 at 1 client."""
    out: list[Goal] = []

    def cpu_goal(api: str, naive: str, limit: float, what: str) -> None:
        unprepared = f"{naive}_unprepared"
        if not {api, naive, unprepared} <= cpu_us.keys():
            out.append(Goal(f"CPU per {what} ≤ {limit:g}× the naive one", "not measured", None))
            return
        vs_u = _ratio(cpu_us[api].total_us, cpu_us[unprepared].total_us)
        vs_p = _ratio(cpu_us[api].total_us, cpu_us[naive].total_us)
        out.append(Goal(f"CPU per {what} ≤ {limit:g}× the naive one (unprepared)",
                        f"{vs_u:.1f}× ({cpu_us[api].total_us:,.0f} / {cpu_us[unprepared].total_us:,.0f} µs); "
                        f"{vs_p:.1f}× the prepared naive ({cpu_us[naive].total_us:,.0f} µs)", vs_u <= limit))

    cpu_goal("api_lock", "naive_lease", 4, "api lock pair")
    cpu_goal("api_task", "naive_task", 5, "api task lifecycle")

    s = {key: harness.summarize(cells) for key, cells in results.items()}

    def rate_goal(name: str, base: str, limit: float, what: str, clients: int) -> None:
        if (name, clients) not in s or (base, clients) not in s:
            out.append(Goal(f"{what} ≥ {limit:g}× {base} at {clients} clients", "not measured", None))
            return
        me, other = s[(name, clients)], s[(base, clients)]
        jobs = name in JOB_WORKLOADS and base in JOB_WORKLOADS
        mine, theirs, unit = (me.jobs, other.jobs, "jobs/s") if jobs else (me.ops, other.ops, "ops/s")
        ratio = _ratio(mine, theirs)
        out.append(Goal(f"{what} ≥ {limit:g}× {base} at {clients} clients",
                        f"{ratio:.2f}× ({mine:,.0f} / {theirs:,.0f} {unit})", ratio >= limit))

    rate_goal("api_lock", "naive_lease", 0.3, "api lock pair", top)
    rate_goal("api_task", "procrastinate", 0.5, "api task lifecycle", top)
    for name in ("api_lock", "api_task"):
        if (name, 1) in s:
            p50 = s[(name, 1)].p50
            out.append(Goal(f"{name}: p50 ≤ 1 ms per call at 1 client", f"{p50:.2f} ms", p50 <= 1.0))
        else:
            out.append(Goal(f"{name}: p50 ≤ 1 ms per call at 1 client", "not measured (no 1-client level)", None))
    rate_goal("api_batch_lifecycle", "procrastinate", 3, "batched lifecycle", top)
    if not hasattr(Client, "complete_tasks") and out[-1].met is not None:
        out[-1] = dataclasses.replace(out[-1], measured=f"{out[-1].measured}, completing one claim per call")
    return out


JOB_WORKLOADS = {"naive_task", "procrastinate", "pgmq", "api_task", "api_batch_lifecycle"}


def render_goals(rows: list[Goal]) -> list[str]:
    lines = ["| goal | measured | met? |", "|---|---|---|"]
    for g in rows:
        met = "–" if g.met is None else ("yes" if g.met else "**no**")
        lines.append(f"| {g.text} | {g.measured} | {met} |")
    return lines


def render_group_commit(workloads: Sequence[Workload], levels: Sequence[int], results: dict[int, Results],
                        delays: Sequence[int]) -> list[str]:
    """Each workload's rate under each commit_delay as a ratio to the rate without it (delay 0)."""
    others = [d for d in delays if d]
    head = ["workload", "clients", *[f"rate, commit_delay={d} vs 0" for d in others]]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for clients in levels:
        for w in workloads:
            base = harness.summarize(results[0][(w.name, clients)])
            cols = []
            for d in others:
                me = harness.summarize(results[d][(w.name, clients)])
                cols.append(f"{_ratio(me.jobs, base.jobs) if w.jobs else _ratio(me.ops, base.ops):.2f}x")
            lines.append(f"| {w.name} | {clients} | " + " | ".join(cols) + " |")
    return lines


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", default="1,4,8")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--cpu-ops", type=int, default=1000, help="operations per CPU sample (0: skip the CPU part)")
    parser.add_argument("--cpu-rounds", type=int, default=5)
    parser.add_argument("--commit-delay", default="0",
                        help="comma-separated commit_delay values in µs, each a variant of the whole throughput run "
                             "(0: the default, no group commit); the first must be 0")
    parser.add_argument("--commit-siblings", type=int, default=5, help="commit_siblings with a non-zero commit_delay")
    parser.add_argument("--batch", type=int, default=50, help="tasks per call in api_batch_lifecycle")
    parser.add_argument("--only", help=f"comma-separated subset of: {','.join(ORDER)}")
    args = parser.parse_args()
    levels = [int(c) for c in args.clients.split(",")]
    delays = [int(d) for d in args.commit_delay.split(",")]
    if delays[0] != 0:
        parser.error("--commit-delay must start with 0, the run every other value is compared with")
    chosen = args.only.split(",") if args.only else ORDER
    if unknown := [n for n in chosen if n not in ORDER]:
        parser.error(f"unknown workload {', '.join(unknown)}; choose from {', '.join(ORDER)}")
    names = [n for n in ORDER if n in chosen]
    if "procrastinate" in names and core.missing("procrastinate"):
        parser.error("procrastinate needs the procrastinate package (pip install -e '.[bench]')")
    load_before = load()

    with harness.bench_server() as up:
        dsn, admin_dsn = up.dsn, up.admin_dsn
        assert dsn is not None
        setup(admin_dsn, names)

        cpu_us: dict[str, cpu.Sample] = {}
        cpu_names = ["naive_lease", "naive_lease_unprepared", "secure_floor", "api_lock", "naive_task",
                     "naive_task_unprepared", "api_task"]
        if args.cpu_ops:
            cpu_workloads = cpu.workloads(dsn, admin_dsn, locks.agents(admin_dsn, "cpu", 1)[0])
            harness.server_settings(admin_dsn, synchronous_commit="off")
            cpu_results = cpu.run(cpu_workloads, cpu_names, args.cpu_rounds, args.cpu_ops, max(args.cpu_ops // 10, 10))
            harness.server_settings(admin_dsn, synchronous_commit=None)
            cpu_us = cpu.medians(cpu_results)
            cpu_table = cpu.render(cpu_names, cpu_results, {n: cpu_workloads[n].baselines for n in cpu_names})

        workloads = throughput_workloads(names, dsn, admin_dsn, max(levels), args.batch)
        results = run_throughput(workloads, levels, args.rounds, args.seconds, delays,
                                 lambda d: group_commit(admin_dsn, d, args.commit_siblings))

        facts = harness.header(up, args.rounds, args.seconds)
        print(f"{facts} | {load_before} before, {load()} after")
        print()
        if cpu_us:
            print(f"CPU per operation: one connection, synchronous_commit=off, {args.cpu_rounds} rounds x "
                  f"{args.cpu_ops} ops, median of rounds")
            print()
            print("\n".join(cpu_table))
            print()
        for d in delays:
            group = (f"commit_delay={d} µs, commit_siblings={args.commit_siblings}" if d
                     else "commit_delay=0 (the default: no group commit delay)")
            print(f"Throughput, {group}")
            print()
            print("\n".join(harness.render(workloads, levels, results[d], floor=None)))
            print()
        if len(delays) > 1:
            print("Group commit: the rate with each commit_delay over the rate without it, same run")
            print()
            print("\n".join(render_group_commit(workloads, levels, results, delays)))
            print()
        print(f"Goals (throughput at {max(levels)} clients, commit_delay=0; CPU ratios against the naive "
              f"workloads without prepared statements, the prepared ones beside)")
        print()
        print("\n".join(render_goals(goals(cpu_us, results[0], levels, top=max(levels)))))
        print()
        print(f"* api_batch_lifecycle completes with {batch_mode()}; {args.batch} tasks per batch")


if __name__ == "__main__":
    main()
