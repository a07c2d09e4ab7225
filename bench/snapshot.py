"""Queue throughput while another transaction holds a snapshot, for the api queue and a naive
SKIP LOCKED queue, on one embedded server (durable commits), in one run.

A held snapshot (a REPEATABLE READ transaction that read once and then sits idle, as a long
report or a forgotten psql session does) pins the xmin horizon: no row version deleted or
updated after it started can be vacuumed, and no index entry pointing at one can be marked
dead. A queue whose claim scans its ready index from the front walks every such entry.

For each queue, --clients threads run submit + claim + complete at full speed:

* api    Client.submit_task + claim_task + complete_task on one shared kind (3 calls per job)
* naive  INSERT; UPDATE ... WHERE id = (SELECT ... FOR UPDATE SKIP LOCKED LIMIT 1); UPDATE done,
         on a plain table with a partial index on queued rows (3 autocommit calls per job)

first for --warm seconds with no snapshot held (the baseline rate), then for --seconds with the
snapshot held. Throughput is sampled in --buckets equal slices of the held period; the loss is
the baseline rate over the rate in the last slice. Between the queues the snapshot is released
and the tables vacuumed, so each queue starts clean. Reported with it, when the snapshot is
taken and at the end: the queue table's dead tuples, its ready index's size, and the buffers
one claim's candidate scan touches (EXPLAIN ANALYZE of it, rolled back): why a queue slows down;
for the api queue also the buffers of the claim's count of one claimant's live claims.

Usage: bin/bench snapshot [--seconds 300] [--warm 20] [--clients 4] [--buckets 10] [--only api,naive] [--quick]
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass

import core
import harness
import locks
import psycopg

from coordinator.client import Client

KIND = "bench-snapshot"
Job = Callable[[], int]  # one submit + claim + complete; returns jobs done (0 when the claim found none)


def api_job(dsn: str, token: str, stack: ExitStack) -> Job:
    client = stack.enter_context(Client(dsn, token))

    def job() -> int:
        core._check(client.submit_task(KIND, payload={}), "submitted", "submit_task")
        claimed = client.claim_task([KIND], lease="5 minutes")
        if not claimed.ok and claimed.code == "empty":
            return 0
        core._check(claimed, "claimed", "claim_task")
        core._check(client.complete_task(claimed.task_id, claimed.claim), "completed", "complete_task")
        return 1
    return job


def naive_job(admin_dsn: str, i: int, stack: ExitStack) -> Job:
    conn = stack.enter_context(psycopg.connect(admin_dsn, autocommit=True))

    def job() -> int:
        conn.execute(core.NAIVE_SUBMIT)
        claimed = conn.execute(core.NAIVE_CLAIM, (i,)).fetchone()
        if claimed is None:
            return 0
        conn.execute(core.NAIVE_COMPLETE, (claimed[0],))
        return 1
    return job


def run_jobs(jobs: list[Job], seconds: float, buckets: int) -> list[float]:
    """Run every job in its own thread for ``seconds``; jobs/s in each of ``buckets`` slices."""
    done = [0] * len(jobs)
    stop = threading.Event()
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(jobs) + 1)

    def worker(i: int) -> None:
        barrier.wait()
        try:
            while not stop.is_set():
                done[i] += jobs[i]()
        except BaseException as exc:
            errors.append(exc)
            stop.set()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(len(jobs))]
    for t in threads:
        t.start()
    barrier.wait()
    slice_s = seconds / buckets
    rates, last, began = [], 0, time.perf_counter()
    for b in range(1, buckets + 1):
        if stop.wait(max(0.0, began + b * slice_s - time.perf_counter())):
            break
        now = sum(done)
        rates.append((now - last) / slice_s)
        last = now
    stop.set()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return rates


@dataclass
class Outcome:
    name: str
    baseline: float  # jobs/s with no snapshot held
    held: list[float]  # jobs/s per slice with the snapshot held
    dead_before: int  # n_dead_tup of the queue table when the snapshot was taken
    dead_after: int
    index_kb_before: int
    index_kb_after: int
    buffers_before: int  # buffers one claim's candidate scan touches when the snapshot is taken
    buffers_after: int  # and at the end of the held period
    count_before: int | None = None  # buffers of the claim's count of one claimant's live claims (api)
    count_after: int | None = None

    @property
    def loss(self) -> float:
        return self.baseline / self.held[-1] if self.held and self.held[-1] > 0 else float("inf")


QUEUES = {  # queue table and ready index of each queue
    "api": ("coord.tasks", "coord.tasks_kind_ready_idx"),
    "naive": ("public.bench_tasks", "public.bench_tasks_queued_idx"),
}
PROBES = {  # each queue's claim candidate scan (coord.claim_tasks_as's, from the kind's floor; the naive subselect)
    "api": ("select t.id from coord.tasks as t where t.tenant_id = (select id from coord.tenants where name = 'bench') "
            "and t.state = 'queued' and t.pending_deps = 0 and t.kind = '" + KIND + "' "
            "and t.id >= coalesce((select pg_sequence_last_value(f.floor) from coord.task_ready_floors as f "
            "where f.tenant_id = (select id from coord.tenants where name = 'bench') and f.kind = '" + KIND + "'), 0) "
            "and t.run_after <= now() and t.required_trust <= 4 order by t.priority desc, t.id limit 1 "
            "for update skip locked"),
    "naive": ("select id from public.bench_tasks where state = 'queued' order by priority desc, id "
              "limit 1 for update skip locked"),
}
_CLAIMANT = ("(select p.id from coord.principals as p join coord.tenants as n on n.id = p.tenant_id "
             "where n.name = 'bench' and p.name = 'snapshot-0')")
COUNTS = {  # the claim's count of the claimant's live claims (coord.count_live_claims's, from its floor), first client
    "api": ("select count(*) filter (where t.lease_expires_at > now()), count(*), min(t.claim) from coord.tasks as t "
            "where t.tenant_id = (select id from coord.tenants where name = 'bench') "
            f"and t.claimed_by = {_CLAIMANT} and t.state = 'claimed' "
            f"and (t.claimed_by, t.claim) >= ({_CLAIMANT}, coalesce((select f.floor from coord.claimant_floors as f "
            "where f.tenant_id = (select id from coord.tenants where name = 'bench') "
            f"and f.principal_id = {_CLAIMANT}), -9223372036854775808))"),
}


def probe(admin_dsn: str, query: str) -> int:
    """Buffers one of the claim's scans touches (EXPLAIN ANALYZE, rolled back): what the
    claim walks through to find its row."""
    with psycopg.connect(admin_dsn) as conn:
        plan = conn.execute("explain (analyze, buffers, format json) " + query).fetchone()[0][0]["Plan"]  # type: ignore[index]
        conn.rollback()
    return int(plan.get("Shared Hit Blocks", 0)) + int(plan.get("Shared Read Blocks", 0))


def table_facts(admin_dsn: str, table: str, index: str) -> tuple[int, int]:
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute("select pg_stat_force_next_flush()")
        dead = conn.execute("select coalesce(n_dead_tup, 0) from pg_stat_all_tables where relid = %s::regclass",
                            (table,)).fetchone()
        size = conn.execute("select pg_relation_size(%s::regclass) / 1024", (index,)).fetchone()
    return int(dead[0]) if dead else 0, int(size[0]) if size else 0  # type: ignore[index]


def measure(name: str, make_jobs: Callable[[ExitStack], list[Job]], admin_dsn: str,
            args: argparse.Namespace) -> Outcome:
    table, index = QUEUES[name]
    with ExitStack() as stack:
        jobs = make_jobs(stack)
        print(f"{name}: {args.warm:g} s with no snapshot held", file=sys.stderr, flush=True)
        warm = run_jobs(jobs, args.warm, 1)
        holder = stack.enter_context(psycopg.connect(admin_dsn))
        holder.execute("set transaction isolation level repeatable read")
        holder.execute("select count(*) from pg_catalog.pg_class")  # one read: the snapshot is taken, then idle
        dead_before, kb_before = table_facts(admin_dsn, table, index)
        buffers_before = probe(admin_dsn, PROBES[name])
        count_before = probe(admin_dsn, COUNTS[name]) if name in COUNTS else None
        print(f"{name}: {args.seconds:g} s with a snapshot held", file=sys.stderr, flush=True)
        held = run_jobs(jobs, args.seconds, args.buckets)
        dead_after, kb_after = table_facts(admin_dsn, table, index)
        buffers_after = probe(admin_dsn, PROBES[name])
        count_after = probe(admin_dsn, COUNTS[name]) if name in COUNTS else None
        holder.rollback()
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f"vacuum {table}")  # the next queue starts with clean tables
    outcome = Outcome(name, warm[0] if warm else 0.0, held, dead_before, dead_after, kb_before, kb_after,
                      buffers_before, buffers_after, count_before, count_after)
    print(f"{name}: baseline {outcome.baseline:,.0f} jobs/s, held " + ", ".join(f"{r:,.0f}" for r in held)
          + f"; loss {outcome.loss:.1f}x", file=sys.stderr, flush=True)
    return outcome


def render(outcomes: list[Outcome], seconds: float, buckets: int) -> list[str]:
    slice_s = seconds / buckets
    head = ["queue", "no snapshot", *(f"{(b + 1) * slice_s:g} s" for b in range(buckets)), "loss",
            "dead tuples", "ready index KB", "buffers per claim scan", "buffers per live-claims count"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for o in outcomes:
        lines.append("| " + " | ".join([
            o.name, f"{o.baseline:,.0f}", *(f"{r:,.0f}" for r in o.held), f"{o.loss:.2f}x",
            f"{o.dead_before:,} → {o.dead_after:,}", f"{o.index_kb_before:,} → {o.index_kb_after:,}",
            f"{o.buffers_before:,} → {o.buffers_after:,}",
            f"{o.count_before:,} → {o.count_after:,}" if o.count_before is not None and o.count_after is not None
            else "–"]) + " |")
    return lines


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=300.0, help="how long the snapshot is held, per queue")
    parser.add_argument("--warm", type=float, default=20.0, help="seconds with no snapshot held (the baseline)")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--buckets", type=int, default=10)
    parser.add_argument("--only", default="api,naive", help="comma-separated subset of: api,naive")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 2 s held, 1 s warm, 2 clients")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.warm, args.clients, args.buckets = 2.0, 1.0, 2, 2
    if any(n not in QUEUES for n in args.only.split(",")):
        parser.error(f"--only takes a subset of {','.join(QUEUES)}")
    return args


def run(dsn: str, admin_dsn: str, args: argparse.Namespace) -> list[Outcome]:
    """Every queue of --only on the database of ``admin_dsn`` (the api's through ``dsn``)."""
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        for statement in core.NAIVE_TASKS:
            conn.execute(statement)
    tokens = locks.agents(admin_dsn, "snapshot", args.clients)
    makers: dict[str, Callable[[ExitStack], list[Job]]] = {
        "api": lambda stack: [api_job(dsn, t, stack) for t in tokens],
        "naive": lambda stack: [naive_job(admin_dsn, i, stack) for i in range(args.clients)],
    }
    return [measure(n, makers[n], admin_dsn, args) for n in args.only.split(",")]


def main() -> None:
    args = parse()
    load_before = os.getloadavg()
    with harness.bench_server() as up:
        assert up.dsn is not None
        outcomes = run(up.dsn, up.admin_dsn, args)
        load_after = os.getloadavg()
        print(harness.header(up, 1, args.seconds).rsplit(" | ", 1)[0]
              + f" | {args.clients} clients, {args.warm:g} s without a snapshot, then {args.seconds:g} s holding one"
              + f" | load average {' '.join(f'{x:.2f}' for x in load_before)} before, "
              + f"{' '.join(f'{x:.2f}' for x in load_after)} after")
    print()
    print("jobs/s (submit + claim + complete) with no snapshot, then in each slice of the held period:")
    print()
    print("\n".join(render(outcomes, args.seconds, args.buckets)))


if __name__ == "__main__":
    main()
