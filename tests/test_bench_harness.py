"""Plumbing of bench/harness.py and bench/core.py without a server: no timing is asserted."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
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


@dataclass
class Refusal:
    code: str
    ok: bool = False
    reason: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


class FakeClient:
    def __init__(self) -> None:
        self.submitted = 0
        self.completed: list[int] = []

    def submit_tasks(self, tasks: list[dict[str, Any]]) -> list[Any]:
        assert len(tasks) <= core.SUBMIT_BATCH
        self.submitted += len(tasks)
        return [Refusal("submitted", ok=True) for _ in tasks]

    def complete_task(self, task_id: int, claim: int) -> Any:
        self.completed.append(task_id)
        return Refusal("completed", ok=True)


def test_claim_upkeep_refills_when_empty_and_releases_at_limit() -> None:
    client = FakeClient()
    upkeep = core.ClaimUpkeep(client, 250)  # type: ignore[arg-type]
    upkeep.after_refusal(Refusal("empty"), "claim_tasks")
    assert client.submitted == 250
    upkeep.held.extend([(1, 1), (2, 1)])
    upkeep.after_refusal(Refusal("at_limit"), "claim_tasks")
    assert client.completed == [1, 2] and upkeep.held == []
    with pytest.raises(RuntimeError, match="at_limit"):  # at the limit while holding nothing
        upkeep.after_refusal(Refusal("at_limit"), "claim_tasks")
    with pytest.raises(RuntimeError, match="denied"):
        upkeep.after_refusal(Refusal("denied", reason="no scope"), "claim_tasks")
