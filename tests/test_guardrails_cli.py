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
    assert decision["matches"][0]["name"] == "delete-system"
    assert decision["matches"][0]["action"] == "delete-tree" and decision["matches"][0]["classes"] == ["root"]
    allowed = coord(agent.token, "check", "command", "git push --force-with-lease origin feature/x")
    assert allowed.exit_code == 0 and "allowed" in allowed.stdout
    people = coord(agent.token, "check", "sql", "DELETE FROM users")
    assert people.exit_code == EXIT_NOT_OK and "sql-delete-without-where" in people.stdout

    assert coord(agent.token, "disable", "git-discard").exit_code == EXIT_NOPERM
    assert coord(operator.token, "disable", "git-discard", "--json").exit_code == 0
    assert coord(agent.token, "check", "command", "git reset --hard").exit_code == 0
    assert coord(operator.token, "enable", "git-discard").exit_code == 0
    added = coord(operator.token, "add", "no-make-nuke", "--category", "process", "--applies-to", "command",
                  "--pattern", r"^make( [^ ]+)* nuke\y", "--severity", "high", "--json")
    assert added.exit_code == 0 and json.loads(added.stdout)["details"]["override_trust"] == 4
    bad = coord(operator.token, "add", "bad", "--category", "git", "--applies-to", "command", "--pattern", "(",
                "--severity", "low")
    assert bad.exit_code == EXIT_DATAERR and "CO473" in bad.stderr
    # an operation rule: deleting anything under CI configuration needs a human
    ci = coord(operator.token, "add", "no-touching-docs", "--category", "filesystem", "--action", "delete",
               "--action", "delete-tree", "--target", "workspace", "--severity", "medium", "--mode", "needs_approval",
               "--json")
    assert ci.exit_code == 0, ci.stdout
    typo = coord(operator.token, "add", "typo", "--category", "filesystem", "--action", "delet", "--severity", "low")
    assert typo.exit_code == EXIT_DATAERR and "CO474" in typo.stderr
    neither = coord(operator.token, "add", "neither", "--category", "git", "--severity", "low")
    assert neither.exit_code != 0
    explained = coord(agent.token, "explain", "cd / && rm -rf *", "--json")
    assert explained.exit_code == EXIT_NOT_OK
    explanation = json.loads(explained.stdout)
    assert explanation["code"] == "blocked"
    effects = explanation["units"][-1]["effects"]
    assert any(e["a"] == "delete-tree" and e["t"] == "/*" and "root" in e["c"] for e in effects)
    readable = coord(agent.token, "explain", "cat ~/.aws/credentials")
    assert readable.exit_code == EXIT_NOT_OK and "does read to ~/.aws/credentials (credential)" in readable.stdout
    assert coord(agent.token, "explain", "ls -la").exit_code == 0
    vocabulary = json.loads(coord(agent.token, "vocabulary", "--json").stdout)
    assert any(w["kind"] == "target" and w["name"] == "credential" for w in vocabulary)
    rules = json.loads(coord(agent.token, "list", "--category", "process", "--json").stdout)
    assert "no-make-nuke" in {r["name"] for r in rules} and {r["category"] for r in rules} == {"process"}
    listed = coord(operator.token, "list", "--patterns")
    assert listed.exit_code == 0 and "name" in listed.stdout
    violations = json.loads(coord(operator.token, "violations", "--json").stdout)
    assert [v["outcome"] for v in violations] == ["blocked", "blocked"]
    assert all(v["operation"] not in ("cd / && rm -rf *", "ls -la") for v in violations)  # explain records nothing
    assert coord(operator.token, "violations").exit_code == 0
    assert coord(agent.token, "check", "url", "x").exit_code != 0  # click refuses the kind
