"""The workloads of bench/ratios.py run and do what they say, a few operations each; no timing is
asserted. They run against a committed clone of the migrated database, as the benchmark's own
server would (the workloads open their own connections)."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import cpu
import harness
import locks
import ratios
from harness import Cell, Tally

from coordinator.client import Client


def _one(dsn: str, query: str, *args: Any) -> Any:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return conn.execute(query, args).fetchone()[0]  # type: ignore[index]


def _ops(workload: harness.Workload, count: int, clients: int = 1) -> list[Tally]:
    with ExitStack() as stack:
        ops = [workload.make_op(i, stack) for i in range(clients)]
        return [op() for _ in range(count) for op in ops]


def test_secure_floor_writes_one_audit_row_per_call_and_leaves_no_lease(committed_db: Any) -> None:
    dsn = committed_db.admin_dsn
    cpu.setup(dsn)
    workload = ratios.secure_floor(dsn, locks.agents(dsn, "floor", 2))
    assert _ops(workload, 3, clients=2) == [Tally(2)] * 6
    assert _one(dsn, "select count(*) from public.bench_floor_audit") == 12
    assert _one(dsn, "select count(*) from public.bench_floor_audit where action = 'lock.release'") == 6
    assert _one(dsn, "select count(*) from public.bench_floor_leases") == 0
    assert _one(dsn, "select count(distinct actor) from public.bench_floor_audit") == 2

    wrong = ratios.secure_floor(dsn, ["not-a-token"])  # no token row: no lease, no audit row
    with pytest.raises(AssertionError, match="not granted"):
        _ops(wrong, 1)


@pytest.fixture
def pgmq_db(committed_db: Any) -> Iterator[str]:
    name = f"pgmq_{uuid.uuid4().hex[:12]}"
    ratios.pgmq_setup(committed_db.admin_dsn, name)
    try:
        yield name
    finally:
        with psycopg.connect(committed_db.admin_dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("drop database {} with (force)").format(sql.Identifier(name)))


def test_pgmq_installs_from_its_plain_sql_and_runs_send_read_archive(committed_db: Any, pgmq_db: str) -> None:
    dsn = psycopg.conninfo.make_conninfo(committed_db.admin_dsn, dbname=pgmq_db)
    assert _one(dsn, "select count(*) from pg_extension where extname = 'pgmq'") == 0  # plain SQL, no extension
    assert _ops(ratios.pgmq(committed_db.admin_dsn, pgmq_db), 4) == [Tally(3)] * 4
    assert _one(dsn, f"select count(*) from pgmq.q_{ratios.PGMQ_QUEUE}") == 0
    assert _one(dsn, f"select count(*) from pgmq.a_{ratios.PGMQ_QUEUE}") == 4
    assert _one(dsn, f"select min(read_ct) from pgmq.a_{ratios.PGMQ_QUEUE}") == 1


def test_batch_lifecycle_submits_claims_and_completes_a_batch(committed_db: Any) -> None:
    tokens = locks.agents(committed_db.admin_dsn, "batch", 1)
    tallies = _ops(ratios.api_batch_lifecycle(committed_db.client_dsn, tokens, 5), 2)
    calls = 3 if hasattr(Client, "complete_tasks") else 2 + 5
    assert tallies == [Tally(calls, jobs=5)] * 2
    assert _one(committed_db.admin_dsn, "select count(*) from coord.tasks where kind = %s and state = 'completed'",
                ratios.BATCH_KIND) == 10
    assert ratios.complete_claimed(Client(committed_db.client_dsn, tokens[0]), []) == 0


def test_server_settings_are_seen_by_new_connections_and_reset(committed_db: Any) -> None:
    dsn = committed_db.admin_dsn
    try:  # commit_delay does nothing on the test cluster (fsync=off), so other tests do not notice it
        ratios.group_commit(dsn, 40, 3)
        assert (_one(dsn, "show commit_delay"), _one(dsn, "show commit_siblings")) == ("40", "3")
    finally:
        ratios.group_commit(dsn, 0, 3)
    assert (_one(dsn, "show commit_delay"), _one(dsn, "show commit_siblings")) == ("0", "5")


def _cell(ops: float, jobs: float, p50: float) -> list[Cell]:
    return [Cell(ops, ops, jobs, [p50, p50], 0.0)]


def test_goals_mark_met_and_missed_from_the_measured_figures() -> None:
    cpu_us = {"api_lock": cpu.Sample(300, 100), "naive_lease": cpu.Sample(40, 10),
              "naive_lease_unprepared": cpu.Sample(80, 20), "api_task": cpu.Sample(900, 100),
              "naive_task": cpu.Sample(60, 20), "naive_task_unprepared": cpu.Sample(150, 50)}
    results = {("api_lock", 1): _cell(100, 100, 0.9), ("api_task", 1): _cell(100, 100, 1.2),
               ("api_lock", 8): _cell(300, 300, 5), ("naive_lease", 8): _cell(1000, 1000, 1),
               ("api_task", 8): _cell(100, 100, 5), ("procrastinate", 8): _cell(400, 350, 1),
               ("api_batch_lifecycle", 8): _cell(30, 1500, 5)}
    got = {g.text.split(" ≥ ")[0].split(" ≤ ")[0]: (g.measured.split(" ")[0], g.met)
           for g in ratios.goals(cpu_us, results, [1, 8], top=8)}
    assert got["CPU per api lock pair"] == ("4.0×", True)  # 400 / 100 µs unprepared
    assert got["CPU per api task lifecycle"] == ("5.0×", True)
    assert got["api lock pair"] == ("0.30×", True)
    assert got["api task lifecycle"] == ("0.29×", False)  # jobs/s against jobs/s: 100 / 350
    assert got["api_lock: p50"] == ("0.90", True)
    assert got["api_task: p50"] == ("1.20", False)
    assert got["batched lifecycle"] == ("4.29×", True)
    lines = ratios.render_goals(ratios.goals({}, {}, [4], top=4))
    assert all(line.endswith("| – |") for line in lines[2:]) and len(lines) == 9
