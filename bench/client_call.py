"""The client's own Python per api call, with the round trip taken out: CPU us per acquire_lock.

One real acquire_lock is recorded; then ``wire.execute`` returns that recorded result, so each
further ``Client.acquire_lock`` runs everything the client does around the exchange (the
argument checks, the JSON body, the headers, the pipeline's steps, loading the row, building
the LockResult) and nothing of the exchange itself. A raw ``wire.execute`` of ``select 1`` is
timed beside it for scale. Warm-loop figures: in a real call the same code runs after a sleep
in ``poll`` with colder caches and costs several times as much (docs/benchmarks.md, "The
client's Python per call"); bin/bench cpu is the figure to steer by.

Usage: bin/bench client_call [--calls 20000] [--loops 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import cpu
import harness
import locks

from coordinator import wire
from coordinator.client import Client


def per_call(run: object, calls: int, loops: int) -> list[float]:
    """CPU us per call of ``loops`` loops of ``calls`` calls."""
    samples = []
    for _ in range(loops):
        start = time.process_time()
        for _ in range(calls):
            run()  # type: ignore[operator]
        samples.append((time.process_time() - start) * 1e6 / calls)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=20000)
    parser.add_argument("--loops", type=int, default=7)
    args = parser.parse_args()
    with harness.bench_server() as up:
        assert up.dsn is not None
        token = locks.agents(up.admin_dsn, "client-call", 1)[0]
        with Client(cpu.same_transport(up.dsn, up.admin_dsn), token) as client:
            for _ in range(50):
                cpu.api_lock_pair(client)
            real = wire.execute
            recorded = []

            def record(conn: object, steps: object) -> object:
                recorded.append(result := real(conn, steps))  # type: ignore[arg-type]
                return result

            wire.execute = record  # type: ignore[assignment]
            client.acquire_lock("src/cpu.py", ttl="1 minute")

            def replay(conn: object, steps: object) -> object:
                with conn.lock:  # type: ignore[attr-defined]
                    return recorded[0]

            wire.execute = replay  # type: ignore[assignment]
            try:
                calls = per_call(lambda: client.acquire_lock("src/cpu.py", ttl="1 minute"), args.calls, args.loops)
            finally:
                wire.execute = real
            select_1 = [(wire.statement("select 1"), ())]
            exchange = per_call(lambda: real(client.connection, select_1), args.calls // 5, args.loops)
        load = os.getloadavg()
        print(f"{' | '.join(harness.header(up, args.loops, 0).split(' | ')[:4])} | {args.loops} loops x "
              f"{args.calls} calls | load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    for name, samples in (("acquire_lock without the round trip", calls), ("wire.execute('select 1')", exchange)):
        print(f"{name:<38} min {min(samples):6.1f}  median {statistics.median(samples):6.1f} us/call")


if __name__ == "__main__":
    main()
