"""SQL-level specs (pgTAP), one folder per function under tests/sql/, run through psql.

Each spec runs in its own transaction and rolls back; failures show the TAP diagnostics.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

SPECS = sorted((Path(__file__).parent / "sql").glob("*/*.sql"))
_RESULT = re.compile(r"^(not ok|ok) (\d+)")
_PLAN = re.compile(r"^1\.\.(\d+)$")


def test_specs_exist() -> None:
    assert len(SPECS) >= 5, "the SQL-level specs are missing"


def run_spec(psql: Path, dsn: str, spec: Path) -> None:
    """Run one spec through psql and fail with its TAP output unless every planned test passed."""
    run = subprocess.run([str(psql), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-f", str(spec)],
                         capture_output=True, text=True, timeout=120)
    lines = [line.strip() for line in run.stdout.splitlines() if line.strip()]
    assert run.returncode == 0, f"psql failed:\n{run.stderr}\n{run.stdout}"
    plans = [int(m.group(1)) for line in lines if (m := _PLAN.match(line))]
    results = [m.group(1) for line in lines if (m := _RESULT.match(line))]
    report = "\n".join(lines)
    assert plans and plans[0] > 0, f"no plan:\n{report}"
    assert len(results) == plans[0], f"planned {plans[0]}, ran {len(results)}:\n{report}"
    assert "not ok" not in results, report


@pytest.mark.parametrize("spec", SPECS, ids=[f"{p.parent.name}/{p.stem}" for p in SPECS])
def test_pgtap(spec: Path, shared_db) -> None:
    run_spec(shared_db.cluster.psql, shared_db.admin_dsn, spec)
