"""CPU per call of the Python client's request shape against PostgREST's, on one server, interleaved.

The client sends api.begin_request and the call pipelined with one Sync: one implicit
transaction (coordinator/client.py). PostgREST sends BEGIN, its set_config statement,
api.pre_request, the call and COMMIT; the client sent exactly that, pipelined, before (and
still does to a database older than api.begin_request). This
runs the same api workloads through both shapes on one server (the same function bodies), in
short alternating rounds, so that the difference is the shape alone, even on a busy machine
where two runs of ``bin/bench cpu`` minutes apart differ by more than the shape costs.

* server us/op  the backend's on-CPU time (``/proc/<backend pid>/schedstat``) / ops
* client us/op  this process's CPU time (``time.process_time``) / ops
* medians over rounds; "change" is the client shape's total against PostgREST's

Workloads (one op each): api_lock (acquire_lock + release_lock), api_task (submit_task +
claim_task + complete_task), api_check (check_operation 'git push origin main').

Usage: bin/bench request_shape [--ops 300] [--warmup 100] [--rounds 8] [--only api_lock,api_task]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import harness
import locks
import psycopg

from coordinator.client import Client


class PostgrestShapedClient(Client):
    """The Python client sending PostgREST's five statements, pipelined, as it does for a database
    older than api.begin_request."""

    def _has_begin_request(self) -> bool:
        return False


def _expect(result: Any, code: str) -> Any:
    assert result.code == code, result
    return result


def api_lock(client: Client) -> None:
    granted = _expect(client.acquire_lock("src/shape.py", ttl="1 minute"), "granted")
    _expect(client.release_lock("src/shape.py", granted.fence or 0), "released")


def api_task(client: Client) -> None:
    _expect(client.submit_task("shape", payload={}), "submitted")
    claimed = _expect(client.claim_task(["shape"], lease="5 minutes"), "claimed")
    _expect(client.complete_task(claimed.task_id, claimed.claim), "completed")


def api_check(client: Client) -> None:
    assert client.check_operation("command", "git push origin main").ok


WORKLOADS: dict[str, Callable[[Client], None]] = {"api_lock": api_lock, "api_task": api_task, "api_check": api_check}
SHAPES: dict[str, type[Client]] = {"postgrest": PostgrestShapedClient, "client": Client}


def backend_cpu_ns(pid: int) -> int:
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])


def sample(client: Client, op: Callable[[Client], None], ops: int, warmup: int) -> tuple[float, float]:
    for _ in range(warmup):
        op(client)
    pid = client.connection.info.backend_pid
    server0, client0 = backend_cpu_ns(pid), time.process_time()
    for _ in range(ops):
        op(client)
    client1, server1 = time.process_time(), backend_cpu_ns(pid)
    return (server1 - server0) / 1000 / ops, (client1 - client0) * 1e6 / ops


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ops", type=int, default=300, help="measured operations per workload, shape and round")
    parser.add_argument("--warmup", type=int, default=100, help="untimed operations before each measurement")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--only", help=f"comma-separated subset of: {','.join(WORKLOADS)}")
    args = parser.parse_args()
    names = [n for n in WORKLOADS if not args.only or n in args.only.split(",")]

    with harness.bench_server() as up:
        assert up.dsn is not None
        with psycopg.connect(up.admin_dsn, autocommit=True) as conn:
            conn.execute("alter system set synchronous_commit = off")
            conn.execute("select pg_reload_conf()")
        token = locks.agents(up.admin_dsn, "shape", 1)[0]
        results: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for r in range(args.rounds):
            for name in names:
                for shape, cls in (SHAPES.items() if r % 2 == 0 else reversed(SHAPES.items())):
                    with cls(up.dsn, token) as client:
                        client.authenticate()  # connect and load the catalog before measuring
                        s = sample(client, WORKLOADS[name], args.ops, args.warmup)
                    results.setdefault((name, shape), []).append(s)
                    print(f"round {r + 1}/{args.rounds}  {name:<10} {shape:<10} {s[0]:8,.0f} + {s[1]:6,.0f} us/op",
                          file=sys.stderr)
        load = os.getloadavg()
        facts = " | ".join(harness.header(up, args.rounds, 0).split(" | ")[:4])
        print(f"{facts} | {args.rounds} rounds x {args.ops} ops per workload and shape, alternating, median of "
              f"rounds | load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
        print()
        print("| workload | PostgREST shape: server + client us/op | client shape | change |")
        print("|---|---|---|---|")
        for name in names:
            med = {shape: (statistics.median(s for s, _ in results[(name, shape)]),
                           statistics.median(c for _, c in results[(name, shape)])) for shape in SHAPES}
            before, after = med["postgrest"], med["client"]
            change = (sum(after) - sum(before)) / sum(before)
            print(f"| {name} | {before[0]:,.0f} + {before[1]:,.0f} = {sum(before):,.0f} | "
                  f"{after[0]:,.0f} + {after[1]:,.0f} = {sum(after):,.0f} | {change:+.0%} |")


if __name__ == "__main__":
    main()
