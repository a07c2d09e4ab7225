"""coord verify runs a command, streams its output and records pass or fail with the output's
digest; a task requiring the tier completes only after a pass, through the CLI end to end."""

from __future__ import annotations

import hashlib
import json
import sys

from click.testing import CliRunner, Result
from coord_cli.main import main

from tests.conftest import Database, make_principal

ENV = {"COORD_TOKEN": "", "COORD_DSN": "", "COORD_ADMIN_DSN": "", "COORD_DATA_DIR": "", "COORD_SESSION": ""}


def coord(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), env={**ENV, "COLUMNS": "200"}, catch_exceptions=False)


def test_coord_verify_gates_completion_end_to_end(committed_db: Database) -> None:
    with committed_db.connect() as conn:
        me = ["--token", make_principal(conn, "verify-cli").token, "--dsn", committed_db.client_dsn]
    submitted = json.loads(coord("task", "submit", "build", "--verify", "unit", *me, "--json").stdout)
    claim = json.loads(coord("task", "claim", "build", *me, "--json").stdout)
    task, fence = str(claim["task_id"]), str(claim["claim"])
    assert claim["task_id"] == submitted["task_id"]

    refused = coord("task", "complete", task, "--claim", fence, *me, "--json")
    assert refused.exit_code == 1 and json.loads(refused.stdout)["code"] == "unverified"

    failing = coord("verify", "--task", task, "--tier", "unit", *me, "--", sys.executable, "-c",
                    "print('1 failed'); raise SystemExit(3)")
    assert failing.exit_code == 3, failing.output
    assert "1 failed" in failing.stdout and "recorded" in failing.stdout
    assert coord("task", "complete", task, "--claim", fence, *me).exit_code == 1

    passing = coord("verify", "--task", task, "--tier", "unit", "--json", *me, "--", sys.executable, "-c",
                    "print('42 passed')")
    assert passing.exit_code == 0, passing.output
    record = json.loads(passing.stdout)  # the command's output went to stderr under --json
    assert (record["code"], record["status"], record["missing"]) == ("recorded", "pass", [])
    assert "42 passed" in passing.stderr

    listed = json.loads(coord("task", "verifications", task, *me, "--json").stdout)
    assert [(r["status"], r["details"]["exit_status"]) for r in listed] == [("fail", 3), ("pass", 0)]
    assert listed[1]["output_digest"] == hashlib.sha256(b"42 passed\n").hexdigest()
    done = coord("task", "complete", task, "--claim", fence, *me, "--json")
    assert done.exit_code == 0 and json.loads(done.stdout)["code"] == "completed"


def test_a_command_that_cannot_start_records_a_failure(committed_db: Database) -> None:
    with committed_db.connect() as conn:
        me = ["--token", make_principal(conn, "verify-cli-missing").token, "--dsn", committed_db.client_dsn]
    coord("task", "submit", "lint", "--verify", "static", *me)
    task = str(json.loads(coord("task", "claim", "lint", *me, "--json").stdout)["task_id"])
    missing = coord("verify", "--task", task, "--tier", "static", *me, "--", "/nonexistent/linter")
    assert missing.exit_code == 127 and "cannot run" in missing.stdout
    listed = json.loads(coord("task", "verifications", task, *me, "--json").stdout)
    assert [(r["status"], r["details"]["exit_status"]) for r in listed] == [("fail", 127)]
