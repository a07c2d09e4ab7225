"""Plumbing of bench/harness.py and bench/core.py: no timing is asserted. The claim upkeep runs
against the real api in the test's rolled-back transaction."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import core
import harness
from harness import Tally, Workload


def test_measure_counts_calls_and_jobs_and_excludes_upkeep() -> None:
    def make_op(_i: int, stack: Any) -> Any:
        closed: list[bool] = []
        stack.callback(closed.append, True)
        turn = iter(range(10**9))
        return lambda: Tally(0, jobs=0, untimed=0.0) if next(turn) % 2 else Tally(3, jobs=2)

    cell = harness.measure(make_op, 2, 0.05)
    assert cell.ops > 0
    assert cell.calls == pytest.approx(3 * cell.ops)
    assert cell.jobs == pytest.approx(2 * cell.ops)
    assert len(cell.latencies) > 0


def test_render_compares_jobs_with_jobs_and_skips_absent_baselines() -> None:
    workloads = [Workload("single", lambda i, s: lambda: Tally(1), jobs=True),
                 Workload("batch", lambda i, s: lambda: Tally(1), baselines=("single", "absent"), jobs=True)]
    cells = {("single", 1): [harness.Cell(100, 100, 100, [1.0, 1.0], 0.0)],
             ("batch", 1): [harness.Cell(50, 50, 1000, [2.0, 2.0], 0.5)]}
    lines = harness.render(workloads, [1], cells)
    assert lines[0].startswith("| workload | clients | ops/s | calls/s | jobs/s |")
    assert "| 10.00x single | 2.00x single |" in lines[3]
    assert harness.upkeep_notes(workloads, [1], cells) == [
        "batch: share of thread time in untimed upkeep, by clients: 1: 50%"]


def _count(db: Any, sql: str, *args: Any) -> int:
    return db.execute(sql, args).fetchone()[0]  # type: ignore[no-any-return]


def test_claim_upkeep_refills_when_empty_and_releases_at_limit(db: Any, agent_factory: Any) -> None:
    principal, client = agent_factory()
    db.execute("update coord.profiles set max_concurrent_tasks = 2 where tenant_id = %s", (principal.tenant_id,))
    kind = [core.CLAIM_KIND]
    upkeep = core.ClaimUpkeep(client, 250)

    upkeep.after_refusal(client.claim_task(kind), "claim_task")  # empty: refill in batches
    assert _count(db, "select count(*) from coord.tasks where tenant_id = %s and state = 'queued'",
                  principal.tenant_id) == 250

    claims = client.claim_tasks(kind, limit=5)
    assert [c.code for c in claims] == ["claimed", "claimed"]
    upkeep.held.extend((c.task_id, c.claim) for c in claims)
    upkeep.after_refusal(client.claim_task(kind), "claim_task")  # at_limit: complete what it holds
    assert upkeep.held == [] and _count(db, "select count(*) from coord.tasks where tenant_id = %s "
                                            "and state = 'completed'", principal.tenant_id) == 2

    client.claim_tasks(kind, limit=5)  # claims left over from an earlier cell, unknown to this upkeep
    upkeep.after_refusal(client.claim_task(kind), "claim_task")
    assert _count(db, "select count(*) from coord.tasks where tenant_id = %s and state = 'claimed'",
                  principal.tenant_id) == 0

    _, unscoped = agent_factory(scopes=["locks:write"])
    with pytest.raises(RuntimeError, match="denied"):
        core.ClaimUpkeep(unscoped, 10).after_refusal(unscoped.claim_task(kind), "claim_task")


def test_bench_help_lists_every_benchmark_without_running_one() -> None:
    root = Path(__file__).resolve().parent.parent
    bench = str(root / "bin" / "bench")
    shown = subprocess.run([bench, "--help"], capture_output=True, text=True, timeout=60, check=True)
    names = {p.stem for p in (root / "bench").glob("*.py")} - {"harness"}
    listed = {line.split()[0] for line in shown.stdout.splitlines()[1:]}
    assert listed == names
    unknown = subprocess.run([bench, "no_such_bench"], capture_output=True, text=True, timeout=60)
    assert unknown.returncode == 2 and "choose one of" in unknown.stderr
