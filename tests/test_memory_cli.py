"""coord memory remember | recall | list | forget, against a committed test database."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result
from coord_cli.main import main

from coordinator.errors import EXIT_DATAERR, EXIT_NOINPUT
from tests.conftest import Database, make_principal, requires_18

ENV = {"COORD_TOKEN": "", "COORD_DSN": "", "COORD_ADMIN_DSN": "", "COORD_DATA_DIR": ""}


def coord(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), env={**ENV, "COLUMNS": "200"}, catch_exceptions=False)


@requires_18("pgvector (the embedded 18 ships it; Debian's 15 here has no postgresql-15-pgvector)")
def test_remember_recall_list_forget(committed_db: Database, tmp_path: Path) -> None:
    with committed_db.connect() as conn:
        me = ["--token", make_principal(conn, "mem-cli").token, "--dsn", committed_db.client_dsn]
    remembered = coord("memory", "remember", "the cache lives in build/cache.db", "--tag", "cache", "--importance",
                       "0.8", "--metadata", '{"source": "cli"}', *me, "--json")
    assert remembered.exit_code == 0, remembered.output
    memory_id = json.loads(remembered.stdout)["details"]["memory_id"]
    again = json.loads(coord("memory", "remember", "the cache lives in build/cache.db", *me, "--json").stdout)
    assert (again["code"], again["details"]["memory_id"]) == ("reinforced", memory_id)

    vector = tmp_path / "v.json"
    vector.write_text(json.dumps([0.5] * 384))
    recalled = json.loads(coord("memory", "recall", "cache.db", "--embedding-file", str(vector), *me,
                                "--json").stdout)
    assert [r["memory_id"] for r in recalled] == [memory_id]
    assert recalled[0]["ranking"] == "hybrid" and recalled[0]["score"] > 0
    table = coord("memory", "recall", "cache", *me)
    assert table.exit_code == 0 and "build/cache.db" in table.stdout and "score" in table.stdout
    listed = json.loads(coord("memory", "list", "--tag", "cache", *me, "--json").stdout)
    assert [m["memory_id"] for m in listed] == [memory_id] and listed[0]["metadata"] == {"source": "cli"}

    bad = coord("memory", "remember", "x", "--importance", "2", *me, "--json")
    assert bad.exit_code == EXIT_DATAERR and json.loads(bad.stdout)["code"] == "CO444"
    vector.write_text("[1, 2]")
    short = coord("memory", "recall", "x", "--embedding-file", str(vector), *me)
    assert short.exit_code == EXIT_DATAERR and "CO447" in short.output

    assert json.loads(coord("memory", "forget", str(memory_id), *me, "--json").stdout)["code"] == "forgotten"
    gone = coord("memory", "forget", str(memory_id), *me)
    assert gone.exit_code == EXIT_NOINPUT and "CO448" in gone.output
    assert "(no memories)" in coord("memory", "list", *me).stdout
