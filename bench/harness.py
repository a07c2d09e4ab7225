"""Measurement plumbing shared by the benchmarks in ``bench/`` (benchmarks are not tests).

Every benchmark here runs all its workloads on one embedded server that it starts itself
(durable commits), in interleaved rounds (round, then client count, then workload) so machine
noise hits every workload alike, and prints one markdown table with each figure as a ratio to
the workloads it is compared with. The pieces:

* ``Workload``  a name, a factory ``make_op(client_index, stack) -> op`` (setup in the factory
                is untimed; resources go on the ``ExitStack``, closed after the cell), and the
                workloads it is compared with;
* ``Tally``     what one call of ``op()`` did: timed calls, jobs handled, and seconds of
                untimed upkeep inside it (refilling a queue, releasing what it holds);
* ``measure``   one cell: N threads released together by a barrier for S seconds;
* ``run``       all cells, interleaved, with progress on stderr;
* ``render``    the markdown table.
"""

from __future__ import annotations

import datetime
import os
import platform
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import psycopg.sql

from coordinator import admin
from coordinator.server import EmbeddedServer, free_port


@dataclass(frozen=True)
class Tally:
    """One operation: ``calls`` timed calls (transactions), ``jobs`` jobs handled, ``untimed`` seconds of upkeep.

    An operation with ``calls == 0`` was upkeep only and is not counted as an operation.
    """

    calls: int
    jobs: int = 1
    untimed: float = 0.0


Op = Callable[[], Tally]
MakeOp = Callable[[int, ExitStack], Op]


@dataclass(frozen=True)
class Workload:
    name: str
    make_op: MakeOp
    baselines: tuple[str, ...] = ()  # workloads whose rate and latency this one is compared with
    jobs: bool = False  # a queue workload: report jobs/s and compare jobs/s rather than ops/s


@dataclass(frozen=True)
class Cell:
    """One workload at one client count in one round."""

    ops: float  # operations per second
    calls: float  # calls (transactions) per second
    jobs: float  # jobs per second
    latencies: list[float]  # ms per call, one entry per call
    untimed_share: float  # share of thread time spent in untimed upkeep


def measure(make_op: MakeOp, clients: int, seconds: float) -> Cell:
    """Run ``clients`` threads for ``seconds``.

    A thread's rates are its counts divided by the wall time less its own untimed upkeep; the
    cell's rates are the sums over threads. Without upkeep that is simply count / wall time.
    """
    with ExitStack() as stack:
        ops = [make_op(i, stack) for i in range(clients)]
        latencies: list[list[float]] = [[] for _ in range(clients)]
        counts = [[0, 0, 0] for _ in range(clients)]  # ops, calls, jobs
        untimed = [0.0] * clients
        errors: list[BaseException] = []
        barrier = threading.Barrier(clients + 1)
        stop = threading.Event()

        def worker(i: int) -> None:
            barrier.wait()
            try:
                while not stop.is_set():
                    started = time.perf_counter()
                    tally = ops[i]()
                    elapsed = time.perf_counter() - started - tally.untimed
                    untimed[i] += tally.untimed
                    if tally.calls:
                        latencies[i].extend([elapsed * 1000 / tally.calls] * tally.calls)
                        counts[i][0] += 1
                        counts[i][1] += tally.calls
                        counts[i][2] += tally.jobs
            except BaseException as exc:
                errors.append(exc)
                stop.set()

        threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(clients)]
        for t in threads:
            t.start()
        barrier.wait()
        began = time.perf_counter()
        stop.wait(seconds)
        stop.set()
        for t in threads:
            t.join()
        wall = time.perf_counter() - began
        if errors:
            raise errors[0]
    active = [max(wall - u, 1e-9) for u in untimed]
    return Cell(ops=sum(c[0] / a for c, a in zip(counts, active, strict=True)),
                calls=sum(c[1] / a for c, a in zip(counts, active, strict=True)),
                jobs=sum(c[2] / a for c, a in zip(counts, active, strict=True)),
                latencies=[x for lat in latencies for x in lat],
                untimed_share=sum(untimed) / (wall * clients))


Results = dict[tuple[str, int], list[Cell]]


def run(workloads: Sequence[Workload], levels: Sequence[int], rounds: int, seconds: float) -> Results:
    """Every workload at every client count, ``rounds`` times, interleaved."""
    results: Results = {}
    for r in range(rounds):
        for clients in levels:
            for w in workloads:
                cell = measure(w.make_op, clients, seconds)
                results.setdefault((w.name, clients), []).append(cell)
                rate = f"{cell.jobs:,.0f} jobs/s" if w.jobs else f"{cell.ops:,.0f} ops/s"
                print(f"round {r + 1}/{rounds}  {clients:>2} clients  {w.name:<16} {rate}", file=sys.stderr)
    return results


def percentile(values: list[float], q: int) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


@dataclass(frozen=True)
class Summary:
    ops: float
    calls: float
    jobs: float
    p50: float
    p99: float
    untimed_share: float


def summarize(cells: list[Cell]) -> Summary:
    """Median rates over rounds; latency percentiles over all calls of all rounds."""
    lat = [x for c in cells for x in c.latencies]
    return Summary(ops=statistics.median(c.ops for c in cells), calls=statistics.median(c.calls for c in cells),
                   jobs=statistics.median(c.jobs for c in cells), p50=percentile(lat, 50), p99=percentile(lat, 99),
                   untimed_share=statistics.mean(c.untimed_share for c in cells))


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b > 0 else "–"


def render(workloads: Sequence[Workload], levels: Sequence[int], results: Results, *,
           floor: str | None = "insert") -> list[str]:
    """The markdown table: one row per (client count, workload).

    ``calls/s vs <floor>`` compares transactions per second with the floor workload (a
    single-row INSERT per transaction); ``rate vs`` compares jobs/s (queue workloads) or ops/s
    with each of the workload's baselines, ``p50 vs`` the per-call median latency.
    """
    by_name = {w.name: w for w in workloads}
    show_jobs = any(w.jobs for w in workloads)
    floor = floor if floor in by_name else None
    head = ["workload", "clients", "ops/s", "calls/s", *(["jobs/s"] if show_jobs else []), "p50 ms/call",
            "p99 ms/call", *([f"calls/s vs {floor}"] if floor else []), "rate vs", "p50 vs"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for clients in levels:
        s = {w.name: summarize(results[(w.name, clients)]) for w in workloads}
        for w in workloads:
            me = s[w.name]
            rate_vs, p50_vs = [], []
            for b in w.baselines:
                if b not in s:
                    continue
                both_jobs = w.jobs and by_name[b].jobs
                rate_vs.append(f"{_ratio(me.jobs if both_jobs else me.ops, s[b].jobs if both_jobs else s[b].ops)} {b}")
                p50_vs.append(f"{_ratio(me.p50, s[b].p50)} {b}")
            row = [w.name, str(clients), f"{me.ops:,.0f}", f"{me.calls:,.0f}",
                   *([f"{me.jobs:,.0f}" if w.jobs else "–"] if show_jobs else []),
                   f"{me.p50:.2f}", f"{me.p99:.2f}",
                   *([_ratio(me.calls, s[floor].calls)] if floor else []),
                   ", ".join(rate_vs) or "–", ", ".join(p50_vs) or "–"]
            lines.append("| " + " | ".join(row) + " |")
    return lines


def upkeep_notes(workloads: Sequence[Workload], levels: Sequence[int], results: Results) -> list[str]:
    """One line per workload that spent time in untimed upkeep (excluded from its rates)."""
    notes = []
    for w in workloads:
        shares = [summarize(results[(w.name, c)]).untimed_share for c in levels]
        if max(shares) > 0:
            parts = ", ".join(f"{c}: {share:.0%}" for c, share in zip(levels, shares, strict=True))
            notes.append(f"{w.name}: share of thread time in untimed upkeep, by clients: {parts}")
    return notes


# --- the server ----------------------------------------------------------------------------------


@contextmanager
def bench_server() -> Iterator[admin.UpReport]:
    """A fresh embedded server in a temporary directory, migrated, with default (durable) settings."""
    parent = Path(tempfile.mkdtemp(prefix="coord-bench-"))
    parent.chmod(0o711)  # the server may run as another user
    server_dir = parent / "data"
    try:
        up = admin.up(data_dir=server_dir, port=free_port())
        assert up.dsn is not None
        yield up
    finally:
        EmbeddedServer(server_dir).stop()
        shutil.rmtree(parent, ignore_errors=True)


def base_database(admin_dsn: str, tree: Path, name: str = "coordbase") -> str:
    """Create database ``name`` on the bench server and migrate it from the SQL of ``tree`` (a
    checkout's migrations/, plpgsql/, rls/: COORD_SQL_ROOT while it migrates); its admin DSN.
    The A/B benches (cpu_ab, guard_ab) compare it with the database of this checkout."""
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(psycopg.sql.SQL("create database {}").format(psycopg.sql.Identifier(name)))
    base_admin = psycopg.conninfo.make_conninfo(admin_dsn, dbname=name)
    previous = os.environ.get("COORD_SQL_ROOT")
    os.environ["COORD_SQL_ROOT"] = str(tree.resolve())
    try:
        admin.up(admin_dsn=base_admin)
    finally:
        if previous is None:
            del os.environ["COORD_SQL_ROOT"]
        else:
            os.environ["COORD_SQL_ROOT"] = previous
    return base_admin


def server_settings(admin_dsn: str, **settings: str | None) -> None:
    """ALTER SYSTEM SET each setting (RESET for None; values in the setting's base unit, as
    pg_settings.setting shows them), reload, and wait until a new connection sees every value:
    the postmaster rereads its configuration asynchronously, and a connection opened before it
    has would get the old values. Nothing announces that the postmaster has reread it, so this
    re-reads with new connections, pausing between reads for 1 ms doubling to 50 ms (the pause
    decides how soon it notices, never what it returns)."""
    identifier, literal = psycopg.sql.Identifier, psycopg.sql.Literal
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        want = {}
        for name, value in settings.items():
            if value is None:
                conn.execute(psycopg.sql.SQL("alter system reset {}").format(identifier(name)))
                want[name] = conn.execute("select boot_val from pg_settings where name = %s", (name,)).fetchone()[0]  # type: ignore[index]
            else:
                conn.execute(psycopg.sql.SQL("alter system set {} = {}").format(identifier(name), literal(value)))
                want[name] = value
        conn.execute("select pg_reload_conf()")
    deadline = time.monotonic() + 10
    pause = 0.001
    while True:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            seen = {name: conn.execute("select setting from pg_settings where name = %s", (name,)).fetchone()[0]  # type: ignore[index]
                    for name in settings}
        if seen == want:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"server settings not applied after reload: want {want}, see {seen}")
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def header(up: admin.UpReport, rounds: int, seconds: float) -> str:
    """Date, machine and server facts; fsync, synchronous_commit and shared_buffers are read from the server."""
    with psycopg.connect(up.admin_dsn, autocommit=True) as conn:
        fsync = conn.execute("show fsync").fetchone()[0]  # type: ignore[index]
        sync_commit = conn.execute("show synchronous_commit").fetchone()[0]  # type: ignore[index]
        shared_buffers = conn.execute("show shared_buffers").fetchone()[0]  # type: ignore[index]
    return (f"# {datetime.date.today().isoformat()} | {platform.node()} {platform.machine()}, {os.cpu_count()} CPUs "
            f"({_cpu_model()}), {platform.system()} {platform.release()} | Python {platform.python_version()} | "
            f"PostgreSQL {up.migration.server_version} embedded, fsync={fsync}, "
            f"synchronous_commit={sync_commit}, shared_buffers={shared_buffers} | "
            f"{rounds} rounds x {seconds:g}s per cell, median of rounds")
