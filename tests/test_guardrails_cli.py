"""coord guard check|list|add|enable|disable|violations against a committed test database."""

from __future__ import annotations

import json

from click.testing import CliRunner
from coord_cli.main import main

from coordinator.errors import EXIT_DATAERR, EXIT_NOPERM, EXIT_NOT_OK
from tests.conftest import make_principal


def test_guard_commands(committed_db) -> None:
    with committed_db.connect() as conn:
        agent = make_principal(conn, "cli-agent")
        operator = make_principal(conn, "cli-operator", role="operator")

    def coord(token: str, *args: str):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(main, ["guard", *args, "--dsn", committed_db.client_dsn, "--token", token],
                                  env={"COORD_TOKEN": "", "COORD_DSN": "", "COORD_ADMIN_DSN": ""},
                                  catch_exceptions=False)

    blocked = coord(agent.token, "check", "command", "rm -fr /", "--json")
    assert blocked.exit_code == EXIT_NOT_OK
    decision = json.loads(blocked.stdout)
    assert decision["code"] == "blocked" and decision["normalized"] == "rm -f -r /"
    assert decision["matches"][0]["name"] == "rm-recursive-system"
    allowed = coord(agent.token, "check", "command", "git push --force-with-lease")
    assert allowed.exit_code == 0 and "allowed" in allowed.stdout
    people = coord(agent.token, "check", "sql", "DELETE FROM users")
    assert people.exit_code == EXIT_NOT_OK and "sql-delete-without-where" in people.stdout

    assert coord(agent.token, "disable", "git-reset-hard").exit_code == EXIT_NOPERM
    assert coord(operator.token, "disable", "git-reset-hard", "--json").exit_code == 0
    assert coord(agent.token, "check", "command", "git reset --hard").exit_code == 0
    assert coord(operator.token, "enable", "git-reset-hard").exit_code == 0
    added = coord(operator.token, "add", "no-make-nuke", "--category", "process", "--applies-to", "command",
                  "--pattern", r"^make( [^ ]+)* nuke\y", "--severity", "high", "--json")
    assert added.exit_code == 0 and json.loads(added.stdout)["details"]["override_trust"] == 4
    bad = coord(operator.token, "add", "bad", "--category", "git", "--applies-to", "command", "--pattern", "(",
                "--severity", "low")
    assert bad.exit_code == EXIT_DATAERR and "CO473" in bad.stderr
    rules = json.loads(coord(agent.token, "list", "--category", "process", "--json").stdout)
    assert "no-make-nuke" in {r["name"] for r in rules} and {r["category"] for r in rules} == {"process"}
    listed = coord(operator.token, "list", "--patterns")
    assert listed.exit_code == 0 and "name" in listed.stdout
    violations = json.loads(coord(operator.token, "violations", "--json").stdout)
    assert [v["outcome"] for v in violations] == ["blocked", "blocked"]
    assert coord(operator.token, "violations").exit_code == 0
    assert coord(agent.token, "check", "url", "x").exit_code != 0  # click refuses the kind
