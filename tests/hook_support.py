"""What the Claude Code hook tests share: recorded hook events moved into a test repository, the
hook run as Claude Code runs it, its decision, and the fixtures repo, alice and hook (registered
for every test by tests/conftest.py, so a test file uses them without defining them again)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from coord_cli.main import main

from tests.conftest import Database, Principal, make_principal

FIXTURES = Path(__file__).parent / "fixtures" / "claude_code"
RECORDED_ROOT = "/home/alice/shop"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text("DEBUG = True\n")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root.resolve()


def event(name: str, repo: Path, **changes: Any) -> str:
    """A recorded event moved into the test repository (its absolute paths stay absolute)."""
    data = json.loads((FIXTURES / f"{name}.json").read_text().replace(RECORDED_ROOT, str(repo)))
    data.update(changes)
    return json.dumps(data)


class Hook:
    """Runs coord hook claude-code as Claude Code would: one event on stdin, per process."""

    def __init__(self, dsn: str, token: str, state: Path) -> None:
        self.env = {"COORD_DSN": dsn, "COORD_TOKEN": token, "XDG_STATE_HOME": str(state), "COORD_ROOT": "",
                    "COORD_SESSION": "", "COORD_DATA_DIR": "", "COORD_ADMIN_DSN": "", "COORD_SKILL": ""}

    def __call__(self, raw: str | bytes, *args: str) -> tuple[int, dict[str, Any] | None, str]:
        result = CliRunner().invoke(main, ["hook", "claude-code", *args], input=raw, env=self.env,
                                    catch_exceptions=False)
        return result.exit_code, json.loads(result.stdout) if result.stdout.strip() else None, result.stderr


def decision(output: dict[str, Any] | None) -> tuple[str | None, str]:
    specific = (output or {}).get("hookSpecificOutput") or {}
    if output is not None:
        assert specific["hookEventName"] == "PreToolUse"
    return specific.get("permissionDecision"), specific.get("permissionDecisionReason", "")


@pytest.fixture
def alice(committed_db: Database) -> Principal:
    with committed_db.connect() as conn:
        return make_principal(conn, "alice-claude")


@pytest.fixture
def hook(committed_db: Database, alice: Principal, tmp_path: Path) -> Hook:
    return Hook(committed_db.client_dsn, alice.token, tmp_path / "state")
