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
import uuid
from contextlib import ExitStack

import harness
import psycopg
from harness import Op, Tally, Workload

from coordinator import admin
from coordinator.client import Client

SETUP = [
    "create table public.bench_rows (id bigserial primary key, v text)",
    "create table public.bench_leases (path text primary key, holder int, fence bigserial, expires_at timestamptz)",
]


def insert(admin_dsn: str) -> Workload:
    def make_op(_i: int, stack: ExitStack) -> Op:
        conn = stack.enter_context(psycopg.connect(admin_dsn, autocommit=True))

        def op() -> Tally:
            conn.execute("insert into public.bench_rows (v) values ('x')")
            return Tally(1)
        return op
    return Workload("insert", make_op)


def naive_lease(admin_dsn: str) -> Workload:
    def make_op(i: int, stack: ExitStack) -> Op:
        conn = stack.enter_context(psycopg.connect(admin_dsn, autocommit=True))
        path = f"p{i}"

        def op() -> Tally:
            fence = conn.execute("insert into public.bench_leases (path, holder, expires_at) "
                                 "values (%s, %s, now() + interval '1 minute') on conflict do nothing "
                                 "returning fence", (path, i)).fetchone()
            assert fence is not None, f"lease {path} is held"
            conn.execute("delete from public.bench_leases where path = %s and fence = %s", (path, fence[0]))
            return Tally(2)
        return op
    return Workload("naive_lease", make_op, baselines=("insert",))


def api_lock(dsn: str, tokens: list[str]) -> Workload:
    def make_op(i: int, stack: ExitStack) -> Op:
        client = stack.enter_context(Client(dsn, tokens[i]))
        path = f"bench/{i}/{uuid.uuid4().hex[:6]}.py"

        def op() -> Tally:
            granted = client.acquire_lock(path, ttl="1 minute")
            client.release_lock(path, granted.fence or 0)
            return Tally(2)
        return op
    return Workload("api_lock", make_op, baselines=("insert", "naive_lease"))


def agents(admin_dsn: str, prefix: str, count: int) -> list[str]:
    """Tokens of ``count`` fresh agents in the bench tenant."""
    return [admin.add_principal(admin_dsn, f"{prefix}-{i}", tenant="bench").token for i in range(count)]


def setup(admin_dsn: str) -> None:
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        for statement in SETUP:
            conn.execute(statement)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", default="1,2,4,8")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    levels = [int(c) for c in args.clients.split(",")]

    with harness.bench_server() as up:
        assert up.dsn is not None
        setup(up.admin_dsn)
        workloads = [insert(up.admin_dsn), naive_lease(up.admin_dsn),
                     api_lock(up.dsn, agents(up.admin_dsn, "lock", max(levels)))]
        results = harness.run(workloads, levels, args.rounds, args.seconds)
        print(harness.header(up, args.rounds, args.seconds))
        print("\n".join(harness.render(workloads, levels, results)))


if __name__ == "__main__":
    main()
