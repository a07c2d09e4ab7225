"""Call latency as the tables grow: claim, acquire and query_audit on an empty database, then
with the history of a busy fleet generated underneath, at 1x, 10x, 100x a base size.

One embedded server (durable commits). The history is written straight into the tables with
set-based SQL as the superuser (the task and lease tables' triggers disabled while it is
written: this is history, not calls; re-enabled as they were before anything is measured), in the
measured agents' own tenant, so every index the calls use carries it. At size k the database
holds k x the base of each (the full 100x: 1M finished tasks, 100k queued, 10k live leases,
10M audit events):

* finished  completed tasks of 20 backlog kinds (--base-finished, default 10 000)
* queued    ready tasks of those 20 backlog kinds, older than any the bench submits (--base-queued, 1 000)
* leases    live exclusive leases of another agent under held/ (--base-leases, 100)
* audit     events spread over the last day, 8 actions (--base-audit, 100 000)

After each size the tables are vacuumed and analyzed (what autovacuum reaches in steady
state). At each size one client makes --calls calls of each kind, interleaved:

* claim        Client.claim_task of the bench's own kind (one task of it submitted untimed
               first; the claim is completed untimed after)
* acquire      Client.acquire_lock of a fresh path (released untimed after)
* query_audit  Client.query_audit(limit=50) as an operator (newest first)
* audit_action Client.query_audit(limit=50, action='lock.*') as an operator

and p50/p99 are reported, with each as a ratio to the empty database: a copy of the database
taken before any history was written, whose calls are made interleaved with the grown one's at
every size (so a change of machine load between sizes hits both alike). With --plot, a PNG of
p50 and p99 against size, the empty copy dashed.

Usage: bin/bench growth [--sizes 1,10,100] [--calls 300] [--plot docs/growth.png] [--quick]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import core
import harness
import psycopg
import psycopg.conninfo
import psycopg.sql

from coordinator import admin
from coordinator.client import Client

KIND = "growth-claim"
BACKLOG_KINDS = 20
ACTIONS = ["task.submit", "task.claim", "task.complete", "lock.acquire", "lock.release", "guardrail.check",
           "session.start", "session.heartbeat"]
OPS = ["claim", "acquire", "query_audit", "audit_action"]
GENERATE_CHUNK = 500_000  # rows per INSERT, so progress shows and no one statement runs for minutes

FINISHED = f"""
insert into coord.tasks (tenant_id, kind, payload, state, run_after, attempts, submitted_by, submitted_at,
                         claim, claimed_by, claimed_at, finished_at, result, last_event, state_changed_at)
select %(tenant)s, 'backlog-' || (g %% {BACKLOG_KINDS}), '{{}}', 'completed', t, 1, %(holder)s, t,
       nextval('coord.lock_fence_seq'), %(holder)s, t, t, '{{}}', 'completed', t
from generate_series(1, %(n)s) as g, lateral (select now() - interval '2 days' + g * interval '1 ms' as t) as c
"""
QUEUED = f"""
insert into coord.tasks (tenant_id, kind, payload, state, run_after, submitted_by, submitted_at, state_changed_at)
select %(tenant)s, 'backlog-' || (g %% {BACKLOG_KINDS}), '{{}}', 'queued', t, %(holder)s, t, t
from generate_series(1, %(n)s) as g, lateral (select now() - interval '1 day' + g * interval '1 ms' as t) as c
"""
LEASES = """
insert into coord.locks (tenant_id, path, mode, holder_id, fence, acquired_at, expires_at, repository)
select %(tenant)s, 'held/' || %(offset)s + g || '/file.py', 'exclusive', %(holder)s, nextval('coord.lock_fence_seq'),
       now(), now() + interval '1 day', 'default'
from generate_series(1, %(n)s) as g
"""
AUDIT = f"""
insert into audit.events (tenant_id, occurred_at, actor_type, actor_id, actor_name, action, target_type, target_id,
                          decision, details)
select %(tenant)s, now() - interval '1 day' + g * (interval '1 day' / %(n)s), 'agent', %(holder)s, 'growth-holder',
       (%(actions)s::text[])[1 + g %% {len(ACTIONS)}], 'task', g::text, 'allowed', '{{}}'
from generate_series(1, %(n)s) as g
"""


@dataclass(frozen=True)
class Base:
    finished: int
    queued: int
    leases: int
    audit: int

    def times(self, k: int) -> Base:
        return Base(self.finished * k, self.queued * k, self.leases * k, self.audit * k)

    def describe(self) -> str:
        return (f"{self.finished:,} finished tasks, {self.queued:,} queued, {self.leases:,} live leases, "
                f"{self.audit:,} audit events")


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


@contextmanager
def triggers_off(conn: psycopg.Connection, table: str | None) -> Iterator[None]:
    """The table's own row triggers (not constraint triggers) off inside the caller's transaction,
    then each back as it was (ENABLE, ENABLE ALWAYS or ENABLE REPLICA). The audit tables refuse
    this (their DDL guard); their only insert trigger raises alerts on refusals, which the
    generated events are not."""
    if table is None:
        yield
        return
    rows = conn.execute("select tgname, tgenabled from pg_catalog.pg_trigger where tgrelid = %s::regclass "
                        "and not tgisinternal and tgparentid = 0", (table,)).fetchall()
    how = {"O": "enable trigger", "A": "enable always trigger", "R": "enable replica trigger", "D": "disable trigger"}
    for name, _ in rows:
        conn.execute(psycopg.sql.SQL("alter table {} disable trigger {}").format(
            psycopg.sql.SQL(table), psycopg.sql.Identifier(name)))
    yield
    for name, enabled in rows:
        conn.execute(psycopg.sql.SQL("alter table {} {} {}").format(
            psycopg.sql.SQL(table), psycopg.sql.SQL(how[enabled]), psycopg.sql.Identifier(name)))


def grow(admin_dsn: str, tenant_id: str, holder_id: str, have: Base, want: Base) -> None:
    """Add rows until the database holds ``want`` of each (it holds ``have``)."""
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute("set synchronous_commit = off")
        for name, sql, table, got, need in (("finished", FINISHED, "coord.tasks", have.finished, want.finished),
                                            ("queued", QUEUED, "coord.tasks", have.queued, want.queued),
                                            ("leases", LEASES, "coord.locks", have.leases, want.leases),
                                            ("audit", AUDIT, None, have.audit, want.audit)):
            while got < need:
                n = min(GENERATE_CHUNK, need - got)
                started = time.monotonic()
                with conn.transaction(), triggers_off(conn, table):  # audit: its insert triggers fire
                    conn.execute(sql, {"tenant": tenant_id, "holder": holder_id, "n": n, "offset": got,
                                       "actions": ACTIONS})
                got += n
                say(f"  {name}: {got:,}/{need:,} ({time.monotonic() - started:.1f} s)")
        started = time.monotonic()
        for table in ("coord.tasks", "coord.locks", "audit.events"):
            conn.execute(f"vacuum analyze {table}")
        say(f"  vacuum analyze ({time.monotonic() - started:.1f} s)")


def make_ops(dsn: str, agent: str, operator: str, stack: ExitStack) -> dict[str, Callable[[], float]]:
    """Each op makes one timed call (returning its ms) around its untimed upkeep."""
    me = stack.enter_context(Client(dsn, agent))
    op = stack.enter_context(Client(dsn, operator))
    serial = iter(range(10**9))

    def claim() -> float:
        core._check(me.submit_task(KIND, payload={}), "submitted", "submit_task")
        started = time.perf_counter()
        claimed = me.claim_task([KIND], lease="5 minutes")
        took = time.perf_counter() - started
        core._check(claimed, "claimed", "claim_task")
        core._check(me.complete_task(claimed.task_id, claimed.claim), "completed", "complete_task")
        return took * 1000

    def acquire() -> float:
        path = f"growth/{next(serial)}.py"
        started = time.perf_counter()
        granted = me.acquire_lock(path, ttl="1 minute")
        took = time.perf_counter() - started
        core._check(granted, "granted", "acquire_lock")
        me.release_lock(path, granted.fence or 0)
        return took * 1000

    def query_audit() -> float:
        started = time.perf_counter()
        rows = op.query_audit(limit=50)
        took = time.perf_counter() - started
        assert rows, "query_audit returned nothing"
        return took * 1000

    def audit_action() -> float:
        started = time.perf_counter()
        op.query_audit(limit=50, action="lock.*")
        return (time.perf_counter() - started) * 1000

    return {"claim": claim, "acquire": acquire, "query_audit": query_audit, "audit_action": audit_action}


def measure(ops: dict[str, Callable[[], float]], calls: int) -> dict[str, tuple[float, float]]:
    for fn in ops.values():  # warm the plans and caches
        for _ in range(5):
            fn()
    samples: dict[str, list[float]] = {name: [] for name in ops}
    for _ in range(calls):
        for name, fn in ops.items():
            samples[name].append(fn())
    return {name: (harness.percentile(v, 50), harness.percentile(v, 99)) for name, v in samples.items()}


Figures = dict[int, dict[str, tuple[tuple[float, float], tuple[float, float]]]]
# size -> op -> ((p50, p99) on the grown database, (p50, p99) on the empty copy, measured alongside)


def render(figures: Figures, base: Base) -> list[str]:
    head = ["size", "call", "p50 ms", "p99 ms", "empty p50 ms", "empty p99 ms", "p50 vs empty", "p99 vs empty"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for k, row in figures.items():
        for op in OPS:
            (g50, g99), (e50, e99) = row[op]
            lines.append("| " + " | ".join([f"{k}x", op, f"{g50:.2f}", f"{g99:.2f}", f"{e50:.2f}", f"{e99:.2f}",
                                            f"{g50 / e50:.2f}x", f"{g99 / e99:.2f}x"]) + " |")
    lines.append("")
    lines += [f"* {k}x: {base.times(k).describe()}" for k in figures]
    return lines


def plot(figures: Figures, base: Base, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = list(figures)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), sharey=True)
    colours = dict(zip(OPS, ("tab:blue", "tab:orange", "tab:green", "tab:red"), strict=True))
    for ax, index, name in ((axes[0], 0, "p50"), (axes[1], 1, "p99")):
        for op in OPS:
            ax.plot(sizes, [figures[k][op][0][index] for k in sizes], marker="o", color=colours[op], label=op)
            ax.plot(sizes, [figures[k][op][1][index] for k in sizes], linestyle="--", color=colours[op],
                    alpha=0.6, label=f"{op}, empty copy alongside")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xticks(sizes, [f"{k}x" for k in sizes])
        ax.set_title(f"{name} latency per call (ms)")
        ax.set_xlabel(f"history, 1x = {base.describe()}", fontsize=7)
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend(fontsize=6)
    fig.suptitle(title, fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1,10,100", help="multiples of the base, ascending")
    parser.add_argument("--calls", type=int, default=300, help="timed calls of each kind at each size")
    parser.add_argument("--base-finished", type=int, default=10_000)
    parser.add_argument("--base-queued", type=int, default=1_000)
    parser.add_argument("--base-leases", type=int, default=100)
    parser.add_argument("--base-audit", type=int, default=100_000)
    parser.add_argument("--plot", help="write a PNG of the figures here (e.g. docs/growth.png)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: a tiny base, sizes 1,2, 10 calls")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.calls = "1,2", 10
        args.base_finished, args.base_queued, args.base_leases, args.base_audit = 200, 20, 5, 1_000
    args.sizes = [int(s) for s in args.sizes.split(",")]
    if args.sizes != sorted(set(args.sizes)) or args.sizes[0] < 1:
        parser.error("--sizes must be ascending positive multiples")
    args.base = Base(args.base_finished, args.base_queued, args.base_leases, args.base_audit)
    return args


def run(dsn: str, admin_dsn: str, args: argparse.Namespace) -> Figures:
    """The empty database, then each size of --sizes, on the database of ``admin_dsn``.

    A copy of the database taken while it is still empty stays empty: at every size its calls
    are made interleaved with the grown database's, and the ratios are to those, so a change
    of machine load between sizes hits both sides alike."""
    base: Base = args.base
    agent = admin.add_principal(admin_dsn, "growth-agent", tenant="bench").token
    operator = admin.add_principal(admin_dsn, "growth-operator", tenant="bench", role="operator").token
    admin.add_principal(admin_dsn, "growth-holder", tenant="bench")
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        tenant_id, holder_id = conn.execute(
            "select p.tenant_id::text, p.id::text from coord.principals as p where p.name = 'growth-holder'"
        ).fetchone()  # type: ignore[misc]
        database = conn.info.dbname
    control = f"{database}_empty"
    with psycopg.connect(admin_dsn, dbname="postgres", autocommit=True) as conn:
        conn.execute(psycopg.sql.SQL("create database {} template {} strategy file_copy").format(
            psycopg.sql.Identifier(control), psycopg.sql.Identifier(database)))
    try:
        with ExitStack() as stack:
            grown = make_ops(dsn, agent, operator, stack)
            empty = make_ops(psycopg.conninfo.make_conninfo(dsn, dbname=control), agent, operator, stack)
            figures: Figures = {}
            have = Base(0, 0, 0, 0)
            for k in args.sizes:
                want = base.times(k)
                say(f"{k}x: {want.describe()}")
                grow(admin_dsn, tenant_id, holder_id, have, want)
                have = want
                both = measure({**{f"empty {n}": f for n, f in empty.items()}, **grown}, args.calls)
                figures[k] = {n: (both[n], both[f"empty {n}"]) for n in OPS}
                say("  " + ", ".join(f"{op} {g[0]:.2f}/{g[1]:.2f} ms (empty {e[0]:.2f}/{e[1]:.2f})"
                                     for op, (g, e) in figures[k].items()))
    finally:
        with psycopg.connect(admin_dsn, dbname="postgres", autocommit=True) as conn:
            conn.execute(psycopg.sql.SQL("drop database if exists {} with (force)").format(
                psycopg.sql.Identifier(control)))
    return figures


def main() -> None:
    args = parse()
    load_before = os.getloadavg()
    started = time.monotonic()
    with harness.bench_server() as up:
        assert up.dsn is not None
        figures = run(up.dsn, up.admin_dsn, args)
        with psycopg.connect(up.admin_dsn, autocommit=True) as conn:
            db_size = conn.execute("select pg_size_pretty(pg_database_size(current_database()))").fetchone()[0]  # type: ignore[index]
        load_after = os.getloadavg()
        facts = harness.header(up, 1, 0).rsplit(" | ", 1)[0].removeprefix("# ")
    title = (facts + f" | {args.calls} calls of each kind per size, 1 client, interleaved"
             + f" | load average {' '.join(f'{x:.2f}' for x in load_before)} before, "
             + f"{' '.join(f'{x:.2f}' for x in load_after)} after | database {db_size} at the largest size"
             + f", {time.monotonic() - started:.0f} s in all")
    print("# " + title)
    print()
    print("\n".join(render(figures, args.base)))
    if args.plot:
        plot(figures, args.base, Path(args.plot), facts)
        print()
        print(f"plot: {args.plot}")


if __name__ == "__main__":
    main()
