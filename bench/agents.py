"""Many agents through one connection pool: per-call latency and throughput at 64 and 256
concurrent agents, for each pool size tried, on one embedded server (durable commits).

Each agent is a thread with its own token and its own Client; every call borrows a connection
from one shared psycopg_pool.ConnectionPool (the agent's Client is pointed at it for that call)
and gives it back, as a gateway serving many agents does. One agent's round is 5 calls:

  acquire_lock(a path of its own) + release_lock + submit_task + claim_task + complete_task

(the claim is on one kind shared by all agents: it may take another agent's task, or find none
when others were faster; the agent completes what it claimed). The latency of a call includes
the wait for a pooled connection. Cells run in interleaved rounds (agents, then pool size).

Usage: bin/bench agents [--agents 64,256] [--pools 4,8,16] [--seconds 20] [--rounds 1] [--quick]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

import core
import harness
import locks
from psycopg_pool import ConnectionPool

from coordinator import adapt
from coordinator.client import Client

KIND = "bench-agents"
CALLS = ["acquire_lock", "release_lock", "submit_task", "claim_task", "complete_task"]


@dataclass(frozen=True)
class Cell:
    calls: float  # calls per second, all agents together
    jobs: float  # tasks completed per second
    latencies: dict[str, list[float]]  # ms per call, by call
    pool_wait_ms: float  # mean wait for a pooled connection, from the pool's own counters


def run_cell(dsn: str, tokens: list[str], pool_size: int, seconds: float) -> Cell:
    pool = ConnectionPool(dsn, min_size=pool_size, max_size=pool_size, open=True, timeout=120,
                          kwargs={"autocommit": True, "application_name": "coord-bench-agents"},
                          configure=adapt.install)
    pool.wait(timeout=60)
    agents = len(tokens)
    latencies: list[dict[str, list[float]]] = [{c: [] for c in CALLS} for _ in range(agents)]
    jobs = [0] * agents
    stop = threading.Event()
    errors: list[BaseException] = []
    barrier = threading.Barrier(agents + 1)

    def agent(i: int) -> None:
        client = Client(token=tokens[i], connection=pool.getconn(), adapted=True)  # loads the signatures once
        pool.putconn(client.connection)
        mine = latencies[i]
        path = f"agents/{i}/work.py"

        def call(name: str, *args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            with pool.connection() as conn:
                client.connection = conn
                result = getattr(client, name)(*args, **kwargs)
            mine[name].append((time.perf_counter() - started) * 1000)
            return result

        barrier.wait()
        try:
            while not stop.is_set():
                granted = core._check(call("acquire_lock", path, ttl="1 minute"), "granted", "acquire_lock")
                call("release_lock", path, granted.fence)
                core._check(call("submit_task", KIND, payload={}), "submitted", "submit_task")
                claimed = call("claim_task", [KIND], lease="5 minutes")
                if claimed.code == "empty":  # other agents took every queued task
                    continue
                core._check(claimed, "claimed", "claim_task")
                core._check(call("complete_task", claimed.task_id, claimed.claim), "completed", "complete_task")
                jobs[i] += 1
        except BaseException as exc:
            errors.append(exc)
            stop.set()

    threads = [threading.Thread(target=agent, args=(i,), daemon=True) for i in range(agents)]
    for t in threads:
        t.start()
    barrier.wait()
    began = time.perf_counter()
    stop.wait(seconds)
    stop.set()
    for t in threads:
        t.join()
    wall = time.perf_counter() - began
    stats = pool.get_stats()
    pool.close()
    if errors:
        raise errors[0]
    merged = {c: [x for lat in latencies for x in lat[c]] for c in CALLS}
    total = sum(len(v) for v in merged.values())
    waited = stats.get("requests_wait_ms", 0) / max(stats.get("requests_num", 1), 1)
    return Cell(calls=total / wall, jobs=sum(jobs) / wall, latencies=merged, pool_wait_ms=waited)


def render(results: Results, levels: list[int], pools: list[int]) -> list[str]:
    head = ["agents", "pool", "calls/s", "tasks/s", "p50 ms/call", "p99 ms/call",
            *(f"{c} p99" for c in CALLS), "mean pool wait ms"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for agents in levels:
        best = max(pools, key=lambda p: statistics.median(c.calls for c in results[(agents, p)]))
        for p in pools:
            cells = results[(agents, p)]
            every = [x for c in cells for v in c.latencies.values() for x in v]
            by_call = [harness.percentile([x for c in cells for x in c.latencies[name]], 99) for name in CALLS]
            lines.append("| " + " | ".join([
                str(agents), f"**{p}**" if p == best else str(p),
                f"{statistics.median(c.calls for c in cells):,.0f}", f"{statistics.median(c.jobs for c in cells):,.0f}",
                f"{harness.percentile(every, 50):.1f}", f"{harness.percentile(every, 99):.1f}",
                *(f"{x:.1f}" for x in by_call), f"{statistics.mean(c.pool_wait_ms for c in cells):.1f}"]) + " |")
    return lines


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", default="64,256")
    parser.add_argument("--pools", default="4,8,16", help="pool sizes to try (connections)")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="a smoke run: 4 and 8 agents, pool 2, 1 s")
    args = parser.parse_args(argv)
    if args.quick:
        args.agents, args.pools, args.seconds, args.rounds = "4,8", "2", 1.0, 1
    args.agents = [int(a) for a in args.agents.split(",")]
    args.pools = [int(p) for p in args.pools.split(",")]
    return args


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


Results = dict[tuple[int, int], list[Cell]]


def run(dsn: str, admin_dsn: str, args: argparse.Namespace) -> Results:
    """Every agent count at every pool size, --rounds times, interleaved."""
    say(f"registering {max(args.agents)} agents")
    tokens = locks.agents(admin_dsn, "agent", max(args.agents))
    results: Results = {}
    for r in range(args.rounds):
        for agents in args.agents:
            for p in args.pools:
                cell = run_cell(dsn, tokens[:agents], p, args.seconds)
                results.setdefault((agents, p), []).append(cell)
                every = [x for v in cell.latencies.values() for x in v]
                say(f"round {r + 1}/{args.rounds}  {agents:>3} agents  pool {p:>2}  {cell.calls:,.0f} calls/s  "
                    f"p99 {harness.percentile(every, 99):.1f} ms")
    return results


def main() -> None:
    args = parse()
    load_before = os.getloadavg()
    with harness.bench_server() as up:
        assert up.dsn is not None
        results = run(up.dsn, up.admin_dsn, args)
        load_after = os.getloadavg()
        print(harness.header(up, args.rounds, args.seconds).rsplit(" | ", 1)[0]
              + f" | {args.rounds} round(s) x {args.seconds:g} s per cell, median of rounds"
              + f" | load average {' '.join(f'{x:.2f}' for x in load_before)} before, "
              + f"{' '.join(f'{x:.2f}' for x in load_after)} after")
    print()
    print("\n".join(render(results, args.agents, args.pools)))


if __name__ == "__main__":
    main()
