"""coord commands the end-to-end tests (tests/test_cli.py) do not reach, against a committed test
database: the work queue's failure paths, profile defaults, listings, migrate, the audit archive
and restore, and the help of every command."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import click
from click.testing import CliRunner, Result
from coord_cli.main import main

from coordinator import retention
from coordinator.errors import EXIT_NOINPUT, EXIT_NOPERM, EXIT_NOT_OK
from tests.conftest import Database, make_principal
from tests.test_retention import _set_clock, _work

ENV = {"COORD_TOKEN": "", "COORD_DSN": "", "COORD_ADMIN_DSN": "", "COORD_DATA_DIR": ""}


def coord(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), env=ENV, catch_exceptions=False)


def as_json(result: Result) -> Any:
    assert result.stdout, result.stderr
    return json.loads(result.stdout)


def test_task_failure_cancel_redrive_and_prune(committed_db: Database) -> None:
    with committed_db.connect() as conn:
        worker = ["--token", make_principal(conn, "q-worker").token, "--dsn", committed_db.client_dsn]
        ops = ["--token", make_principal(conn, "q-ops", role="operator").token, "--dsn", committed_db.client_dsn]
    first = as_json(coord("task", "submit", "build", "--max-attempts", "2", *worker, "--json"))
    claim = as_json(coord("task", "claim", "build", *worker, "--json"))
    retried = coord("task", "fail", str(first["task_id"]), "--claim", str(claim["claim"]), "--error", "flaky",
                    *worker, "--json")
    assert retried.exit_code == 0, retried.stdout
    assert (as_json(retried)["code"], as_json(retried)["state"]) == ("requeued", "queued")
    stale = coord("task", "fail", str(first["task_id"]), "--claim", str(claim["claim"]), "--error", "x", *worker)
    assert stale.exit_code == EXIT_NOT_OK and "stale_claim" in stale.stdout

    second = as_json(coord("task", "submit", "test", *worker, "--json"))
    claim = as_json(coord("task", "claim", "test", *worker, "--json"))
    failed = as_json(coord("task", "fail", str(second["task_id"]), "--claim", str(claim["claim"]), "--error",
                           "broken", "--final", *worker, "--json"))
    assert (failed["code"], failed["state"]) == ("failed", "failed")
    assert coord("task", "redrive", str(second["task_id"]), *worker).exit_code == EXIT_NOT_OK  # operators only
    redriven = as_json(coord("task", "redrive", str(second["task_id"]), *ops, "--json"))
    assert (redriven["code"], redriven["state"]) == ("queued", "queued")

    cancelled = coord("task", "cancel", str(second["task_id"]), *worker)
    assert cancelled.exit_code == 0 and "cancelled" in cancelled.stdout
    again = coord("task", "cancel", str(second["task_id"]), *worker, "--json")
    assert again.exit_code == EXIT_NOT_OK and as_json(again)["code"] == "already_finished"
    pruned = as_json(coord("task", "prune", "--finished-before", "0 seconds", *ops, "--json"))
    assert pruned["code"] == "pruned" and pruned["details"]["pruned"]["cancelled"] == 1
    missing = coord("task", "get", str(second["task_id"]), *worker, "--json")
    assert missing.exit_code == EXIT_NOINPUT and as_json(missing)["code"] == "CO410"
    assert coord("task", "list", "--state", "cancelled", *worker).stdout.strip() == "(no tasks)"


def test_profile_default_listings_and_admin_tokens(committed_db: Database) -> None:
    with committed_db.connect() as conn:
        ops = ["--token", make_principal(conn, "p-ops", role="operator").token, "--dsn", committed_db.client_dsn]
        make_principal(conn, "p-agent")
    admin = ["--admin-dsn", committed_db.admin_dsn]
    assert coord("profile", "create", "careful", "--trust", "1", *ops).exit_code == 0
    made_default = as_json(coord("profile", "default", "careful", *ops, "--json"))
    assert made_default["code"] == "default_set" and made_default["profile"] == "careful"
    listed = coord("profile", "list", *ops)
    row = next(line for line in listed.stdout.splitlines() if "careful" in line)
    assert [cell.strip() for cell in row.split("│")[1:4]] == ["careful", "1", "yes"]
    refused = coord("profile", "delete", "careful", *ops, "--json")
    assert refused.exit_code == EXIT_NOT_OK and as_json(refused)["ok"] is False
    unknown = coord("profile", "show", "nobody", *ops, "--json")
    assert unknown.exit_code == EXIT_NOINPUT and as_json(unknown)["code"] == "CO462"

    principals = as_json(coord("agent", "list", *ops, "--json"))
    assert {"p-ops", "p-agent"} <= {p["name"] for p in principals}
    assert "p-agent" in coord("agent", "list", *ops).stdout
    assert coord("agent", "list", "--dsn", committed_db.client_dsn).exit_code == EXIT_NOPERM  # no token

    issued = coord("token", "issue", "p-agent", "--tenant", "t1", "--label", "second", *admin)
    assert issued.exit_code == 0 and "token (shown once)" in issued.stdout and "p-agent" in issued.stdout
    tokens = as_json(coord("token", "list", *ops, "--json"))
    assert [t["label"] for t in tokens if t["principal_name"] == "p-agent"].count("second") == 1
    unknown_principal = coord("token", "issue", "nobody", "--tenant", "t1", *admin, "--json")
    assert unknown_principal.exit_code == EXIT_NOINPUT and as_json(unknown_principal)["code"] == "CO302"


def test_migrate_reports_nothing_new_on_a_migrated_database(committed_db: Database) -> None:
    report = as_json(coord("migrate", "--dsn", committed_db.admin_dsn, "--json"))
    assert report["applied"] == [] and report["reapplied_objects"] > 100
    human = coord("migrate", "--dsn", committed_db.admin_dsn)
    assert human.exit_code == 0 and "applied nothing new" in human.stdout


def test_audit_archive_restore_and_their_listings(committed_db: Database, tmp_path: Path) -> None:
    _set_clock(committed_db, "-150 days")
    retention.ensure_partitions(committed_db.admin_dsn)
    with committed_db.connect() as conn:
        agent = make_principal(conn, "a-old", tenant="arc")
        auditor = ["--token", make_principal(conn, "a-aud", tenant="arc", role="auditor").token,
                   "--dsn", committed_db.client_dsn]
    _work(agent.token, committed_db, "then")
    _set_clock(committed_db, "0")
    admin = ["--admin-dsn", committed_db.admin_dsn]
    before = (date.today() - timedelta(days=90)).isoformat()

    planned = as_json(coord("audit", "archive", "--before", before, "--to", str(tmp_path), "--dry-run", *admin,
                            "--json"))
    assert planned and not any(p["archived"] for p in planned) and not list(tmp_path.iterdir())
    assert as_json(coord("audit", "archives", *auditor, "--json")) == []
    assert coord("audit", "archives", *auditor).stdout.strip() == "(no archives)"
    done = coord("audit", "archive", "--before", before, "--to", str(tmp_path), *admin)
    assert done.exit_code == 0 and "events_" in done.stdout
    archives = as_json(coord("audit", "archives", *auditor, "--json"))
    assert len(archives) == 1 and archives[0]["restored"] is False
    partition = archives[0]["partition_name"]

    restored = as_json(coord("audit", "restore", "--from", str(tmp_path), "--partition", partition, *admin,
                             "--json"))
    assert [r["partition"] for r in restored] == [partition]
    events = as_json(coord("audit", "restored", "--partition", partition, "--action", "lock.acquire", *auditor,
                           "--json"))
    assert events and {e["action"] for e in events} == {"lock.acquire"}
    shown = coord("audit", "restored", *auditor)
    assert shown.exit_code == 0 and "a-old" in shown.stdout
    twice = coord("audit", "restore", "--from", str(tmp_path), "--partition", partition, *admin, "--json")
    assert twice.exit_code != 0 and as_json(twice)["code"] == "CO488"
    assert coord("audit", "archives", *auditor, "--json").stdout.count('"restored": true') == 1


def _commands(command: click.Command, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [path]
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            found += _commands(sub, (*path, name))
    return found


def test_every_command_answers_help() -> None:
    paths = _commands(main)
    assert len(paths) > 70
    for path in paths:
        shown = CliRunner().invoke(main, [*path, "--help"], prog_name="coord")
        assert shown.exit_code == 0, (path, shown.output)
        assert shown.output.startswith(" ".join(("Usage: coord", *path)) + " "), path
