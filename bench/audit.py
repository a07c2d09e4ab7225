"""Audit overhead: the same mutation workloads with auditing on and off, in one run, plus the
sealer's throughput.

One embedded server (durable commits), two databases: the migrated one, and a clone of it
(same agents, same tokens) in which the superuser replaced audit.record by a no-op (bench
only; nothing else differs). Workloads, interleaved in rounds (see bench/harness.py):

* lock_off / lock_on     Client.acquire_lock + release_lock, 2 calls (auditing off / on)
* task_off / task_on     Client.submit_task + claim_task + complete_task, 3 calls
* lock_on_sealing        lock_on while a sealer seals the tenant every 200 ms (audit.seal, the
                         work coord maintain does), so its cost shows up in the figure too

The ``rate vs`` column of an *_on row is its rate over the *_off row (goal >= 0.80, i.e.
overhead <= 1.25x); ``p50 vs`` the latency ratio. After the table: the sealer's throughput on
a backlog of 100 000 events written for it (events linked per second), the cost of a seal with
nothing to do, and verification speed.

Usage: bin/bench audit [--clients 1,4,8] [--seconds 3] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from contextlib import ExitStack

import core
import harness
import locks
import psycopg
from harness import Op, Workload
from psycopg import sql as pgsql

NOAUDIT_DB = "coord_noaudit"
EVENT_COUNT = "select count(*) from audit.events"
SEAL_EVERY = 0.2  # seconds between seals in lock_on_sealing (coord maintain --every 0.2)
BACKLOG = 100_000  # events written for the sealer throughput figure
# Bench only: the clone's audit.record keeps its signature and does nothing.
NOOP_RECORD = """
create or replace function audit.record(
  p_action text, p_decision text, p_target_type text default null, p_target_id text default null,
  p_reason text default null, p_details jsonb default '{}', p_authz authz.decision default null,
  p_severity text default 'info', p_system boolean default false, p_tenant_id uuid default null)
returns bigint language sql volatile set search_path = pg_catalog, pg_temp as $$ select null::bigint $$
"""


def renamed(workload: Workload, name: str, baselines: tuple[str, ...] = ()) -> Workload:
    return Workload(name, workload.make_op, baselines=baselines, jobs=workload.jobs)


def with_sealer(workload: Workload, admin_dsn: str, tenant: str, name: str, baselines: tuple[str, ...]) -> Workload:
    """The workload while a sealer runs audit.seal on the tenant in a loop (started with client 0)."""

    def make_op(i: int, stack: ExitStack) -> Op:
        if i == 0:
            stop = threading.Event()

            def seal() -> None:
                with psycopg.connect(admin_dsn, autocommit=True) as conn:
                    tenant_id = conn.execute("select id from coord.tenants where name = %s", (tenant,)).fetchone()[0]
                    while not stop.wait(SEAL_EVERY):
                        conn.execute("select audit.seal(%s)", (tenant_id,))

            thread = threading.Thread(target=seal, daemon=True)
            thread.start()
            stack.callback(thread.join)
            stack.callback(stop.set)
        return workload.make_op(i, stack)

    return Workload(name, make_op, baselines=baselines, jobs=workload.jobs)


def clone_without_audit(admin_dsn: str, client_dsn: str) -> tuple[str, str]:
    """A copy of the migrated database whose audit.record is a no-op; its admin and client DSNs."""
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        source = conn.execute("select current_database()").fetchone()[0]  # type: ignore[index]
    with psycopg.connect(admin_dsn, dbname="postgres", autocommit=True) as conn:
        conn.execute(pgsql.SQL("create database {} template {}").format(pgsql.Identifier(NOAUDIT_DB),
                                                                       pgsql.Identifier(source)))
    with psycopg.connect(admin_dsn, dbname=NOAUDIT_DB, autocommit=True) as conn:
        conn.execute(NOOP_RECORD)
    return (psycopg.conninfo.make_conninfo(admin_dsn, dbname=NOAUDIT_DB),
            psycopg.conninfo.make_conninfo(client_dsn, dbname=NOAUDIT_DB))


def sealer_figures(admin_dsn: str) -> list[str]:
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        tenant_id = conn.execute("select coord.ensure_tenant('sealer-bench')").fetchone()[0]  # type: ignore[index]
        conn.execute("select audit.seal(%s, true)", (tenant_id,))
        conn.execute("select audit.record('bench.fill', 'ok', 'row', g::text, null, jsonb_build_object('n', g), "
                     "p_system => true, p_tenant_id => %s) from generate_series(1, %s) as g", (tenant_id, BACKLOG))
        started = time.perf_counter()
        sealed = 0
        while True:  # batches of 10 000, each its own transaction, as coord maintain would
            n = conn.execute("select audit.seal(%s, true, 10000)", (tenant_id,)).fetchone()[0]  # type: ignore[index]
            sealed += n
            if n == 0:
                break
        seconds = time.perf_counter() - started
        idle = []
        for _ in range(200):
            t = time.perf_counter()
            conn.execute("select audit.seal(%s)", (tenant_id,))
            idle.append((time.perf_counter() - t) * 1000)
        verify_started = time.perf_counter()
        report = conn.execute("select audit.verify_chain(%s)", (tenant_id,)).fetchone()[0]  # type: ignore[index]
        verify_seconds = time.perf_counter() - verify_started
    return [f"* sealer: {sealed:,} events linked in {seconds:.2f} s = {sealed / seconds:,.0f} events/s "
            f"(batches of 10 000 per transaction)",
            f"* a seal with nothing to do: p50 {statistics.median(idle):.2f} ms (200 calls)",
            f"* verify_chain over {report['sealed']:,} links: {verify_seconds:.2f} s = "
            f"{report['sealed'] / verify_seconds:,.0f} links/s, ok={report['ok']}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", default="1,4,8")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    levels = [int(c) for c in args.clients.split(",")]

    with harness.bench_server() as up:
        assert up.dsn is not None
        lock_tokens = locks.agents(up.admin_dsn, "lock", max(levels))
        task_tokens = locks.agents(up.admin_dsn, "task", max(levels))
        seal_tokens = locks.agents(up.admin_dsn, "sealing", max(levels))
        off_admin, off_dsn = clone_without_audit(up.admin_dsn, up.dsn)
        with psycopg.connect(off_admin, autocommit=True) as conn:
            cloned_events = conn.execute(EVENT_COUNT).fetchone()[0]  # type: ignore[index]
        workloads = [
            renamed(locks.api_lock(off_dsn, lock_tokens), "lock_off"),
            renamed(locks.api_lock(up.dsn, lock_tokens), "lock_on", ("lock_off",)),
            with_sealer(locks.api_lock(up.dsn, seal_tokens), up.admin_dsn, "bench", "lock_on_sealing",
                        ("lock_off",)),
            renamed(core.api_task(off_dsn, task_tokens), "task_off"),
            renamed(core.api_task(up.dsn, task_tokens), "task_on", ("task_off",)),
        ]
        results = harness.run(workloads, levels, args.rounds, args.seconds)
        print(harness.header(up, args.rounds, args.seconds))
        print()
        print("\n".join(harness.render(workloads, levels, results, floor=None)))
        print()
        print("\n".join(sealer_figures(up.admin_dsn)))
        with psycopg.connect(off_admin, autocommit=True) as conn:
            leaked = conn.execute(EVENT_COUNT).fetchone()[0] - cloned_events  # type: ignore[index]
        print(f"* the auditing-off database wrote {leaked} audit events during the run (must be 0)")


if __name__ == "__main__":
    main()
