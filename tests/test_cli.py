"""The coord CLI end to end on its own embedded server: up, agents, tokens, calls, locks,
audit, demo, status and down, with --json output and the documented exit codes."""

from __future__ import annotations

import json
import re
import shlex
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner, Result
from coord_cli.main import main

from coordinator.errors import EXIT_CONFIG, EXIT_DATAERR, EXIT_NOINPUT, EXIT_NOPERM, EXIT_NOT_OK, EXIT_USAGE
from coordinator.server import default_shared_buffers_mb, free_port


@pytest.fixture(scope="module")
def data_dir() -> Iterator[Path]:
    parent = Path(tempfile.mkdtemp(prefix="coord-cli-"))
    parent.chmod(0o711)
    yield parent / "data"
    CliRunner().invoke(main, ["down", "--data-dir", str(parent / "data")])


@pytest.fixture(scope="module")
def first_up(data_dir: Path) -> dict[str, Any]:
    """The data directory's first `coord up`: every test of the module runs on its server, so any
    one of them runs alone (`-k`) or in any order."""
    result = coord("up", "--data-dir", str(data_dir), "--port", "0", "--json")
    assert result.exit_code == 0, result.stderr
    return as_json(result)


pytestmark = pytest.mark.usefixtures("first_up")


def coord(*args: str, env: dict[str, str] | None = None, input: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=input,
                              env={"COORD_TOKEN": "", "COORD_DSN": "", "COORD_ADMIN_DSN": "", "COORD_DATA_DIR": "",
                                   "COORD_PORT": "", "COORD_PROG": "", **(env or {})}, catch_exceptions=False)


def as_json(result: Result) -> Any:
    assert result.stdout, result.stderr
    return json.loads(result.stdout)


def test_cli_end_to_end(data_dir: Path, first_up: dict[str, Any]) -> None:
    d = ["--data-dir", str(data_dir)]
    up = first_up
    assert up["dsn"].startswith("postgresql://coord_authenticator:") and up["operator_token"].startswith("coord_")
    operator = up["operator_token"]
    again = as_json(coord("up", *d, "--json"))
    assert again["operator_token"] is None and again["migration"]["applied"] == []

    alice = as_json(coord("agent", "add", "alice", *d, "--json"))
    bob = as_json(coord("agent", "add", "bob", *d, "--json"))
    assert (alice["ok"], alice["role"], alice["tenant_name"]) == (True, "agent", "default")

    granted = coord("call", "acquire_lock", "p_path=src/a.py", "p_ttl=10 minutes", "--token", alice["token"], *d,
                    "--json")
    assert granted.exit_code == 0
    fence = as_json(granted)["fence"]
    busy = coord("lock", "acquire", "src/", "--token", bob["token"], *d)
    assert busy.exit_code == EXIT_NOT_OK and "busy" in busy.stdout and "alice" in busy.stdout

    listed = coord("lock", "list", "--token", alice["token"], *d)
    assert listed.exit_code == 0 and "src/a.py" in listed.stdout
    checked = as_json(coord("lock", "list", "src/", "docs/", "--token", bob["token"], *d, "--json"))
    assert [(c["path"], c["locked"]) for c in checked] == [("src/", True), ("docs/", False)]
    renewed = as_json(coord("lock", "renew", "src/a.py", "--fence", str(fence), "--ttl", "1 hour",
                            "--token", alice["token"], *d, "--json"))
    assert renewed["code"] == "renewed"
    released = as_json(coord("lock", "release", "src/a.py", "--fence", str(fence), "--token", alice["token"], *d,
                             "--json"))
    assert released["code"] == "released"
    stale = coord("lock", "release", "src/a.py", "--fence", str(fence), "--token", alice["token"], *d, "--json")
    assert stale.exit_code == EXIT_NOT_OK and as_json(stale)["code"] == "not_held"

    bad_path = coord("call", "acquire_lock", "p_path=../etc/passwd", "--token", alice["token"], *d)
    assert bad_path.exit_code == EXIT_DATAERR and "CO204" in bad_path.stderr and "hint" in bad_path.stderr
    bad_json = coord("call", "acquire_lock", "p_path=../x", "--token", alice["token"], *d, "--json")
    assert bad_json.exit_code == EXIT_DATAERR and as_json(bad_json)["code"] == "CO204"
    arrays = as_json(coord("call", "check_locks", 'p_paths:=["a", "b/"]', "--token", alice["token"], *d, "--json"))
    assert [row["path"] for row in arrays] == ["a", "b/"]
    forged = coord("lock", "acquire", "x.py", "--token", "coord_" + "0" * 64, *d)
    assert forged.exit_code == EXIT_NOPERM and "PT401" in forged.stderr

    carol = as_json(coord("agent", "add", "carol", "--token", operator, *d, "--json"))
    assert carol["ok"] and carol["tenant_name"] == "default"
    tokens = as_json(coord("token", "list", "--token", operator, *d, "--json"))
    assert carol["token_id"] in [t["token_id"] for t in tokens]
    assert all("token" not in t for t in tokens)
    revoked = as_json(coord("token", "revoke", carol["token_id"], "--token", operator, *d, "--json"))
    assert revoked["code"] == "revoked"
    refused = coord("lock", "list", "--token", carol["token"], *d, "--json")
    assert refused.exit_code == EXIT_NOPERM and as_json(refused)["code"] == "PT401"
    by_text = as_json(coord("token", "revoke", bob["token"], *d, "--json"))
    assert by_text["code"] == "revoked"
    agent_refused = coord("agent", "add", "mallory", "--token", alice["token"], *d, "--json")
    assert agent_refused.exit_code == EXIT_NOPERM and as_json(agent_refused)["code"] == "42501"

    tail = as_json(coord("audit", "tail", "--limit", "50", "--token", operator, *d, "--json"))
    actions = [e["action"] for e in tail]
    assert "lock.acquire" in actions and "token.revoke" in actions and "principal.create" in actions

    functions = as_json(coord("call", "--list", "--token", alice["token"], *d, "--json"))
    assert {"acquire_lock", "release_lock", "renew_lock", "check_locks", "my_locks"} <= {f["name"] for f in functions}

    status = as_json(coord("status", *d, "--json"))
    assert status["running"] is True and status["migrations"]["applied"] >= 5
    assert any(t["name"] == "default" for t in status["tenants"])


def _demo_story(report: dict[str, Any]) -> None:
    steps = {step["step"]: step for step in report["steps"]}
    race = [r["code"] for r in steps["race"]["results"]]
    assert sorted(race) == ["busy", "busy", "granted"]
    assert [r["code"] for r in steps["wait"]["results"]] == ["released", "granted"]
    fencing = [r["code"] for r in steps["fencing"]["results"]]
    assert fencing == ["granted", "granted", "stale_fence", "stale_fence"]
    assert any(e["action"] == "lock.expire" for e in steps["audit"]["events"])


def test_demo_runs_and_shows_the_story(data_dir: Path) -> None:
    result = coord("demo", "--data-dir", str(data_dir), "--json")
    assert result.exit_code == 0, result.stderr
    first = as_json(result)
    _demo_story(first)
    assert first["tenant"] == "demo" and first["server"]["running"] is True
    human = coord("demo", "--data-dir", str(data_dir), env={"COORD_PROG": "bin/coord"})
    assert human.exit_code == 0 and "Fencing after expiry" in human.stdout and "Audit tail" in human.stdout
    text = " ".join(human.stdout.split())
    assert "left running" in text and f"bin/coord down --data-dir {data_dir}" in text, text[-600:]
    tried = re.search(r"Try it yourself: (bin/coord lock acquire \S+ .*)$", human.stdout, re.MULTILINE)
    assert tried, human.stdout[-600:]
    command = shlex.split(tried.group(1))
    assert command[:3] == ["bin/coord", "lock", "acquire"] and "--data-dir" in command
    typed = coord(*command[1:], "--json")
    assert typed.exit_code in (0, EXIT_NOT_OK) and as_json(typed)["code"] in ("granted", "busy"), typed.stdout

    # The same tenant every time: the last run's leases are released and its tokens revoked.
    again = as_json(coord("demo", "--data-dir", str(data_dir), "--json"))
    _demo_story(again)
    assert again["tenant"] == "demo" and again["reused"]["leases_released"] >= 3
    assert again["reused"]["tokens_revoked"] == 4
    stale = coord("lock", "list", "--token", first["tokens"]["alice"], "--data-dir", str(data_dir), "--json")
    assert stale.exit_code == EXIT_NOPERM, "the first run's tokens were revoked"
    assert coord("lock", "list", "--token", again["tokens"]["alice"], "--data-dir", str(data_dir)).exit_code == 0


def test_docs_are_current(data_dir: Path) -> None:
    """coord docs describes a fresh install of the tree, whatever the configured database holds:
    an object only that database has does not reach the docs, and the scratch database is gone."""
    up = as_json(coord("up", "--data-dir", str(data_dir), "--json"))
    with psycopg.connect(up["admin_dsn"], autocommit=True) as conn:
        conn.execute("create function api.only_here() returns int language sql as 'select 1'")
        try:
            checked = coord("docs", "--check", "--out-dir", str(Path(__file__).parent.parent / "docs"),
                            "--data-dir", str(data_dir))
            left = conn.execute("select count(*) from pg_database where datname like 'coord_docs_%'").fetchone()
        finally:
            conn.execute("drop function api.only_here()")
    assert checked.exit_code == 0, checked.stderr
    assert left == (0,)


def test_apply_a_team_file(data_dir: Path, tmp_path: Path) -> None:
    d = ["--data-dir", str(data_dir)]
    assert coord("up", *d, "--json").exit_code == 0
    operator = as_json(coord("token", "issue", "operator", *d, "--json"))["token"]
    team = tmp_path / "team.yaml"
    team.write_text("version: 1\nagents:\n  - name: t-coder\n    scopes: [locks:write, locks:read]\n"
                    "  - name: t-watcher\n    role: auditor\n    scopes: [audit:read]\n")

    planned = coord("apply", str(team), "--dry-run", "--token", operator, *d)
    assert planned.exit_code == 0, planned.stderr
    assert "dry run, nothing written" in planned.stdout and "t-coder" in planned.stdout
    assert "coord_" not in planned.stdout
    assert coord("agent", "add", "t-stray", *d, "--json").exit_code == 0  # not in the file: pruned below
    applied = coord("apply", str(team), "--token", operator, *d, "--json")
    assert applied.exit_code == 0, applied.stderr
    result = as_json(applied)
    assert (result["code"], sorted(result["details"]["tokens"])) == ("applied", ["t-coder", "t-watcher"])
    coder = result["details"]["tokens"]["t-coder"]
    assert as_json(coord("lock", "acquire", "team/a.py", "--token", coder, *d, "--json"))["code"] == "granted"

    again = coord("apply", str(team), "--token", operator, *d)
    assert again.exit_code == 0 and "no_change" in again.stdout and "shown once" not in again.stdout
    team.write_text("version: 1\nagents:\n  - name: t-coder\n    scopes: [locks:read]\n"
                    "  - name: t-watcher\n    role: auditor\n    scopes: [audit:read]\n")
    changed = coord("apply", str(team), "--token", operator, *d)
    assert changed.exit_code == 0 and "scopes -> locks:read" in changed.stdout and "shown once" in changed.stdout
    assert coord("lock", "list", "--token", coder, *d).exit_code == EXIT_NOPERM, "the old token was revoked"

    pruned = as_json(coord("apply", str(team), "--prune", "--dry-run", "--token", operator, *d, "--json"))
    disabled = {entry["name"] for entry in pruned["details"]["disable"]}
    assert "t-stray" in disabled and "operator" not in disabled and "t-coder" not in disabled

    team.write_text("version: 1\nprofiles: []\nagents: []\n")
    bad = coord("apply", str(team), "--token", operator, *d)
    assert bad.exit_code == EXIT_DATAERR and "CO231" in bad.stderr and "profiles" in bad.stderr
    team.write_text("version: 1\nagents: [\n")
    bad_yaml = coord("apply", str(team), "--token", operator, *d, "--json")
    assert bad_yaml.exit_code == EXIT_DATAERR and as_json(bad_yaml)["code"] == "CO231"
    as_agent = coord("apply", str(team.parent / "missing.yaml"), "--token", coder, *d)
    assert as_agent.exit_code == 2, "click refuses a missing file"
    team.write_text("version: 1\nagents: []\n")
    refused = coord("apply", str(team), "--token", result["details"]["tokens"]["t-watcher"], *d, "--json")
    assert refused.exit_code == EXIT_NOPERM and as_json(refused)["code"] == "42501"


def test_task_commands_and_maintain(data_dir: Path) -> None:
    d = ["--data-dir", str(data_dir)]
    worker = as_json(coord("agent", "add", "cli-worker", *d, "--json"))["token"]
    t = ["--token", worker, *d]
    submitted = as_json(coord("task", "submit", "build", "--payload", '{"target": "docs"}', "--priority", "5",
                              "--lock", "docs/", *t, "--json"))
    child = as_json(coord("task", "submit", "publish", "--depends-on", str(submitted["task_id"]), *t, "--json"))
    assert (submitted["code"], child["state"]) == ("submitted", "queued")
    empty = coord("task", "claim", "publish", "--wait", "0.1", *t)
    assert empty.exit_code == EXIT_NOT_OK and "empty" in empty.stdout
    claim = as_json(coord("task", "claim", "build", "--lease", "1 minute", *t, "--json"))
    assert claim["payload"] == {"target": "docs"} and list(claim["locks"]) == ["docs/"]
    stale = coord("task", "complete", str(claim["task_id"]), "--claim", str(claim["claim"] + 1000), *t)
    assert stale.exit_code == EXIT_NOT_OK and "stale_claim" in stale.stdout
    done = as_json(coord("task", "complete", str(claim["task_id"]), "--claim", str(claim["claim"]),
                         "--result", '{"pages": 3}', *t, "--json"))
    assert done["code"] == "completed"
    listed = as_json(coord("task", "list", "--kind", "publish", *t, "--json"))
    assert [(x["task_id"], x["pending_deps"]) for x in listed] == [(child["task_id"], 0)]
    shown = coord("task", "get", str(submitted["task_id"]), *t)
    assert shown.exit_code == 0 and "pages" in shown.stdout
    bad = coord("task", "submit", "bad kind!", *t, "--json")
    assert bad.exit_code == EXIT_DATAERR and as_json(bad)["code"] == "CO401"
    swept = as_json(coord("maintain", *d, "--json"))
    assert "default" in swept["tenants"] and set(swept["tenants"]["default"]) >= {"sessions_expired", "tasks_requeued"}
    assert coord("agent", "discover", *t).exit_code == 0


def test_profile_and_network_commands(data_dir: Path) -> None:
    d = ["--data-dir", str(data_dir)]
    boss = ["--token", as_json(coord("agent", "add", "cli-boss", "--role", "operator", *d, "--json"))["token"], *d]
    bot = ["--token", as_json(coord("agent", "add", "cli-bot", *d, "--json"))["token"], *d]
    created = as_json(coord("profile", "create", "builders", "--trust", "2", "--max-locks", "1",
                            "--kinds", "build,test", "--network-default", "allow", *boss, "--json"))
    assert created["details"]["allowed_task_kinds"] == ["build", "test"] and created["details"]["max_locks"] == 1
    assert coord("profile", "assign", "cli-bot", "builders", *boss).exit_code == 0
    mine = as_json(coord("profile", "show", *bot, "--json"))
    assert [(p["name"], p["max_locks"]) for p in mine] == [("builders", 1)]
    assert coord("lock", "acquire", "a.py", *bot).exit_code == 0
    over = coord("lock", "acquire", "b.py", *bot)
    assert over.exit_code == EXIT_NOT_OK and "at_limit" in over.stdout
    cleared = as_json(coord("profile", "update", "builders", "--clear", "max_locks", *boss, "--json"))
    assert cleared["details"]["max_locks"] is None
    assert coord("profile", "update", "builders", *boss).exit_code == 2  # nothing to change
    selfish = coord("profile", "create", "mine", "--trust", "4", *bot)
    assert selfish.exit_code == EXIT_NOT_OK and "needs trust 4" in selfish.stdout
    listed = coord("profile", "list", *boss)
    assert "builders" in listed.stdout and "standard" in listed.stdout
    assert coord("network", "check", "pypi.org", *bot).exit_code == 0  # the profile's default: allow
    rule = as_json(coord("network", "add", "pypi.org", "deny", "--profile", "builders", *boss, "--json"))
    denied = as_json(coord("network", "check", "PyPI.org.", *bot, "--json"))
    assert (denied["code"], denied["decided_by"], denied["domain"]) == ("denied", "profile", "pypi.org")
    assert "builders" in coord("network", "rules", *boss).stdout
    assert coord("network", "remove", str(rule["details"]["rule_id"]), *boss).exit_code == 0
    assert coord("profile", "assign", "cli-bot", *boss).exit_code == 0
    assert coord("profile", "delete", "builders", *boss).exit_code == 0


def test_batch_forms_of_lock_and_task_commands(data_dir: Path, tmp_path: Path) -> None:
    d = ["--data-dir", str(data_dir)]
    assert coord("up", *d, "--port", "0", "--json").exit_code == 0
    t = ["--token", as_json(coord("agent", "add", "cli-batcher", *d, "--json"))["token"], *d]
    other = ["--token", as_json(coord("agent", "add", "cli-other", *d, "--json"))["token"], *d]
    taken = as_json(coord("lock", "acquire", "batch/a.py", "batch/b.py", "--reason", "both", *t, "--json"))
    assert [(r["path"], r["code"]) for r in taken] == [("batch/a.py", "granted"), ("batch/b.py", "granted")]
    refused = coord("lock", "acquire", "batch/c.py", "batch/b.py", *other)
    assert refused.exit_code == EXIT_NOT_OK and "batch/c.py: batch_refused" in refused.stdout \
        and "batch/b.py: busy" in refused.stdout
    assert coord("lock", "acquire", "x.py", "y.py", "--wait", "1 second", *t).exit_code == 2  # click usage
    fences = [str(r["fence"]) for r in taken]
    assert coord("lock", "release", "batch/a.py", "batch/b.py", "--fence", fences[0], *t).exit_code == 2
    released = as_json(coord("lock", "release", "batch/b.py", "batch/a.py", "--fence", fences[1], "--fence", fences[0],
                             *t, "--json"))
    assert [r["code"] for r in released] == ["released", "released"]

    for _ in range(3):
        coord("task", "submit", "cli-batch", *t)
    claims = [as_json(coord("task", "claim", "cli-batch", *t, "--json")) for _ in range(3)]
    ids = [str(c["task_id"]) for c in claims[:2]]
    done = as_json(coord("task", "complete", *ids, "--claim", str(claims[0]["claim"]),
                         "--claim", str(claims[1]["claim"]), "--result", '{"ok": 1}', *t, "--json"))
    assert [r["code"] for r in done] == ["completed", "completed"]
    batch = tmp_path / "batch.json"
    batch.write_text(json.dumps([{"task_id": claims[2]["task_id"], "claim": claims[2]["claim"], "result": {"n": 3}}]))
    assert [r["code"] for r in as_json(coord("task", "complete", "--batch", str(batch), *t, "--json"))] == ["completed"]
    again = coord("task", "complete", "--batch", "-", *t, "--json", input=batch.read_text())
    assert again.exit_code == EXIT_DATAERR and as_json(again)["code"] == "CO412"


def test_lock_commands_send_a_directory_on_disk_as_a_subtree(data_dir: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The database cannot see the disk: the CLI says that an existing directory is one."""
    d = ["--data-dir", str(data_dir)]
    assert coord("up", *d, "--port", "0", "--json").exit_code == 0
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mod.py").write_text("")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)  # the repository root paths are relative to
    monkeypatch.chdir(tmp_path / "pkg")
    owner = ["--token", as_json(coord("agent", "add", "cli-dirs", *d, "--json"))["token"], *d]
    other = ["--token", as_json(coord("agent", "add", "cli-files", *d, "--json"))["token"], *d]

    held = as_json(coord("lock", "acquire", ".", *owner, "--json"))
    assert (held["code"], held["path"]) == ("granted", "pkg/")
    assert as_json(coord("lock", "acquire", "mod.py", *owner, "--json"))["path"] == "pkg/mod.py"
    assert as_json(coord("lock", "acquire", str(tmp_path / "later.py"), *owner, "--json"))["path"] == "later.py"
    outside = coord("lock", "acquire", "../../elsewhere.py", *owner, "--json")
    assert outside.exit_code == EXIT_DATAERR and as_json(outside)["code"] == "CO541"
    busy = coord("lock", "acquire", "pkg/new.py", *other, "--json")
    assert busy.exit_code == EXIT_NOT_OK and as_json(busy)["details"]["conflicts"][0]["path"] == "pkg/"
    checked = as_json(coord("lock", "list", ".", *other, "--json"))
    assert {c["lock_path"] for c in checked} == {"pkg/", "pkg/mod.py"}
    renewed = as_json(coord("lock", "renew", str(tmp_path / "pkg"), "--fence", str(held["fence"]), *owner, "--json"))
    assert renewed["code"] == "renewed"
    released = as_json(coord("lock", "release", "../pkg", "--fence", str(held["fence"]), *owner, "--json"))
    assert released["code"] == "released"
    # several PATHs are mapped the same way, each
    (tmp_path / "pkg" / "sub").mkdir()
    batch = as_json(coord("lock", "acquire", "sub", str(tmp_path / "top.py"), "../other.py", *owner, "--json"))
    assert [(r["code"], r["path"]) for r in batch] == [("granted", "pkg/sub/"), ("granted", "top.py"),
                                                      ("granted", "other.py")]
    gone = as_json(coord("lock", "release", "sub", "../top.py", str(tmp_path / "other.py"),
                         *[x for r in batch for x in ("--fence", str(r["fence"]))], *owner, "--json"))
    assert [r["code"] for r in gone] == ["released"] * 3
    help_text = " ".join(coord("lock", "--help").stdout.split())
    assert "src/app.py" in help_text and "directory here is sent with its trailing /" in help_text


def test_flags_win_over_their_variable_and_a_conflicting_pair_is_an_error(data_dir: Path) -> None:
    d = ["--data-dir", str(data_dir)]
    up = as_json(coord("up", *d, "--port", "0", "--json"))
    elsewhere = "host=/nonexistent/run port=1 user=postgres dbname=coord"
    for command in (["status"], ["migrate"], ["maintain"], ["audit", "seal"]):
        refused = coord(*command, *d, "--json", env={"COORD_ADMIN_DSN": elsewhere})
        assert refused.exit_code == EXIT_USAGE, (command, refused.stdout, refused.stderr)
        error = as_json(refused)
        assert error["code"] == "CO530" and "--data-dir" in error["detail"] and "COORD_ADMIN_DSN" in error["detail"]
    human = coord("status", *d, env={"COORD_ADMIN_DSN": elsewhere})
    assert human.exit_code == EXIT_USAGE and "CO530" in human.stderr and "unset COORD_ADMIN_DSN" in human.stderr
    operator = as_json(coord("token", "issue", "operator", *d, "--json"))["token"]
    crossed = coord("agent", "list", "--dsn", up["dsn"], "--token", operator, "--json",
                    env={"COORD_DATA_DIR": str(data_dir.parent / "another")})
    assert crossed.exit_code == EXIT_USAGE and as_json(crossed)["code"] == "CO530"
    # The same server under both names is no conflict; a flag beats its own variable.
    assert coord("status", *d, "--json", env={"COORD_ADMIN_DSN": up["admin_dsn"]}).exit_code == 0
    listed = coord("agent", "list", "--dsn", up["dsn"], "--token", operator, "--json",
                   env={"COORD_DSN": elsewhere, "COORD_TOKEN": "coord_" + "0" * 64})
    assert listed.exit_code == 0, listed.stderr


def test_login_commands(data_dir: Path) -> None:
    """coord login add prints a DSN bound to one tenant; it takes that tenant's tokens only."""
    d = ["--data-dir", str(data_dir)]
    ours = as_json(coord("agent", "add", "cli-bound", *d, "--json"))["token"]
    theirs = as_json(coord("agent", "add", "cli-other", "--tenant", "elsewhere", *d, "--json"))["token"]
    added = coord("login", "add", "build-box", "--comment", "the CI runner", *d, "--json")
    assert added.exit_code == 0, added.stderr
    login = as_json(added)
    assert login["dsn"].startswith(f"postgresql://{login['role_name']}:") and "@127.0.0.1:" in login["dsn"]
    assert coord("lock", "acquire", "bound.py", "--dsn", login["dsn"], "--token", ours, *d).exit_code == 0
    foreign = coord("lock", "list", "--dsn", login["dsn"], "--token", theirs, *d, "--json")
    assert foreign.exit_code == EXIT_NOPERM and as_json(foreign)["code"] == "PT401"
    listed = as_json(coord("login", "list", *d, "--json"))
    assert [(x["tenant"], x["name"], x["comment"]) for x in listed] == [("default", "build-box", "the CI runner")]
    taken = coord("login", "add", "build-box", *d, "--json")
    assert taken.exit_code == EXIT_DATAERR and as_json(taken)["code"] == "CO522"
    assert coord("login", "list", *d).exit_code == 0
    assert coord("login", "remove", "build-box", *d).exit_code == 0
    gone = coord("lock", "list", "--dsn", login["dsn"], "--token", ours, *d, "--json")
    assert gone.exit_code != 0 and as_json(gone)["code"] == "08000"
    assert coord("login", "remove", "build-box", *d, "--json").exit_code == EXIT_NOINPUT


def test_up_repairs_what_a_gateway_holder_changed(data_dir: Path) -> None:
    """Changes to its own login through the gateway DSN itself (the credential that PostgREST and
    the operator's CLI hold): they still work in PostgreSQL, so coord status reports them (exit
    1; audited to every tenant as login.check refused, the critical login-drift alert) and coord
    up restores the declared settings and the saved password, and says so."""
    d = ["--data-dir", str(data_dir)]
    up = as_json(coord("up", *d, "--json"))
    assert coord("agent", "add", "repair-far", "--tenant", "elsewhere", *d).exit_code == 0  # a second tenant
    healthy = coord("status", *d, "--json")
    assert healthy.exit_code == 0, healthy.stdout
    assert as_json(healthy)["logins"] == {"gateway_password": "ok", "drift": []}
    with psycopg.connect(up["dsn"], autocommit=True) as gateway:
        gateway.execute("alter role coord_authenticator set idle_in_transaction_session_timeout = 0")
        gateway.execute("alter role coord_authenticator set statement_timeout = '1ms'")
        gateway.execute("set role coord_anon")
        gateway.execute("alter role coord_anon set default_transaction_isolation = 'serializable'")
        gateway.execute("reset role")
        gateway.execute("alter role coord_authenticator password 'x'")
    with pytest.raises(psycopg.OperationalError):  # every client of the gateway is locked out
        psycopg.connect(up["dsn"]).close()
    drifted = coord("status", *d, "--json")
    assert drifted.exit_code == EXIT_NOT_OK
    logins = as_json(drifted)["logins"]
    assert logins["gateway_password"] == "refused"
    assert {(x["role_name"], tuple(x["actual"])) for x in logins["drift"]} == {
        ("coord_authenticator", ("idle_in_transaction_session_timeout=0", "statement_timeout=1ms", "password")),
        ("coord_anon", ("default_transaction_isolation=serializable",))}
    with psycopg.connect(up["admin_dsn"], autocommit=True) as conn:
        alerts = conn.execute("select t.name, a.severity from coord.alerts a join coord.alert_rules r "
                              "on r.id = a.rule_id join coord.tenants t on t.id = a.tenant_id "
                              "where r.name = 'login-drift' and a.state = 'open' order by 1").fetchall()
    assert alerts and all(severity == "critical" for _, severity in alerts)
    assert {name for name, _ in alerts} >= {"default", "elsewhere"}

    repaired = coord("up", *d, "--json")
    assert repaired.exit_code == 0, repaired.stdout
    notes = " ".join(as_json(repaired)["notes"])
    assert "password of coord_authenticator had been changed" in notes
    assert "gateway login coord_authenticator" in notes and "request login coord_anon" in notes
    assert coord("status", *d, "--json").exit_code == 0
    with psycopg.connect(up["dsn"], autocommit=True) as gateway:
        assert gateway.execute("select current_setting('idle_in_transaction_session_timeout'), "
                               "current_setting('statement_timeout')").fetchone() == ("5min", "0")


def test_up_again_with_another_port_keeps_the_running_server_and_its_port(data_dir: Path) -> None:
    d = ["--data-dir", str(data_dir)]
    running = as_json(coord("up", *d, "--json"))
    saved = (data_dir / "coord.json").read_text()
    port = json.loads(saved)["port"]
    other = free_port()
    for moved in (coord("up", *d, "--port", str(other), "--json"),
                  coord("up", *d, "--json", env={"COORD_PORT": str(other)})):
        assert moved.exit_code == EXIT_USAGE, moved.stdout
        refused = as_json(moved)
        assert refused["code"] == "CO534" and str(port) in refused["detail"] and str(other) in refused["detail"]
        assert (data_dir / "coord.json").read_text() == saved
    assert coord("up", *d, "--port", str(port), "--json").exit_code == 0, "its own port is no change"
    assert coord("up", *d, "--port", "0", "--json").exit_code == 0, "0 means any port: the one it has"
    assert (data_dir / "coord.json").read_text() == saved
    with psycopg.connect(running["dsn"]) as conn:
        assert conn.execute("select 1").fetchone() == (1,)
    assert as_json(coord("status", *d, "--json"))["port"] == port


def test_down_stops_the_server(data_dir: Path) -> None:
    assert as_json(coord("down", "--data-dir", str(data_dir), "--json"))["stopped"] is True
    stopped = coord("status", "--data-dir", str(data_dir), "--json")
    assert stopped.exit_code == EXIT_NOT_OK and as_json(stopped)["running"] is False
    assert coord("up", "--data-dir", str(data_dir), "--json").exit_code == 0, "restarts on the same data"


def test_up_on_a_busy_port_leaves_the_saved_port(data_dir: Path) -> None:
    """A stopped server may move to another port, but only once it starts there."""
    d = ["--data-dir", str(data_dir)]
    assert as_json(coord("down", *d, "--json"))["stopped"] is True
    saved = (data_dir / "coord.json").read_text()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = coord("up", *d, "--port", str(busy.getsockname()[1]), "--json")
        assert taken.exit_code == EXIT_CONFIG and as_json(taken)["code"] == "CO501", taken.stdout
    assert (data_dir / "coord.json").read_text() == saved
    assert coord("up", *d, "--json").exit_code == 0
    assert as_json(coord("status", *d, "--json"))["port"] == json.loads(saved)["port"]


def _shared_buffers_mb(admin_dsn: str) -> int:
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        return int(conn.execute("select setting::bigint * 8 / 1024 from pg_settings where name = 'shared_buffers'"
                                ).fetchone()[0])  # type: ignore[index]


def _max_prepared(admin_dsn: str) -> int:
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        return int(conn.execute("select current_setting('max_prepared_transactions')").fetchone()[0])  # type: ignore[index]


def test_up_sizes_shared_buffers_to_the_machine_and_alter_system_wins(data_dir: Path) -> None:
    """PostgreSQL's default 128 MB held a fraction of a million memories (recall read a third of its
    HNSW pages from outside the buffers): coord up gives the server a quarter of the memory, within
    128 MB and 2 GB, unless the operator chose with ALTER SYSTEM. Prepared transactions are off
    (a forgotten one holds back every event stream) unless the operator turns them on the same way."""
    d = ["--data-dir", str(data_dir)]
    up = as_json(coord("up", *d, "--json"))
    assert _shared_buffers_mb(up["admin_dsn"]) == default_shared_buffers_mb() > 128
    assert _max_prepared(up["admin_dsn"]) == 0
    with psycopg.connect(up["admin_dsn"], autocommit=True) as conn:
        conn.execute("alter system set shared_buffers = '64MB'")
        conn.execute("alter system set max_prepared_transactions = 3")
    try:
        assert as_json(coord("down", *d, "--json"))["stopped"] is True
        assert coord("up", *d, "--json").exit_code == 0
        assert _shared_buffers_mb(up["admin_dsn"]) == 64
        assert _max_prepared(up["admin_dsn"]) == 3
    finally:
        with psycopg.connect(up["admin_dsn"], autocommit=True) as conn:
            conn.execute("alter system reset shared_buffers")
            conn.execute("alter system reset max_prepared_transactions")
        coord("down", *d, "--json")
        assert coord("up", *d, "--json").exit_code == 0
    assert _shared_buffers_mb(up["admin_dsn"]) == default_shared_buffers_mb()
    assert _max_prepared(up["admin_dsn"]) == 0


@pytest.mark.parametrize(("memory_mb", "expected"), [(256, 128), (1024, 256), (4096, 1024), (8192, 2048),
                                                      (65536, 2048)])
def test_shared_buffers_are_a_quarter_of_the_memory_within_128_mb_and_2_gb(memory_mb: int, expected: int) -> None:
    assert default_shared_buffers_mb(memory_mb * 1024 * 1024) == expected
