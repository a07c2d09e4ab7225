"""Lock acquire+release throughput through the full api path, side by side with raw baselines.

One invocation, one embedded server (durable commits: fsync on, synchronous_commit on), run in
interleaved rounds so machine noise hits every workload alike. Prints ops/s and per-call
p50/p99 for each workload at each client count, and each figure as a ratio to the baselines:

* insert      a single-row INSERT per transaction (the pgbench-style floor)
* naive_lease a naive SQL lease pair: INSERT ... ON CONFLICT DO NOTHING, then DELETE, each its
              own transaction, on a plain table (no auth, no audit, no overlap checks)
* api_lock    Client.acquire_lock + Client.release_lock: PostgREST-shaped transactions with
              token verification, policy gate, prefix-overlap checks, fencing and audit

Usage: bin/bench locks [--clients 1,2,4,8] [--seconds 3] [--rounds 2]
"""

from __future__ import annotations

import argparse
import platform
import shutil
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import psycopg

from coordinator import admin
from coordinator.client import Client
from coordinator.server import EmbeddedServer, free_port

Op = Callable[[], int]  # performs one operation, returns the number of calls it made


def measure(make_ops: Callable[[int], Op], clients: int, seconds: float) -> tuple[float, list[float]]:
    """Run clients threads for seconds; return ops/s and per-call latencies (ms)."""
    ops = [make_ops(i) for i in range(clients)]
    latencies: list[list[float]] = [[] for _ in range(clients)]
    counts = [0] * clients
    barrier = threading.Barrier(clients + 1)
    stop = threading.Event()

    def worker(i: int) -> None:
        barrier.wait()
        while not stop.is_set():
            started = time.perf_counter()
            calls = ops[i]()
            elapsed = (time.perf_counter() - started) * 1000
            latencies[i].extend([elapsed / calls] * calls)
            counts[i] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    began = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    return sum(counts) / (time.perf_counter() - began), [x for lat in latencies for x in lat]


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", default="1,2,4,8")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    levels = [int(c) for c in args.clients.split(",")]

    parent = Path(tempfile.mkdtemp(prefix="coord-bench-"))
    parent.chmod(0o711)
    server_dir = parent / "data"
    try:
        up = admin.up(data_dir=server_dir, port=free_port())
        assert up.dsn is not None
        tokens = [admin.add_principal(up.admin_dsn, f"bench-{i}", tenant="bench").token for i in range(max(levels))]
        with psycopg.connect(up.admin_dsn, autocommit=True) as conn:
            conn.execute("create table public.bench_rows (id bigserial primary key, v text)")
            conn.execute("create table public.bench_leases (path text primary key, holder int, fence bigserial, "
                         "expires_at timestamptz)")

        def insert_ops(_i: int) -> Op:
            conn = psycopg.connect(up.admin_dsn, autocommit=True)
            return lambda: (conn.execute("insert into public.bench_rows (v) values ('x')"), 1)[1]

        def naive_ops(i: int) -> Op:
            conn = psycopg.connect(up.admin_dsn, autocommit=True)
            path = f"p{i}"

            def op() -> int:
                fence = conn.execute("insert into public.bench_leases (path, holder, expires_at) "
                                     "values (%s, %s, now() + interval '1 minute') on conflict do nothing "
                                     "returning fence", (path, i)).fetchone()
                conn.execute("delete from public.bench_leases where path = %s and fence = %s", (path, fence[0]))
                return 2
            return op

        def api_ops(i: int) -> Op:
            client = Client(up.dsn, tokens[i])
            path = f"bench/{i}/{uuid.uuid4().hex[:6]}.py"

            def op() -> int:
                granted = client.acquire_lock(path, ttl="1 minute")
                client.release_lock(path, granted.fence or 0)
                return 2
            return op

        workloads = {"insert": insert_ops, "naive_lease": naive_ops, "api_lock": api_ops}
        results: dict[tuple[str, int], list[tuple[float, list[float]]]] = {}
        for _round in range(args.rounds):
            for clients in levels:
                for name, make in workloads.items():
                    results.setdefault((name, clients), []).append(measure(make, clients, args.seconds))

        print(f"# {platform.node()} {platform.machine()} Python {platform.python_version()} | PostgreSQL "
              f"{up.migration.server_version} embedded, fsync on | {args.rounds} rounds x {args.seconds}s per cell")
        print("| workload | clients | ops/s | calls/s | p50 ms/call | p99 ms/call | ops vs insert "
              "| ops vs naive_lease |")
        print("|---|---|---|---|---|---|---|---|")
        for clients in levels:
            summary = {}
            for name in workloads:
                runs = results[(name, clients)]
                ops = statistics.median(r[0] for r in runs)
                lat = [x for r in runs for x in r[1]]
                summary[name] = (ops, lat)
            for name, (ops, lat) in summary.items():
                calls = ops * (1 if name == "insert" else 2)
                print(f"| {name} | {clients} | {ops:,.0f} | {calls:,.0f} | {percentile(lat, 50):.2f} | "
                      f"{percentile(lat, 99):.2f} | {ops / summary['insert'][0]:.2f}x | "
                      f"{ops / summary['naive_lease'][0]:.2f}x |")
    finally:
        EmbeddedServer(server_dir).stop()
        shutil.rmtree(parent, ignore_errors=True)


if __name__ == "__main__":
    main()
