"""coord skills from the command line: a manifest from a YAML file, list and show with --json, a
session started with --skill held to it, the dry run's exit code, retiring, and an agent's
widening waiting for an operator's approval."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from coord_cli.main import main

from coordinator.errors import EXIT_NOT_OK
from tests.conftest import make_principal

MANIFEST = """\
network:
  - pypi.org
  - "*.github.com"
files:
  - {path: src/, access: write}
env: [HOME]
"""


def test_skills_from_the_command_line(committed_db, tmp_path: Path) -> None:
    with committed_db.connect() as conn:
        agent = make_principal(conn, "skill-cli-agent")
        operator = make_principal(conn, "skill-cli-operator", role="operator")

    def coord(token: str, *args: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(main, [*args, "--dsn", committed_db.client_dsn, "--token", token], input=stdin,
                                  env={"COORD_TOKEN": "", "COORD_DSN": "", "COORD_ADMIN_DSN": "", "COORD_SKILL": ""},
                                  catch_exceptions=False)

    manifest = tmp_path / "web.yaml"
    manifest.write_text(MANIFEST)
    registered = coord(operator.token, "skills", "register", "web", "1.0.0", str(manifest), "--json")
    assert registered.exit_code == 0, registered.stdout
    assert json.loads(registered.stdout)["details"]["manifest"]["files"] == [{"path": "src/**", "access": "write"}]
    bad = coord(operator.token, "skills", "register", "web", "1.1.0", "-", stdin='{"network": ["*"]}')
    assert bad.exit_code == 65 and "CO763" in bad.output
    assert coord(operator.token, "skills", "register", "web", "1.1.0", "-", stdin="network: [").exit_code == 65

    listed = coord(agent.token, "skills", "list", "--json")
    assert [(r["name"], r["version"]) for r in json.loads(listed.stdout)] == [("web", "1.0.0")]
    shown = coord(agent.token, "skills", "show", "web")
    assert shown.exit_code == 0 and "*.github.com" in shown.stdout and "src/** (write)" in shown.stdout

    ops = tmp_path / "ops.json"
    ops.write_text(json.dumps([{"kind": "network", "domain": "pypi.org"}, {"kind": "lock", "path": "src/a.py"}]))
    assert coord(agent.token, "skills", "validate", "web@1.0.0", str(ops)).exit_code == 0
    ops.write_text(json.dumps([{"kind": "env", "name": "GITHUB_TOKEN"}]))
    refused = coord(agent.token, "skills", "validate", "web@1.0.0", str(ops), "--json")
    assert refused.exit_code == 1 and json.loads(refused.stdout)[0]["code"] == "outside_skill"

    started = coord(agent.token, "session", "start", "--skill", "web@1.0.0", "--json")
    assert started.exit_code == 0 and json.loads(started.stdout)["details"]["skill"] == "web@1.0.0"
    session = json.loads(started.stdout)["session_id"]
    inside = coord(agent.token, "lock", "acquire", "src/app.py", "--session", session, "--json")
    assert inside.exit_code == 0, inside.stdout
    outside = coord(agent.token, "lock", "acquire", "infra/main.tf", "--session", session, "--json")
    assert outside.exit_code == EXIT_NOT_OK and json.loads(outside.stdout)["code"] == "outside_skill"
    host = coord(agent.token, "network", "check", "evil.example", "--session", session, "--json")
    assert host.exit_code == EXIT_NOT_OK and json.loads(host.stdout)["code"] == "outside_skill"

    retired = coord(operator.token, "skills", "retire", "web", "1.0.0", "--json")
    assert retired.exit_code == 0 and json.loads(retired.stdout)["code"] == "retired"
    assert coord(agent.token, "session", "start", "--skill", "web@1.0.0").exit_code == 65
    assert coord(agent.token, "skills", "list", "--json").stdout.strip() == "[]"
    help_text = CliRunner().invoke(main, ["skills", "--help"]).stdout
    assert all(word in help_text for word in ("register", "list", "show", "retire", "validate"))
