"""The front door end to end, as a new user meets it: coord mcp install --client claude-code
--hooks writes both configs, then a Claude Code session (the official MCP client for its tools,
recorded hook payloads for its hooks, each run with the command the install wrote) takes and
releases leases in a session, is denied rm -rf / and a file another agent holds, and shows up
in coord watch."""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path
from typing import Any

import anyio
from click.testing import CliRunner
from coord_cli.main import main
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from coordinator.client import Client
from tests.conftest import Database, make_principal
from tests.hook_support import event
from tests.test_mcp import COORD, _server_env

CLEAN = {"COORD_TOKEN": "", "COORD_DSN": "", "COORD_ADMIN_DSN": "", "COORD_DATA_DIR": "", "COORD_SESSION": "",
         "COORD_ROOT": "", "COORD_REPOSITORY": ""}


def coord(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> Any:
    return CliRunner().invoke(main, list(args), input=stdin, env={**CLEAN, "COLUMNS": "200", **(env or {})},
                              catch_exceptions=False)


def installed_hook_arguments(repo: Path, event_name: str) -> list[str]:
    """The coord arguments of the hook the install wrote for this event (as Claude Code runs it)."""
    settings = json.loads((repo / ".claude" / "settings.json").read_text())
    commands = [h["command"] for entry in settings["hooks"][event_name] for h in entry["hooks"]]
    assert len(commands) == 1, commands
    words = shlex.split(commands[0])
    assert words[0] == "coord", words
    return words[1:]


def test_a_claude_code_session_through_the_front_door(committed_db: Database, tmp_path: Path) -> None:
    repo = tmp_path / "shop"
    (repo / "src").mkdir(parents=True)
    for name in ("app.py", "held.py"):
        (repo / "src" / name).write_text("x = 1\n")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    repo = repo.resolve()
    with committed_db.connect() as conn:
        alice = make_principal(conn, "alice-front-door")
        bob = make_principal(conn, "bob-front-door")
        operator = make_principal(conn, "ops-front-door", role="operator")

    installed = coord("mcp", "install", "--client", "claude-code", "--hooks", "--project-dir", str(repo),
                      env={"HOME": str(tmp_path / "home")})
    assert installed.exit_code == 0, installed.output
    assert json.loads((repo / ".mcp.json").read_text())["mcpServers"]["coord"]["args"] == ["mcp"]
    hook_env = {"COORD_DSN": committed_db.client_dsn, "COORD_TOKEN": alice.token, "XDG_STATE_HOME": str(tmp_path)}

    def hook(name: str) -> dict[str, Any]:
        payload = event(name, repo)
        event_name = json.loads(payload)["hook_event_name"]
        result = coord(*installed_hook_arguments(repo, event_name), env=hook_env, stdin=payload)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout) if result.stdout.strip() else {}

    def watched() -> dict[str, Any]:
        snapshot = coord("watch", "--once", "--json", "--token", operator.token, "--dsn", committed_db.client_dsn)
        assert snapshot.exit_code == 0, snapshot.output
        return json.loads(snapshot.stdout)

    with Client(committed_db.client_dsn, bob.token) as other:
        assert other.acquire_lock("src/held.py", ttl="10 minutes").ok

    params = StdioServerParameters(command=COORD, args=["mcp"], env=_server_env(committed_db, alice.token),
                                   cwd=str(repo))

    async def claude_code() -> None:
        async with stdio_client(params) as (read, write), ClientSession(read, write) as mcp:
            await mcp.initialize()
            assert hook("session_start")["hookSpecificOutput"]["hookEventName"] == "SessionStart"
            granted = await mcp.call_tool("acquire_lock", {"p_path": str(repo / "src" / "app.py")})
            assert granted.structured_content["code"] == "granted", granted

            destroy = hook("pre_tool_use_bash_rm_rf")["hookSpecificOutput"]
            assert destroy["permissionDecision"] == "deny" and "delete-system" in destroy["permissionDecisionReason"]
            edit = json.loads(event("pre_tool_use_edit", repo))  # an edit of the file bob holds
            edit["tool_input"]["file_path"] = str(repo / "src" / "held.py")
            refused = coord(*installed_hook_arguments(repo, "PreToolUse"), env=hook_env, stdin=json.dumps(edit))
            answer = json.loads(refused.stdout)["hookSpecificOutput"]
            assert answer["permissionDecision"] == "deny" and bob.name in answer["permissionDecisionReason"]

            fleet = watched()
            mine = [(lease["path"], lease["holder"]) for lease in fleet["leases"] if lease["holder"] == alice.name]
            assert mine == [("src/app.py", alice.name)]
            assert alice.name in {agent["name"] for agent in fleet["agents"]}

            released = await mcp.call_tool("release_lock", {"p_path": "src/app.py",
                                                            "p_fence": granted.structured_content["fence"]})
            assert released.structured_content["code"] == "released"
            again = await mcp.call_tool("acquire_lock", {"p_path": "src/app.py"})
            assert again.structured_content["code"] == "granted"  # held by the MCP session until it closes
            hook("session_end")

    anyio.run(claude_code)
    # The MCP connection closed: its session ended and released what it held; bob's lease stays.
    assert [(lease["path"], lease["holder"]) for lease in watched()["leases"]] == [("src/held.py", bob.name)]
