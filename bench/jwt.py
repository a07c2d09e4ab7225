"""Cost of the JWT mode against the opaque token mode, side by side in one run.

Two figures, each in interleaved rounds:
* per request: one committed `my_locks` call through the Python client (the statements
  PostgREST sends: set_config, api.pre_request, the call), with an opaque token in x-coord-token
  against the same principal's JWT in Authorization: Bearer;
* verification alone: coord.verify_token against coord.verify_jwt (signature, claims, token row),
  and coord.hmac_sha256 on its own, called in a loop inside one superuser statement.

Usage: bin/bench jwt [--calls 2000] [--loop 5000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import time

import harness
import psycopg

from coordinator import admin
from coordinator.client import Client


def per_request(dsn: str, token: str, calls: int) -> list[float]:
    with Client(dsn, token) as client:
        client.my_locks()  # connect and plan once
        times = []
        for _ in range(calls):
            start = time.perf_counter()
            client.my_locks()
            times.append((time.perf_counter() - start) * 1e3)
    return times


def in_database(admin_dsn: str, expression: str, argument: str, loop: int) -> float:
    """Microseconds per call of expression over loop calls in one statement."""
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        query = f"select count({expression}) from generate_series(1, %s) as g"  # bench-owned text
        conn.execute(query, (argument, 10))  # type: ignore[arg-type]
        start = time.perf_counter()
        conn.execute(query, (argument, loop))  # type: ignore[arg-type]
        return (time.perf_counter() - start) / loop * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--loop", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with harness.bench_server() as up:
        assert up.dsn is not None
        opaque = admin.add_principal(up.admin_dsn, "bench", tenant="bench").token
        jwt = admin.issue_token(up.admin_dsn, "bench", tenant="bench", jwt=True).token
        assert opaque is not None and jwt is not None
        requests: dict[str, list[float]] = {"opaque token": [], "Bearer JWT": []}
        loops: dict[str, list[float]] = {"coord.verify_token": [], "coord.verify_jwt": [], "coord.hmac_sha256": []}
        for _ in range(args.rounds):
            requests["opaque token"] += per_request(up.dsn, opaque, args.calls)
            requests["Bearer JWT"] += per_request(up.dsn, jwt, args.calls)
            loops["coord.verify_token"].append(in_database(up.admin_dsn, "coord.verify_token(%s)", opaque, args.loop))
            loops["coord.verify_jwt"].append(in_database(up.admin_dsn, "coord.verify_jwt(%s)", jwt, args.loop))
            loops["coord.hmac_sha256"].append(in_database(
                up.admin_dsn, "coord.hmac_sha256(convert_to(%s, 'UTF8'), convert_to(g::text, 'UTF8'))", jwt,
                args.loop))
        print(harness.header(up, args.rounds, 0).replace(
            " x 0s per cell, median of rounds", f" x {args.calls} requests per mode, {args.loop} loop calls"))
        print()
        print("| per request (my_locks, committed) | p50 ms | p99 ms | p50 vs opaque |")
        print("|---|---:|---:|---:|")
        base = harness.percentile(requests["opaque token"], 50)
        for name, times in requests.items():
            p50 = harness.percentile(times, 50)
            print(f"| {name} | {p50:.3f} | {harness.percentile(times, 99):.3f} | {p50 / base:.2f}x |")
        print()
        print("| verification alone (in the database) | us per call, median of rounds |")
        print("|---|---:|")
        for name, values in loops.items():
            print(f"| {name} | {sorted(values)[len(values) // 2]:.0f} |")


if __name__ == "__main__":
    main()
