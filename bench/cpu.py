"""CPU per operation: server backend on-CPU time plus client CPU, one connection, one workload at a time.

Throughput on a shared machine swings with the neighbours; the CPU an operation costs does not
(it is the time the backend and the client were actually on a core, read from the kernel). So
this is the figure to steer by, and throughput ratios (bin/bench core, locks) the figure to
publish beside it.

For each workload, one connection runs ``--ops`` operations after ``--warmup`` untimed ones
(plans cached, the backend's caches warm), ``--rounds`` times interleaved; the table shows the
median over rounds of

* server us/op  the backend's on-CPU time (``/proc/<backend pid>/schedstat``, first field) / ops
* client us/op  this process's CPU time (``time.process_time``) / ops: psycopg and the client
* total us/op   both, and the ratio to the workloads it is compared with

Workloads (one op each):

* insert        one single-row INSERT (autocommit)
* naive_lease   INSERT ... ON CONFLICT DO NOTHING + DELETE on a plain table: 2 statements, with
                psycopg's automatic prepared statements (from the fifth execution), as any
                application gets them; naive_lease_unprepared the same with prepare_threshold=None
* secure_floor  the unavoidable work of an authenticated, audited lease pair in plain SQL: per
                call, look the token up by its SHA-256, write the lease row, write one audit
                row (jsonb) in one statement: 2 statements
* api_read      Client.call('my_locks') holding none: what one authenticated call costs before
                any work (the request context and token check, the call's own verification, the
                read gate, one small read; a read is not audited)
* api_lock      Client.acquire_lock + Client.release_lock
* naive_task    INSERT a task, claim it (FOR UPDATE SKIP LOCKED), mark it done: 3 statements
                (naive_task_unprepared: without prepared statements)
* api_task      Client.submit_task + claim_task + complete_task
* api_check     Client.check_operation('git push origin main'): one guardrail check
* api_lock_batch   Client.acquire_locks + Client.release_locks of 10 paths; per lock pair (op / 10)
* api_task_batch   Client.submit_tasks + claim_tasks + complete_tasks of 10 tasks; per task (op / 10)

Every workload reaches the server the same way: the api workloads log in as the gateway role
over the Unix socket the naive ones use (the embedded server trusts local connections), not
over the loopback TCP of the DSN `coord up` prints, so the transport is the same on both sides
of every ratio (measured: the api lock pair costs the same server CPU either way, within the
noise, 2026-12-06).

The server runs with synchronous_commit=off unless --durable: the WAL flush is not CPU, and
waiting for it only adds noise to wall time (the CPU figures barely move either way).

Usage: bin/bench cpu [--ops 2000] [--warmup 200] [--rounds 3] [--only w1,w2] [--durable]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import core
import harness
import locks
import psycopg

from coordinator.client import Client

FLOOR_SETUP = [
    "create table public.bench_floor_leases (tenant_id uuid, path text, holder uuid, fence bigserial, "
    "expires_at timestamptz, primary key (tenant_id, path))",
    "create table public.bench_floor_audit (id bigserial primary key, tenant_id uuid, actor uuid, action text, "
    "target text, decision text, details jsonb, at timestamptz default now())",
]
# One statement per call: the token row by hash (as verification does), the lease row, one audit row.
FLOOR_ACQUIRE = """
with t as (select tenant_id, principal_id from coord.tokens
           where token_hash = sha256(convert_to(%(token)s, 'UTF8')) and revoked_at is null),
     l as (insert into public.bench_floor_leases (tenant_id, path, holder, expires_at)
           select tenant_id, %(path)s, principal_id, now() + interval '1 minute' from t
           on conflict do nothing returning tenant_id, holder, fence)
insert into public.bench_floor_audit (tenant_id, actor, action, target, decision, details)
select tenant_id, holder, 'lock.acquire', %(path)s, 'granted', jsonb_build_object('fence', fence) from l
returning (details->>'fence')::bigint
"""
FLOOR_RELEASE = """
with t as (select tenant_id, principal_id from coord.tokens
           where token_hash = sha256(convert_to(%(token)s, 'UTF8')) and revoked_at is null),
     l as (delete from public.bench_floor_leases as b using t
           where b.tenant_id = t.tenant_id and b.path = %(path)s and b.fence = %(fence)s
           returning b.tenant_id, b.holder, b.fence)
insert into public.bench_floor_audit (tenant_id, actor, action, target, decision, details)
select tenant_id, holder, 'lock.release', %(path)s, 'released', jsonb_build_object('fence', fence) from l
"""


@dataclass(frozen=True)
class CpuWorkload:
    name: str
    # (connection to measure, op) built on the stack; the op runs one operation
    make: Callable[[ExitStack], tuple[psycopg.Connection, Callable[[], None]]]
    baselines: tuple[str, ...] = ()
    items: int = 1  # what one op does, counted in the unit of its baselines (a batch of 10 pairs: 10)


def backend_cpu_ns(pid: int) -> int:
    """On-CPU nanoseconds of a local process (the first field of /proc/<pid>/schedstat)."""
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])


@dataclass(frozen=True)
class Sample:
    server_us: float
    client_us: float

    @property
    def total_us(self) -> float:
        return self.server_us + self.client_us


def sample(w: CpuWorkload, ops: int, warmup: int) -> Sample:
    with ExitStack() as stack:
        conn, op = w.make(stack)
        pid = conn.info.backend_pid
        for _ in range(warmup):
            op()
        server0, client0 = backend_cpu_ns(pid), time.process_time()
        for _ in range(ops):
            op()
        client1, server1 = time.process_time(), backend_cpu_ns(pid)
    per = ops * w.items
    return Sample(server_us=(server1 - server0) / 1000 / per, client_us=(client1 - client0) * 1e6 / per)


def plain(dsn: str, name: str, run: Callable[[psycopg.Connection], None],
          baselines: tuple[str, ...] = (), *, prepare: bool = True) -> CpuWorkload:
    """A workload on one autocommit connection; ``prepare=False`` turns psycopg's automatic
    prepared statements off (they are on by default, from a statement's fifth execution)."""
    def make(stack: ExitStack) -> tuple[psycopg.Connection, Callable[[], None]]:
        conn = stack.enter_context(psycopg.connect(dsn, autocommit=True))
        if not prepare:
            conn.prepare_threshold = None
        return conn, lambda: run(conn)
    return CpuWorkload(name, make, baselines)


def through_client(dsn: str, token: str, name: str, run: Callable[[Client], None],
                   baselines: tuple[str, ...], items: int = 1) -> CpuWorkload:
    def make(stack: ExitStack) -> tuple[psycopg.Connection, Callable[[], None]]:
        client = stack.enter_context(Client(dsn, token))
        client.authenticate()  # connect and load the catalog before measuring
        return client.connection, lambda: run(client)
    return CpuWorkload(name, make, baselines, items)


def naive_lease_pair(conn: psycopg.Connection) -> None:
    fence = conn.execute("insert into public.bench_leases (path, holder, expires_at) values ('cpu', 0, "
                         "now() + interval '1 minute') on conflict do nothing returning fence").fetchone()
    assert fence is not None, "the naive lease is held"
    conn.execute("delete from public.bench_leases where path = 'cpu' and fence = %s", (fence[0],))


def naive_task_lifecycle(conn: psycopg.Connection) -> None:
    conn.execute(core.NAIVE_SUBMIT)
    claimed = conn.execute(core.NAIVE_CLAIM, (0,)).fetchone()
    assert claimed is not None
    conn.execute(core.NAIVE_COMPLETE, (claimed[0],))


def floor_pair(token: str, path: str = "src/cpu.py") -> Callable[[psycopg.Connection], None]:
    """One secure-floor lease pair (FLOOR_ACQUIRE, FLOOR_RELEASE) for ``token`` on ``path``."""
    def run(conn: psycopg.Connection) -> None:
        row = conn.execute(FLOOR_ACQUIRE, {"token": token, "path": path}).fetchone()
        assert row is not None, "the floor lease was not granted"
        conn.execute(FLOOR_RELEASE, {"token": token, "path": path, "fence": row[0]})
    return run


def api_read(client: Client) -> None:
    assert client.call("my_locks", {}) == [], "the reading agent holds leases"


def api_lock_pair(client: Client) -> None:
    granted = client.acquire_lock("src/cpu.py", ttl="1 minute")
    assert granted.ok, granted
    released = client.release_lock("src/cpu.py", granted.fence or 0)
    assert released.ok, released


def api_task_lifecycle(client: Client) -> None:
    core._check(client.submit_task("cpu", payload={}), "submitted", "submit_task")
    claimed = core._check(client.claim_task(["cpu"], lease="5 minutes"), "claimed", "claim_task")
    core._check(client.complete_task(claimed.task_id, claimed.claim), "completed", "complete_task")


def api_check(client: Client) -> None:
    result = client.check_operation("command", "git push origin main")
    assert result.ok, result


BATCH = 10  # items per call of the batch workloads
BATCH_PATHS = [f"src/cpu/{i}.py" for i in range(BATCH)]


def api_lock_batch(client: Client) -> None:
    granted = client.acquire_locks(BATCH_PATHS, ttl="1 minute")
    assert all(r.ok for r in granted), granted
    released = client.release_locks(BATCH_PATHS, [r.fence or 0 for r in granted])
    assert all(r.ok for r in released), released


def api_task_batch(client: Client) -> None:
    for submitted in client.submit_tasks([{"kind": "cpu-batch", "payload": {}} for _ in range(BATCH)]):
        core._check(submitted, "submitted", "submit_tasks")
    claims = [core._check(c, "claimed", "claim_tasks")
              for c in client.claim_tasks(["cpu-batch"], lease="5 minutes", limit=BATCH)]
    for done in client.complete_tasks([{"task_id": c.task_id, "claim": c.claim} for c in claims]):
        core._check(done, "completed", "complete_tasks")


ORDER = ["insert", "naive_lease", "naive_lease_unprepared", "secure_floor", "api_read", "api_lock", "api_lock_batch",
         "naive_task", "naive_task_unprepared", "api_task", "api_task_batch", "api_check"]


def setup(admin_dsn: str) -> None:
    """The plain tables of the naive workloads and of the secure floor."""
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        for statement in [*locks.SETUP, *core.NAIVE_TASKS, *FLOOR_SETUP]:
            conn.execute(statement)


def workloads(dsn: str, admin_dsn: str, token: str) -> dict[str, CpuWorkload]:
    """Every workload of ORDER; the plain ones run as the superuser, the api ones as ``token``'s agent."""
    return {
        "insert": plain(admin_dsn, "insert", lambda c: c.execute("insert into public.bench_rows (v) values ('x')")),
        "naive_lease": plain(admin_dsn, "naive_lease", naive_lease_pair, ("insert",)),
        "naive_lease_unprepared": plain(admin_dsn, "naive_lease_unprepared", naive_lease_pair, ("naive_lease",),
                                        prepare=False),
        "secure_floor": plain(admin_dsn, "secure_floor", floor_pair(token), ("naive_lease",)),
        "api_read": through_client(dsn, token, "api_read", api_read, ("naive_lease_unprepared",)),
        "api_lock": through_client(dsn, token, "api_lock", api_lock_pair,
                                   ("naive_lease", "naive_lease_unprepared", "secure_floor")),
        "naive_task": plain(admin_dsn, "naive_task", naive_task_lifecycle, ("insert",)),
        "naive_task_unprepared": plain(admin_dsn, "naive_task_unprepared", naive_task_lifecycle, ("naive_task",),
                                       prepare=False),
        "api_task": through_client(dsn, token, "api_task", api_task_lifecycle, ("naive_task", "naive_task_unprepared")),
        "api_check": through_client(dsn, token, "api_check", api_check, ("insert",)),
        "api_lock_batch": through_client(dsn, token, "api_lock_batch", api_lock_batch, ("naive_lease", "api_lock"),
                                         items=BATCH),
        "api_task_batch": through_client(dsn, token, "api_task_batch", api_task_batch, ("naive_task", "api_task"),
                                         items=BATCH),
    }


def run(chosen: dict[str, CpuWorkload], names: list[str], rounds: int, ops: int,
        warmup: int) -> dict[str, list[Sample]]:
    """``rounds`` samples of each named workload, interleaved, with progress on stderr."""
    results: dict[str, list[Sample]] = {n: [] for n in names}
    for r in range(rounds):
        for n in names:
            s = sample(chosen[n], ops, warmup)
            results[n].append(s)
            print(f"round {r + 1}/{rounds}  {n:<22} {s.server_us:8,.0f} + {s.client_us:6,.0f} us/op", file=sys.stderr)
    return results


def medians(results: dict[str, list[Sample]]) -> dict[str, Sample]:
    """The median over rounds of each workload's server and client CPU."""
    return {n: Sample(statistics.median(s.server_us for s in samples), statistics.median(s.client_us for s in samples))
            for n, samples in results.items()}


def render(names: list[str], results: dict[str, list[Sample]], baselines: dict[str, tuple[str, ...]]) -> list[str]:
    med = medians(results)
    spread = {n: (max(s.total_us for s in results[n]) - min(s.total_us for s in results[n])) / med[n].total_us
              for n in names}
    lines = ["| workload | server us/op | client us/op | total us/op | spread over rounds | total vs |",
             "|---|---|---|---|---|---|"]
    for n in names:
        vs = ", ".join(f"{med[n].total_us / med[b].total_us:.1f}x {b}" for b in baselines[n] if b in med) or "–"
        lines.append(f"| {n} | {med[n].server_us:,.0f} | {med[n].client_us:,.0f} | {med[n].total_us:,.0f} | "
                     f"±{spread[n] / 2:.0%} | {vs} |")
    return lines


def same_transport(dsn: str, like: str) -> str:
    """dsn's role and database, reached the way `like` reaches the server (its host and port)."""
    params = psycopg.conninfo.conninfo_to_dict(dsn)
    where = psycopg.conninfo.conninfo_to_dict(like)
    params.update(host=where["host"], port=where["port"])
    return psycopg.conninfo.make_conninfo(**params)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ops", type=int, default=2000, help="measured operations per workload and round")
    parser.add_argument("--warmup", type=int, default=200, help="untimed operations before each measurement")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", help=f"comma-separated subset of: {','.join(ORDER)}")
    parser.add_argument("--durable", action="store_true", help="keep synchronous_commit=on")
    args = parser.parse_args()
    names = [n for n in ORDER if not args.only or n in args.only.split(",")]
    if args.only and (unknown := set(args.only.split(",")) - set(ORDER)):
        parser.error(f"unknown workload {', '.join(sorted(unknown))}; choose from {', '.join(ORDER)}")

    with harness.bench_server() as up:
        dsn, admin_dsn = up.dsn, up.admin_dsn
        assert dsn is not None
        setup(admin_dsn)
        if not args.durable:
            harness.server_settings(admin_dsn, synchronous_commit="off")
        token = locks.agents(admin_dsn, "cpu", 1)[0]
        dsn = same_transport(dsn, admin_dsn)
        chosen = workloads(dsn, admin_dsn, token)
        results = run(chosen, names, args.rounds, args.ops, args.warmup)
        load = os.getloadavg()
        facts = " | ".join(harness.header(up, args.rounds, 0).split(" | ")[:4])  # date, machine, Python, server
        print(f"{facts} | {args.rounds} rounds x {args.ops} ops per workload, median of rounds | Unix socket | "
              f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
        print()
        print("\n".join(render(names, results, {n: chosen[n].baselines for n in names})))


if __name__ == "__main__":
    main()
