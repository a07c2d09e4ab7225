"""coord mcp: tools generated from the catalog, stdio and streamable HTTP end to end with the
official mcp client, a coord session per connection (ended on close, reclaimed after a kill -9),
and coord mcp install."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx2
import psycopg
import pytest
from click.testing import CliRunner
from coord_cli.main import main as coord_main
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from coordinator import mcp_install, mcp_server
from coordinator.client import Client
from coordinator.server import free_port
from tests.conftest import Database, Principal, advance_clock, make_principal

COORD = str(Path(sys.executable).parent / "coord")
# What the rule of sql.MCP_TOOLS leaves out: the authentication plumbing and the session lifecycle.
NOT_TOOLS = {"authenticate", "pre_request", "login", "begin_request", "start_session", "heartbeat", "end_session"}


def _principal(database: Database, role: str = "agent", name: str | None = None) -> Principal:
    with database.connect() as conn:
        return make_principal(conn, name, role=role)


def _server_env(database: Database, token: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COORD_")}
    env["COORD_DSN"] = database.client_dsn
    env["HOME"] = str(Path(env.get("HOME", "/tmp")))
    if token:
        env["COORD_TOKEN"] = token
    return env


@contextlib.asynccontextmanager
async def in_process(database: Database, token: str) -> AsyncIterator[ClientSession]:
    """The stdio server's MCP server on memory streams, with the official client."""
    server, coordinator = mcp_server.stdio_server_for(database.client_dsn, token)
    client_send, server_receive = anyio.create_memory_object_stream(100)
    server_send, client_receive = anyio.create_memory_object_stream(100)
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(mcp_server.run_connection, server, coordinator, server_receive, server_send)
        async with ClientSession(client_receive, client_send) as session:
            await session.initialize()
            yield session
        await client_send.aclose()
    coordinator.close()


def _catalog(database: Database, role: str) -> dict[str, dict[str, Any]]:
    with database.connect() as conn:
        rows = conn.execute(
            "select p.proname, coalesce(p.proargnames[1:p.pronargs], '{}'), p.pronargdefaults, p.provolatile, "
            "array(select format_type(t, null) from unnest(p.proargtypes) t), "
            "coalesce(obj_description(p.oid, 'pg_proc'), '') "
            "from pg_proc p where p.pronamespace = 'api'::regnamespace "
            "and has_function_privilege(%s, p.oid, 'EXECUTE')", (role,)).fetchall()
    return {r[0]: {"args": list(r[1]), "defaults": r[2], "volatility": r[3], "types": list(r[4]), "comment": r[5]}
            for r in rows}


def _destructive_functions(database: Database) -> set[str]:
    """The functions the outcome registry says can answer an outcome that takes something away."""
    with database.connect() as conn:
        rows = conn.execute("select functions from coord.outcome_registry where destructive").fetchall()
    return {f for (functions,) in rows for f in functions}


@pytest.mark.parametrize("role", ["agent", "operator"])
def test_tools_are_the_catalog(committed_db: Database, role: str) -> None:
    principal = _principal(committed_db, role)
    catalog = _catalog(committed_db, f"coord_{role}")
    destructive = _destructive_functions(committed_db)

    async def main() -> list[Any]:
        async with in_process(committed_db, principal.token) as session:
            return (await session.list_tools()).tools

    tools = {t.name: t for t in anyio.run(main)}
    assert set(tools) == set(catalog) - NOT_TOOLS
    assert set(catalog) >= NOT_TOOLS  # the rule excludes exactly those, and they exist
    for name, tool in tools.items():
        fn = catalog[name]
        assert tool.description == (fn["comment"] or None)
        schema = tool.input_schema
        assert list(schema["properties"]) == fn["args"]
        assert schema["required"] == fn["args"][: len(fn["args"]) - fn["defaults"]]
        for arg, pg_type in zip(fn["args"], fn["types"], strict=True):
            prop = schema["properties"][arg]
            expected = {"interval": ("string", "duration"), "timestamp with time zone": ("string", "date-time"),
                        "uuid": ("string", "uuid")}.get(pg_type)
            if pg_type.endswith("[]"):
                assert prop["type"] == "array", (name, arg)
            elif pg_type == "jsonb":  # the shape the comment declares ("p_x is a JSON array"), else any JSON
                declared = re.search(rf"\b{arg} is an? JSON (array|object)\b", fn["comment"])
                assert prop.get("type") == (declared.group(1) if declared else None), (name, arg)
            elif expected:
                assert (prop["type"], prop.get("format")) == expected, (name, arg, pg_type)
        assert tool.annotations.read_only_hint == (fn["volatility"] != "v"), name
        assert tool.annotations.destructive_hint == (fn["volatility"] == "v" and name in destructive), name
        assert tool.output_schema["type"] == "object"
    if role == "operator":
        assert "create_agent" in tools and "query_audit" in tools
    else:
        assert "create_agent" not in tools and "query_audit" not in tools
    # the result type's attributes are the output schema
    assert set(tools["acquire_lock"].output_schema["properties"]) >= {"ok", "code", "reason", "fence", "holder_name"}
    assert tools["my_locks"].output_schema["properties"]["rows"]["type"] == "array"
    assert tools["submit_tasks"].input_schema["properties"]["p_tasks"]["type"] == "array"
    assert "type" not in tools["submit_task"].input_schema["properties"]["p_payload"]  # any JSON value
    if role == "operator":
        assert tools["apply_team"].input_schema["properties"]["p_team"]["type"] == "object"
    assert tools["create_profile"].input_schema["properties"]["p_settings"]["type"] == "object"
    assert tools["release_lock"].annotations.destructive_hint is True
    assert tools["release_locks"].annotations.destructive_hint is True
    assert tools["acquire_lock"].annotations.destructive_hint is False


def _live_locks(database: Database, path: str) -> list[tuple[Any, ...]]:
    with database.connect() as conn:
        return conn.execute("select holder_id, session_id from coord.locks where path = %s "
                            "and expires_at > coord.now()", (path,)).fetchall()


def _sessions(database: Database, principal: Principal) -> list[tuple[Any, ...]]:
    with database.connect() as conn:
        return conn.execute("select id, ended_at is not null, agent_type from coord.sessions where agent_id = %s",
                            (principal.principal_id,)).fetchall()


def test_stdio_end_to_end(committed_db: Database) -> None:
    agent = _principal(committed_db)
    params = StdioServerParameters(command=COORD, args=["mcp"], env=_server_env(committed_db, agent.token))

    async def main() -> None:
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            sessions = _sessions(committed_db, agent)
            assert [(ended, kind) for _, ended, kind in sessions] == [(False, "mcp")]  # started on initialize
            names = {t.name for t in (await session.list_tools()).tools}
            assert {"acquire_lock", "release_lock", "my_locks"} <= names
            granted = await session.call_tool("acquire_lock", {"p_path": "src/a.py", "p_ttl": "5 minutes"})
            assert not granted.is_error and granted.structured_content["code"] == "granted"
            assert _live_locks(committed_db, "src/a.py") == [(agent.principal_id, sessions[0][0])]  # in the session
            mine = json.loads((await session.read_resource("coord://leases/mine")).contents[0].text)
            assert [m["path"] for m in mine] == ["src/a.py"]
            released = await session.call_tool(
                "release_lock", {"p_path": "src/a.py", "p_fence": granted.structured_content["fence"]})
            assert released.structured_content["code"] == "released"
            # a registered error is a tool error with its code, message and hint
            bad = await session.call_tool("acquire_lock", {"p_path": "src/a.py", "p_ttl": "48 hours"})
            assert bad.is_error
            error = json.loads(bad.content[0].text)
            assert error["code"] == "CO211" and error["hint"]
            # an operator's function: not a tool of an agent, so not callable
            denied = await session.call_tool("create_agent", {"p_name": "intruder"})
            assert denied.is_error and json.loads(denied.content[0].text)["code"] == "42883"
            # a refusal of the policy is a normal result
            again = await session.call_tool("acquire_lock", {"p_path": "src/b.py"})
            assert again.structured_content["code"] == "granted"
            prompt = await session.get_prompt("coordinate-file-edit", {"path": "src/c.py"})
            assert "acquire_lock" in prompt.messages[0].content.text

    anyio.run(main)
    # clean close: the session ended and its lease is released
    assert [ended for _, ended, _ in _sessions(committed_db, agent)] == [True]
    assert _live_locks(committed_db, "src/b.py") == []


def test_stdio_maps_paths_to_the_repository_root(committed_db: Database, tmp_path: Path) -> None:
    """Started in a subdirectory of a repository (as a client starts it in its project), the
    server maps absolute paths to the repository root and reads relative ones from the root, as
    its tool descriptions and prompts say, wherever it runs."""
    repo = tmp_path / "repo"
    (repo / "pkg" / "sub").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    agent = _principal(committed_db)
    params = StdioServerParameters(command=COORD, args=["mcp"], env=_server_env(committed_db, agent.token),
                                   cwd=str(repo / "pkg"))

    async def main() -> list[int]:
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            absolute = await session.call_tool("acquire_lock", {"p_path": str(repo / "pkg" / "a.py")})
            assert absolute.structured_content["code"] == "granted", absolute
            relative = await session.call_tool("acquire_lock", {"p_path": "pkg/sub"})  # a directory: a subtree
            assert relative.structured_content["code"] == "granted", relative
            top = await session.call_tool("acquire_lock", {"p_path": "src/b.py"})  # from the root, not from pkg/
            assert top.structured_content["code"] == "granted", top
            assert sorted(r["path"] for r in (await session.call_tool("my_locks", {})).structured_content["rows"]) \
                == ["pkg/a.py", "pkg/sub/", "src/b.py"]
            outside = await session.call_tool("acquire_lock", {"p_path": str(tmp_path / "elsewhere.py")})
            assert outside.is_error and json.loads(outside.content[0].text)["code"] == "CO541"
            # the batch forms map every path of p_paths the same way
            leases = await session.call_tool("acquire_locks", {"p_paths": [str(repo / "pkg" / "c.py"), "pkg/d.py"]})
            rows = leases.structured_content["rows"]
            assert [(r["path"], r["code"]) for r in rows] == [("pkg/c.py", "granted"), ("pkg/d.py", "granted")], leases
            released = await session.call_tool("release_locks", {"p_paths": [str(repo / "pkg" / "c.py"), "pkg/d.py"],
                                                                 "p_fences": [r["fence"] for r in rows]})
            assert [r["code"] for r in released.structured_content["rows"]] == ["released", "released"], released
            # paths inside a batch's task definitions are mapped as submit_task's p_locks are
            batch = await session.call_tool("submit_tasks", {"p_tasks": [
                {"kind": "build", "locks": [str(repo / "pkg" / "a.py"), "pkg/sub"]}, {"kind": "lint"}]})
            assert not batch.is_error, batch
            one = await session.call_tool("submit_task", {"p_kind": "test", "p_locks": [str(repo / "pkg" / "t.py")]})
            assert not one.is_error, one
            nested_outside = await session.call_tool("submit_tasks", {"p_tasks": [
                {"kind": "build", "locks": [str(tmp_path / "elsewhere.py")]}]})
            assert nested_outside.is_error and json.loads(nested_outside.content[0].text)["code"] == "CO541"
            handoff = await session.call_tool("write_handoff", {"p_summary": "paths",
                                                                "p_relevant_files": [str(repo / "pkg" / "a.py")]})
            assert not handoff.is_error, handoff
            return [r["task_id"] for r in batch.structured_content["rows"]] + [one.structured_content["task_id"]]

    task_ids = anyio.run(main)
    with committed_db.connect() as conn:
        locks = conn.execute("select kind, lock_paths from coord.tasks where id = any(%s) order by id",
                             (task_ids,)).fetchall()
        files = conn.execute("select relevant_files from coord.handoffs where summary = 'paths'").fetchall()
    assert locks == [("build", ["pkg/a.py", "pkg/sub/"]), ("lint", []), ("test", ["pkg/t.py"])]
    assert files == [(["pkg/a.py"],)]


def test_the_server_maps_every_argument_the_database_reads_as_a_path() -> None:
    """Every parameter the sources hand to coord.normalize_path (directly, or element by element
    through unnest) is one the stdio server maps to the repository root; a batch's items are
    mapped field by field (each task's locks reach coord.check_task_fields as p_locks)."""
    sources = "\n".join(f.read_text() for f in (Path(__file__).parents[1] / "plpgsql").rglob("*.sql"))
    direct = set(re.findall(r"normalize_path\((p_\w+)\)", sources))
    through_unnest = {m.group(2) for m in re.finditer(r"normalize_path\((\w+)\)[^;]*?unnest\((p_\w+)\) as \1\b",
                                                      sources)}
    assert direct and through_unnest >= {"p_paths", "p_locks", "p_relevant_files"}
    assert direct | through_unnest <= set(mcp_server.PATH_ARGUMENTS)
    assert "-> 'locks'" in sources and mcp_server.PATH_FIELDS_OF_ITEMS == {"p_tasks": ("locks",)}


def _rpc(proc: subprocess.Popen[bytes], message: dict[str, Any]) -> dict[str, Any] | None:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write((json.dumps(message) + "\n").encode())
    proc.stdin.flush()
    if "id" not in message:
        return None
    while True:
        reply = json.loads(proc.stdout.readline())
        if reply.get("id") == message["id"]:
            return reply


def test_kill_9_then_the_lease_is_reclaimed_after_expiry(committed_db: Database) -> None:
    agent = _principal(committed_db)
    other = _principal(committed_db)
    proc = _start_stdio(committed_db, agent.token)
    try:
        reply = _rpc(proc, {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                            "params": {"name": "acquire_lock", "arguments": {"p_path": "src/k.py", "p_ttl": "1 hour"}}})
        assert reply and reply["result"]["structuredContent"]["code"] == "granted"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    with psycopg.connect(committed_db.client_dsn, autocommit=True) as conn, Client(connection=conn,
                                                                                  token=other.token) as client:
        assert client.acquire_lock("src/k.py").code == "busy"  # nobody ended the session
        with committed_db.connect() as admin:
            advance_clock(admin, "61 seconds")  # past the session's ttl, long before the lease's hour
        result = client.acquire_lock("src/k.py")
        assert result.code == "granted", result
    assert [ended for _, ended, _ in _sessions(committed_db, agent)] == [True]


def _start_stdio(database: Database, token: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([COORD, "mcp", "--ttl", "60 seconds"], env=_server_env(database, token),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    init = _rpc(proc, {"jsonrpc": "2.0", "id": 1, "method": "initialize",
                       "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                                  "clientInfo": {"name": "test", "version": "0"}}})
    assert init and "result" in init
    _rpc(proc, {"jsonrpc": "2.0", "method": "notifications/initialized"})
    return proc


def test_sigterm_ends_the_session(committed_db: Database) -> None:
    agent = _principal(committed_db)
    proc = _start_stdio(committed_db, agent.token)
    try:
        reply = _rpc(proc, {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                            "params": {"name": "acquire_lock", "arguments": {"p_path": "src/t.py"}}})
        assert reply and reply["result"]["structuredContent"]["code"] == "granted"
    finally:
        proc.terminate()
        assert proc.wait(timeout=60) == 0
    assert [ended for _, ended, _ in _sessions(committed_db, agent)] == [True]
    assert _live_locks(committed_db, "src/t.py") == []


@contextlib.contextmanager
def http_server(database: Database, **env: str) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen([COORD, "mcp", "--http", f"127.0.0.1:{port}"], env={**_server_env(database), **env},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        # coord mcp --http says when its socket listens: read stderr up to that line (EOF: it died).
        assert proc.stderr is not None
        seen = []
        for line in iter(proc.stderr.readline, b""):
            seen.append(line.decode(errors="replace"))
            if b"coord mcp: listening at" in line:
                break
        else:
            raise AssertionError("coord mcp --http never listened:\n" + "".join(seen))
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@contextlib.asynccontextmanager
async def http_session(url: str, token: str) -> AsyncIterator[ClientSession]:
    async with (httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as http,
                streamable_http_client(url, http_client=http) as streams,
                ClientSession(streams[0], streams[1]) as session):
        await session.initialize()
        yield session


def test_http_end_to_end(committed_db: Database) -> None:
    a = _principal(committed_db, name="agent-a")
    b = _principal(committed_db, name="agent-b")
    with http_server(committed_db) as url:
        for headers in ({}, {"Authorization": "Bearer coord_not_a_token"}, {"Authorization": "Basic abc"}):
            response = httpx2.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, headers=headers)
            assert response.status_code == 401
            body = response.json()
            assert body["code"] == "PT401" and body["message"] and body["hint"]

        async def main() -> None:
            async with http_session(url, a.token) as sa, http_session(url, b.token) as sb:
                got = await sa.call_tool("acquire_lock", {"p_path": "src/h.py", "p_ttl": "5 minutes"})
                assert got.structured_content["code"] == "granted"
                busy = await sb.call_tool("acquire_lock", {"p_path": "src/h.py"})
                assert busy.structured_content["code"] == "busy"
                assert busy.structured_content["holder_name"] == "agent-a"  # distinct principals
                sessions_a, sessions_b = _sessions(committed_db, a), _sessions(committed_db, b)
                assert len(sessions_a) == len(sessions_b) == 1 and sessions_a[0][0] != sessions_b[0][0]
                # a's client closes (DELETE): its session ends and the lease is free for b
            assert [ended for _, ended, _ in _sessions(committed_db, a)] == [True]
            async with http_session(url, b.token) as sb:
                again = await sb.call_tool("acquire_lock", {"p_path": "src/h.py"})
                assert again.structured_content["code"] == "granted"

        anyio.run(main)


# --- coord mcp install ------------------------------------------------------------------------------

def _install(tmp_path: Path, *args: str) -> Any:
    runner = CliRunner()
    return runner.invoke(coord_main, ["mcp", "install", "--project-dir", str(tmp_path), *args],
                         env={"HOME": str(tmp_path / "home")}, catch_exceptions=False)


@pytest.mark.parametrize("client", ["claude-code", "cursor"])
def test_install_json_clients(tmp_path: Path, client: str) -> None:
    path = tmp_path / (".mcp.json" if client == "claude-code" else ".cursor/mcp.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"mcpServers": {"other": {"command": "x"}}, "keep": [1, 2]}, indent=4))
    before = path.read_text()
    dry = _install(tmp_path, "--client", client, "--dry-run")
    assert dry.exit_code == 0 and '+    "coord": {' in dry.output and "dry run" in dry.output
    assert path.read_text() == before
    wrote = _install(tmp_path, "--client", client)
    assert wrote.exit_code == 0 and "wrote" in wrote.output
    data = json.loads(path.read_text())
    assert data["keep"] == [1, 2] and data["mcpServers"]["other"] == {"command": "x"}
    entry = data["mcpServers"]["coord"]
    assert entry["command"] == "coord" and entry["args"] == ["mcp"] and "COORD_TOKEN" in entry["env"]
    # the repository the hooks keep leases in, empty when unset (an unset ${VAR} stays literal in Claude Code)
    assert entry["env"]["COORD_REPOSITORY"] in ("${COORD_REPOSITORY:-}", "${env:COORD_REPOSITORY}")
    after = path.read_text()
    second = _install(tmp_path, "--client", client)
    assert "no change" in second.output and path.read_text() == after


def test_install_claude_code_user_scope(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / ".claude.json").write_text(json.dumps({"numStartups": 3, "projects": {"/x": {}}}))
    assert _install(tmp_path, "--client", "claude-code", "--scope", "user").exit_code == 0
    data = json.loads((home / ".claude.json").read_text())
    assert data["numStartups"] == 3 and data["projects"] == {"/x": {}} and "coord" in data["mcpServers"]


def test_install_codex_toml(tmp_path: Path) -> None:
    home = tmp_path / "home"
    config = home / ".codex" / "config.toml"
    config.parent.mkdir(parents=True)
    original = ('model = "o4"\n\n[mcp_servers.docs]\ncommand = "npx"\nargs = ["-y", "docs"]\n\n'
                '[mcp_servers.coord]\n'
                'command = "old"\n\n[mcp_servers.coord.env]\nX = "1"\n\n[profiles.fast]\nmodel = "m"\n')
    config.write_text(original)
    dry = _install(tmp_path, "--client", "codex", "--dry-run")
    assert dry.exit_code == 0 and '-command = "old"' in dry.output and config.read_text() == original
    assert _install(tmp_path, "--client", "codex").exit_code == 0
    import tomllib

    text = config.read_text()
    data = tomllib.loads(text)
    assert data["model"] == "o4" and data["profiles"] == {"fast": {"model": "m"}}
    assert data["mcp_servers"]["docs"] == {"command": "npx", "args": ["-y", "docs"]}
    assert data["mcp_servers"]["coord"] == {"command": "coord", "args": ["mcp"],
                                            "env_vars": ["COORD_TOKEN", "COORD_DSN", "COORD_REPOSITORY"]}
    assert "no change" in _install(tmp_path, "--client", "codex").output and config.read_text() == text


def test_install_claude_code_with_hooks(tmp_path: Path) -> None:
    """--hooks writes the same hooks coord hook install writes, beside .mcp.json; again: no change."""
    settings = tmp_path / ".claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_text(json.dumps({"permissions": {"allow": ["Bash(ls:*)"]}}))
    dry = _install(tmp_path, "--client", "claude-code", "--hooks", "--dry-run")
    assert dry.exit_code == 0 and "coord hook claude-code" in dry.output
    assert json.loads(settings.read_text()) == {"permissions": {"allow": ["Bash(ls:*)"]}}
    assert _install(tmp_path, "--client", "claude-code", "--hooks").exit_code == 0
    data = json.loads(settings.read_text())
    assert data["permissions"] == {"allow": ["Bash(ls:*)"]}
    commands = {h["command"] for entries in data["hooks"].values() for e in entries for h in e["hooks"]}
    assert commands and all(c.startswith("coord hook claude-code") for c in commands)
    assert {"PreToolUse", "SessionStart", "SessionEnd"} <= set(data["hooks"])
    assert "coord" in json.loads((tmp_path / ".mcp.json").read_text())["mcpServers"]
    before = settings.read_text()
    again = _install(tmp_path, "--client", "claude-code", "--hooks")
    assert "hooks already installed" in again.output and settings.read_text() == before


def test_install_codex_new_file_and_hooks_flag(tmp_path: Path) -> None:
    plan = mcp_install.plan("codex", "user", project=tmp_path, home=tmp_path / "home")
    assert plan.before is None and plan.changed and "+[mcp_servers.coord]" in plan.diff()
    hooks = _install(tmp_path, "--client", "codex", "--hooks")
    assert hooks.exit_code != 0  # --hooks is Claude Code's


def test_heartbeats_keep_the_session_and_its_leases(committed_db: Database) -> None:
    agent = _principal(committed_db)
    other = _principal(committed_db)
    connections = mcp_server.Connections(committed_db.client_dsn)
    coordinator = mcp_server.Coordinator(connections)
    try:
        session = coordinator.session_for("stdio", agent.token)
        assert session is not None and session.session_id is not None
        assert coordinator.call(session, "acquire_lock", {"p_path": "src/hb.py", "p_ttl": "1 minute"})[0]["ok"]
        with committed_db.connect() as admin, Client(committed_db.client_dsn, other.token) as client:
            for _ in range(3):  # three ttls pass, each with a heartbeat at less than a ttl
                advance_clock(admin, "40 seconds")
                coordinator.beat_all(None)
            assert client.acquire_lock("src/hb.py").code == "busy"  # the lease lived on with the session
            advance_clock(admin, "61 seconds")  # no heartbeat: the session expires
            assert client.acquire_lock("src/hb.py").code == "granted"
            assert coordinator.heartbeat(session) == "session_ended"
            fresh = coordinator.session_for("stdio", agent.token)  # the connection goes on in a new session
            assert fresh is not None and fresh.session_id not in (None, session.session_id)
    finally:
        coordinator.end_all()
        connections.close()


def test_http_revoked_token_is_refused(committed_db: Database) -> None:
    agent = _principal(committed_db)
    seen: dict[str, Any] = {}
    with http_server(committed_db) as url:

        async def main() -> None:
            async with http_session(url, agent.token) as session:
                seen["before"] = (await session.call_tool("my_locks", {})).structured_content
                with committed_db.connect() as admin:
                    admin.execute("update coord.tokens set revoked_at = now() where id = %s", (agent.token_id,))
                seen["after"] = await session.call_tool("my_locks", {})

        with contextlib.suppress(Exception):  # closing the MCP session of a revoked token may fail
            anyio.run(main)
    assert seen["before"] == {"rows": []}
    refused = seen["after"]
    assert refused.is_error and json.loads(refused.content[0].text)["code"] == "PT401"



def test_resources_prompts_and_unknown_tools(committed_db: Database) -> None:
    operator = _principal(committed_db, "operator")
    agent = _principal(committed_db, "agent")

    async def main(token: str) -> dict[str, Any]:
        async with in_process(committed_db, token) as session:
            uris = [str(r.uri) for r in (await session.list_resources()).resources]
            seen: dict[str, Any] = {"uris": uris}
            for uri in uris:
                seen[uri] = json.loads((await session.read_resource(uri)).contents[0].text)
            seen["prompts"] = [p.name for p in (await session.list_prompts()).prompts]
            seen["unknown"] = await session.call_tool("no_such_function", {})
            seen["bad_arg"] = await session.call_tool("my_locks", {"p_nope": 1})
            return seen

    as_operator = anyio.run(main, operator.token)
    assert as_operator["uris"] == ["coord://session/context", "coord://leases/mine", "coord://tasks/ready",
                                   "coord://handoffs/latest", "coord://audit/recent"]
    assert any(e["action"] == "session.start" for e in as_operator["coord://audit/recent"])  # its own session
    assert as_operator["prompts"] == ["coordinate-file-edit", "start-work-session"]
    as_agent = anyio.run(main, agent.token)
    assert "coord://audit/recent" not in as_agent["uris"]  # an agent may not call query_audit
    (context,) = as_agent["coord://session/context"][0].values()  # one document
    assert set(context) >= {"handoff", "leases", "memories", "ready_tasks"}
    for answer in (as_agent["unknown"], as_agent["bad_arg"]):
        assert answer.is_error and json.loads(answer.content[0].text)["code"] == "42883"


def test_an_unknown_resource_or_prompt_is_a_clear_mcp_error(committed_db: Database) -> None:
    """Reading a URI that is none of the role's resources (unknown, or another role's) is MCP's
    resource-not-found error naming the resources there are; an unknown prompt names the prompts."""
    agent = _principal(committed_db)

    async def main() -> list[Any]:
        errors = []
        async with in_process(committed_db, agent.token) as session:
            for uri in ("coord://nope", "coord://audit/recent"):
                with pytest.raises(MCPError) as raised:
                    await session.read_resource(uri)
                errors.append(raised.value.error)
            with pytest.raises(MCPError) as raised:
                await session.get_prompt("no-such-prompt")
            errors.append(raised.value.error)
        return errors

    unknown, not_the_roles, prompt = anyio.run(main)
    for error, uri in ((unknown, "coord://nope"), (not_the_roles, "coord://audit/recent")):
        assert error.code == mcp_server.RESOURCE_NOT_FOUND, error
        assert uri in error.message and "coord://leases/mine" in error.message
        assert error.data == {"uri": uri, "resources": ["coord://session/context", "coord://leases/mine",
                                                        "coord://tasks/ready", "coord://handoffs/latest"]}
    assert prompt.code == -32602 and "coordinate-file-edit" in prompt.message


# --- the front door's edges: arguments, failures, principals, refused tokens -----------------------

def test_tool_arguments_have_the_json_types_of_the_input_schema(committed_db: Database) -> None:
    """A tool call's arguments must have the JSON types its input schema names: no text form
    (coord call's name=value) for a number, an interval or a list, so every path in a list is a
    string the server can map to the repository root (22P02 otherwise, nothing written)."""
    agent = _principal(committed_db)

    async def main() -> list[Any]:
        async with in_process(committed_db, agent.token) as session:
            return [await session.call_tool(name, arguments) for name, arguments in [
                ("acquire_lock", {"p_path": "src/t.py", "p_ttl": 600}),
                ("release_lock", {"p_path": "src/t.py", "p_fence": "1"}),
                ("check_locks", {"p_paths": "{src/t.py,../x}"}),
                ("check_locks", {"p_paths": ["src/t.py", 7]}),
                ("acquire_lock", {"p_path": "src/t.py", "p_ttl": "5 minutes"})]]

    *refused, granted = anyio.run(main)
    for answer in refused:
        assert answer.is_error and json.loads(answer.content[0].text)["code"] == "22P02", answer
    assert granted.structured_content["code"] == "granted"


def test_a_failure_of_the_server_in_a_tool_call_is_a_registered_error(committed_db: Database,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever goes wrong in the server during a tool call (here a bug planted in the path
    mapping) is a tool error with a registered code (CO551) and a hint, not a bare protocol
    error, and the connection goes on."""
    agent = _principal(committed_db)

    def broken(self: mcp_server.Coordinator, arguments: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("a bug")

    async def main() -> tuple[Any, Any]:
        async with in_process(committed_db, agent.token) as session:
            with monkeypatch.context() as patch:
                patch.setattr(mcp_server.Coordinator, "repository_paths", broken)
                failed = await session.call_tool("acquire_lock", {"p_path": "src/f.py"})
            return failed, await session.call_tool("acquire_lock", {"p_path": "src/f.py"})

    failed, after = anyio.run(main)
    error = json.loads(failed.content[0].text)
    assert failed.is_error and error["code"] == "CO551" and error["hint"] and "RuntimeError" in error["detail"]
    assert after.structured_content["code"] == "granted"


def _http_post(url: str, token: str, message: dict[str, Any], session: str | None = None) -> httpx2.Response:
    headers = {"accept": "application/json, text/event-stream", "content-type": "application/json",
               "authorization": f"Bearer {token}", "mcp-protocol-version": "2025-06-18"}
    if session:
        headers["mcp-session-id"] = session
    return httpx2.post(url, json=message, headers=headers, timeout=60)


def _http_result(response: httpx2.Response) -> dict[str, Any]:
    text = response.text
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        text = next(line[5:] for line in text.splitlines() if line.startswith("data:"))
    return json.loads(text)["result"]


def test_an_http_mcp_session_serves_only_the_principal_that_opened_it(committed_db: Database) -> None:
    """Every request on an MCP session id must come from the principal that opened it: another
    agent who learns the id gets 404 (as for no session) for a call as for a DELETE, and the
    owner goes on in its own coord session. The sessions start in --repository
    (COORD_REPOSITORY)."""
    a = _principal(committed_db, name="owner")
    b = _principal(committed_db, name="intruder")
    with http_server(committed_db, COORD_REPOSITORY="shop") as url:
        init = _http_post(url, a.token, {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}})
        session = init.headers["mcp-session-id"]
        _http_post(url, a.token, {"jsonrpc": "2.0", "method": "notifications/initialized"}, session)
        call = {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                "params": {"name": "acquire_lock", "arguments": {"p_path": "src/o.py"}}}
        got = _http_result(_http_post(url, a.token, call, session))["structuredContent"]
        assert (got["code"], got["repository"]) == ("granted", "shop")
        intruding = _http_post(url, b.token, {**call, "id": 3}, session)
        assert intruding.status_code == 404, intruding.text
        assert _sessions(committed_db, b) == []  # no coord session of b's on a's MCP session
        renewed = _http_result(_http_post(url, a.token, {**call, "id": 4}, session))["structuredContent"]
        assert renewed["code"] == "renewed" and renewed["fence"] == got["fence"]


def test_stdio_stops_when_the_database_refuses_its_token(committed_db: Database) -> None:
    """A revoked token is refused on the next heartbeat (one critical auth.revoked_token event):
    the stdio server stops heartbeating, says why on stderr and exits 77 (PT401), rather than
    presenting the revoked token on every beat until it is killed."""
    agent = _principal(committed_db)
    proc = subprocess.Popen([COORD, "mcp", "--ttl", "3 seconds"], env=_server_env(committed_db, agent.token),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert _rpc(proc, {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}})
        _rpc(proc, {"jsonrpc": "2.0", "method": "notifications/initialized"})
        with committed_db.connect() as admin:
            admin.execute("update coord.tokens set revoked_at = now() where id = %s", (agent.token_id,))
        assert proc.wait(timeout=60) == 77  # the heartbeat every second finds the token revoked
        assert proc.stderr is not None
        stderr = proc.stderr.read().decode()
        assert "PT401" in stderr and "refused the token" in stderr, stderr
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=60)
    with committed_db.connect() as admin:
        row = admin.execute("select count(*) from audit.events where action = 'auth.revoked_token' "
                            "and target_id = %s", (str(agent.token_id),)).fetchone()
    assert row is not None and row[0] == 1


def test_sessions_run_the_skill_the_server_was_started_with(committed_db: Database) -> None:
    """coord mcp --skill NAME@VERSION: every session it starts runs the skill, so its tools are
    held to the manifest."""
    agent = _principal(committed_db)
    with committed_db.connect() as conn:
        ops = make_principal(conn, f"mcp-skill-ops-{agent.name}", role="operator")
    with Client(committed_db.client_dsn, ops.token) as client:
        assert client.register_skill("mcp-skill", "1.0.0", {"files": [{"path": "src/", "access": "write"}]}).ok
    connections = mcp_server.Connections(committed_db.client_dsn)
    coordinator = mcp_server.Coordinator(connections, skill="mcp-skill@1.0.0")
    try:
        session = coordinator.session_for("stdio", agent.token)
        assert session is not None and session.session_id is not None
        assert coordinator.call(session, "acquire_lock", {"p_path": "src/in.py"})[0]["code"] == "granted"
        refused = coordinator.call(session, "acquire_lock", {"p_path": "infra/out.tf"})[0]
        assert (refused["code"], refused["details"]["skill"]) == ("outside_skill", "mcp-skill@1.0.0")
    finally:
        coordinator.end_all()
        connections.close()
