"""Attacks on the front door (hooks, MCP server, session run, JWT, repositories) that succeed today.

Every test here reproduces one finding of the attack review and fails on the code it was written
against; each docstring names the promise it breaks.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx2
import psycopg
import pytest

from coordinator.client import Client
from tests.conftest import Database, Principal, make_principal
from tests.hook_support import Hook, decision, event
from tests.test_mcp import _rpc, http_server

COORD = str(Path(sys.executable).parent / "coord")


# --- hooks -------------------------------------------------------------------------------------------

def test_web_fetch_backslash_userinfo_reaches_a_denied_host(hook: Hook, repo: Path, committed_db: Database) -> None:
    """docs/hooks.md: WebFetch is decided by check_network on the host of tool_input.url, and the
    adapter never fails open. Claude Code fetches with the WHATWG URL parser, for which `\\` in an
    http(s) URL ends the authority: https://pastebin.com\\@docs.python.org/x fetches pastebin.com
    (node -e 'console.log(new URL("https://pastebin.com\\\\@docs.python.org/x").hostname)'). The
    hook asks urllib.parse.urlsplit, which reads everything before @ as user info and checks
    docs.python.org, an allowed host: the fetch of a denied host is allowed silently."""
    with committed_db.connect() as conn:
        ops = make_principal(conn, "ops", role="operator")
    with Client(committed_db.client_dsn, ops.token) as client:
        assert client.add_network_rule("pastebin.com", "deny", reason="exfiltration").ok
        assert client.add_network_rule("docs.python.org", "allow").ok
    code, output, _ = hook(event("pre_tool_use_web_fetch", repo,
                                 tool_input={"url": "https://pastebin.com\\@docs.python.org/raw/abc123"}))
    assert code == 0 and decision(output)[0] in ("deny", "ask"), (code, output)


# --- MCP over HTTP ----------------------------------------------------------------------------------

_ACCEPT = {"accept": "application/json, text/event-stream", "content-type": "application/json"}


def _post(url: str, token: str, message: dict[str, Any], session: str | None = None) -> httpx2.Response:
    headers = {**_ACCEPT, "authorization": f"Bearer {token}", "mcp-protocol-version": "2025-06-18"}
    if session:
        headers["mcp-session-id"] = session
    return httpx2.post(url, json=message, headers=headers, timeout=60)


def _body(response: httpx2.Response) -> dict[str, Any]:
    text = response.text
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        text = next(line[5:] for line in text.splitlines() if line.startswith("data:"))
    return json.loads(text)


def _open(url: str, token: str) -> str:
    init = _post(url, token, {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "attack", "version": "0"}}})
    assert init.status_code == 200, init.text
    session = init.headers["mcp-session-id"]
    _post(url, token, {"jsonrpc": "2.0", "method": "notifications/initialized"}, session)
    return session


def _live_sessions(database: Database, principal: Principal) -> int:
    with database.connect() as conn:
        row = conn.execute("select count(*) from coord.sessions where agent_id = %s and ended_at is null",
                           (principal.principal_id,)).fetchone()
    assert row is not None
    return int(row[0])


def test_another_agent_can_delete_my_http_mcp_session(committed_db: Database) -> None:
    """coordinator/mcp_server.py: over HTTP "a session is started for each (MCP session id,
    token)", and one agent must not act on another's session. The bearer gate only checks that
    the DELETE carries *a* valid token, ends (id, deleter's token) -- nothing -- and passes the
    DELETE to the SDK, which terminates the MCP session of that id whoever owns it. Agent B (any
    tenant) who learns A's Mcp-Session-Id kills A's connection; A's coord session is not ended
    (it keeps being heartbeated, leases held, until the 30 minute idle timeout)."""
    with committed_db.connect() as conn:
        a = make_principal(conn, "agent-a")
        b = make_principal(conn, "agent-b", tenant="t2")
    with http_server(committed_db) as url:
        session_a = _open(url, a.token)
        got = _body(_post(url, a.token, {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
            "name": "acquire_lock", "arguments": {"p_path": "src/x.py", "p_ttl": "10 minutes"}}}, session_a))
        assert got["result"]["structuredContent"]["code"] == "granted", got
        deleted = httpx2.request("DELETE", url, headers={"authorization": f"Bearer {b.token}",
                                                         "mcp-session-id": session_a,
                                                         "mcp-protocol-version": "2025-06-18"}, timeout=60)
        after = _post(url, a.token, {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {
            "name": "my_locks", "arguments": {}}}, session_a)
        assert deleted.status_code >= 400 and after.status_code == 200, (deleted.status_code, after.status_code,
                                                                         after.text[:200])


# --- MCP over stdio: paths ---------------------------------------------------------------------------

def test_stdio_mcp_started_in_a_subdirectory_leases_the_wrong_file(committed_db: Database, alice: Principal,
                                                                    repo: Path, hook: Hook,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The MCP prompt coordinate-file-edit tells the agent its path argument is "the file
    (relative to the repository root)", and the tool descriptions speak of repository paths;
    the stdio server resolves a relative p_path against the directory it was started in. Claude
    Code started in a subdirectory (pkg/) starts the project's MCP server there: the agent leases
    "src/app.py" as told and gets pkg/src/app.py, while another agent's edit of
    <repo>/src/app.py through the hook is granted. Two agents edit one file."""
    from coordinator import mcp_server

    (repo / "pkg").mkdir()
    prompt = mcp_server.PROMPTS["coordinate-file-edit"][1][0].description or ""
    assert "relative to the repository root" in prompt
    with committed_db.connect() as conn:
        bob = make_principal(conn, "bob-mcp")
    monkeypatch.chdir(repo / "pkg")
    connections = mcp_server.Connections(committed_db.client_dsn)
    coordinator = mcp_server.Coordinator(connections, root=repo)
    try:
        session = coordinator.session_for("stdio", bob.token)
        assert session is not None
        [row] = coordinator.call(session, "acquire_lock", {"p_path": "src/app.py", "p_ttl": "10 minutes"})
        assert row["code"] == "granted"
        code, output, _ = hook(event("pre_tool_use_edit", repo))
        assert (row["path"], decision(output)[0]) == ("src/app.py", "deny"), (row["path"], code, output)
    finally:
        coordinator.end_all()
        coordinator.close()


def test_coord_mcp_ignores_coord_repository_so_hook_and_mcp_leases_never_meet(
        committed_db: Database, repo: Path, tmp_path: Path) -> None:
    """docs: coord session start/run and coord hook claude-code take --repository
    (COORD_REPOSITORY), and leases overlap only within one repository. coord mcp has no
    --repository and its session start names none, so with COORD_REPOSITORY=shop in the
    environment both share, the MCP agent leases src/app.py in the token's repository
    ('default') and the hook agent's edit of the same file in 'shop' is granted: two agents
    edit one file."""
    with committed_db.connect() as conn:
        mcp_agent = make_principal(conn, "mcp-agent")
        hook_agent = make_principal(conn, "hook-agent")
    env = {k: v for k, v in os.environ.items() if not k.startswith("COORD_")}
    env.update(COORD_DSN=committed_db.client_dsn, COORD_TOKEN=mcp_agent.token, COORD_REPOSITORY="shop",
               COORD_ROOT=str(repo))
    proc = subprocess.Popen([COORD, "mcp", "--ttl", "60 seconds"], env=env, cwd=repo,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert _rpc(proc, {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}})
        _rpc(proc, {"jsonrpc": "2.0", "method": "notifications/initialized"})
        reply = _rpc(proc, {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
            "name": "acquire_lock", "arguments": {"p_path": "src/app.py", "p_ttl": "10 minutes"}}})
        assert reply and reply["result"]["structuredContent"]["code"] == "granted", reply
        hook = Hook(committed_db.client_dsn, hook_agent.token, tmp_path / "state")
        hook.env["COORD_REPOSITORY"] = "shop"
        code, output, _ = hook(event("pre_tool_use_edit", repo))
        assert (reply["result"]["structuredContent"]["repository"], decision(output)[0]) == ("shop", "deny"), (
            reply["result"]["structuredContent"], code, output)
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def test_the_mcp_server_keeps_presenting_a_revoked_token_raising_critical_events(committed_db: Database) -> None:
    """docs/security.md: the use of a revoked token is audited (auth.revoked_token, critical) and
    alerted, so an operator who revokes a leaked token sees whoever still holds it. The MCP
    server keeps a revoked token's coord session in its table and heartbeats it every third of
    the ttl (stdio: until the process exits; HTTP: until 30 minutes idle), each heartbeat a
    refused PT401 it logs and retries: one critical event per beat that nobody but the server
    made, and the real attacker's attempts drown in them."""
    from coordinator import mcp_server

    with committed_db.connect() as conn:
        agent = make_principal(conn, "leaked")
    connections = mcp_server.Connections(committed_db.client_dsn)
    coordinator = mcp_server.Coordinator(connections)
    try:
        session = coordinator.session_for("stdio", agent.token)
        assert session is not None and session.session_id is not None
        with committed_db.connect() as conn:
            conn.execute("update coord.tokens set revoked_at = now() where id = %s", (agent.token_id,))
        for _ in range(5):
            coordinator.beat_all(None)
        with committed_db.connect() as conn:
            row = conn.execute("select count(*) from audit.events where action = 'auth.revoked_token' "
                               "and target_id = %s", (str(agent.token_id),)).fetchone()
        assert row is not None and row[0] <= 1, f"{row[0]} critical revoked-token events from the server's heartbeats"
    finally:
        coordinator.end_all()
        coordinator.close()


# --- JWT mode ----------------------------------------------------------------------------------------

def test_a_jwt_with_an_out_of_range_number_is_not_pt401(db: psycopg.Connection) -> None:
    """coord.jwt_claims: "Anything else is PT401" (docs/security.md: a bad JWT is a 401). A JWT
    whose header or payload holds a number past numeric's range ({"exp": 1e200000}, 8
    characters) fails while its JSON is parsed, before the signature is checked, with 22003
    numeric_value_out_of_range: HTTP 400 with a hint about integer arguments, from a caller that
    sent no valid credential at all (the exception block catches the other parse errors only)."""
    from coordinator.errors import CoordError

    forged = db.execute("select coord.base64url_encode(convert_to('{\"alg\":\"HS256\",\"typ\":\"JWT\"}', 'UTF8')) "
                        "|| '.' || coord.base64url_encode(convert_to('{\"exp\":1e200000}', 'UTF8')) || '.AAAA'"
                        ).fetchone()
    assert forged is not None
    with pytest.raises(CoordError) as refused:
        Client(connection=db, token=forged[0]).my_locks()
    assert refused.value.code == "PT401", (refused.value.code, refused.value.message)


# --- MCP tool calls with odd arguments ----------------------------------------------------------------

def _stdio_calls(database: Database, root: Path, calls: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    """The stdio server (with a repository root) on memory streams; each call's CallToolResult,
    or the exception the client got instead."""
    import anyio
    from mcp.client.session import ClientSession

    from coordinator import mcp_server

    with database.connect() as conn:
        agent = make_principal(conn, "odd-args")
    server, coordinator = mcp_server.stdio_server_for(database.client_dsn, agent.token, root=root)
    answers: list[Any] = []

    async def main() -> None:
        client_send, server_receive = anyio.create_memory_object_stream(100)
        server_send, client_receive = anyio.create_memory_object_stream(100)
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(mcp_server.run_connection, server, coordinator, server_receive, server_send)
            async with ClientSession(client_receive, client_send) as session:
                await session.initialize()
                for name, arguments in calls:
                    try:
                        answers.append(await session.call_tool(name, arguments))
                    except Exception as exc:  # what the client got instead of a tool result
                        answers.append(exc)
            await client_send.aclose()

    try:
        anyio.run(main)
    finally:
        coordinator.close()
    return answers


def test_a_non_string_path_skips_the_root_mapping_and_leases_its_json_text(committed_db: Database,
                                                                           repo: Path) -> None:
    """mcp_server.Coordinator.repository_paths maps p_path only when it is a string; the input
    schema says string but nothing enforces it. p_path ["src/app.py"] is passed on unmapped,
    json_to_record reads the array's JSON text as the path, and the agent is told "granted" on
    a lease of the file named '["src/app.py"]', not on src/app.py: it edits unprotected."""
    [answer] = _stdio_calls(committed_db, repo, [("acquire_lock", {"p_path": ["src/app.py"]})])
    body = answer.structured_content or {}
    assert answer.is_error or body.get("path") == "src/app.py", body


def test_a_nul_in_a_path_is_not_a_registered_error(committed_db: Database, repo: Path) -> None:
    """mcp_server: "a registered error [is] an MCP tool error (isError) carrying its code, message
    and hint". A NUL in p_path makes Path.resolve raise ValueError inside resolve_path, which
    call_in_thread does not catch: the client gets a JSON-RPC error with code 0 and the bare
    text "embedded null byte", no coord code or hint."""
    [answer] = _stdio_calls(committed_db, repo, [("acquire_lock", {"p_path": "src/a\x00b.py"})])
    assert not isinstance(answer, Exception), repr(answer)
    assert answer.is_error and json.loads(answer.content[0].text)["code"], answer


def test_session_plumbing_that_is_not_a_tool_can_still_be_called(committed_db: Database, repo: Path) -> None:
    """sql.MCP_TOOLS leaves start_session, heartbeat and end_session out of the tools: the
    connection is the session. call_in_thread falls back to any api function the catalog knows,
    and the database runs them: an agent's end_session ends the connection's coord session
    (its leases released under it) and start_session leaves sessions nobody heartbeats."""
    answers = _stdio_calls(committed_db, repo, [("end_session", {}), ("start_session", {})])
    assert all(not isinstance(a, Exception) and a.is_error for a in answers), [
        a if isinstance(a, Exception) else a.content[0].text[:120] for a in answers]


def test_a_new_token_on_the_same_http_mcp_session_is_busy_against_its_own_leases(committed_db: Database) -> None:
    """docs/mcp.md / mcp_server: "each MCP connection is one coord session". Over HTTP the coord
    session is keyed by (MCP session id, token), so an agent whose client swaps in a fresh token
    on the same connection (a JWT reissued before its exp, a rotated opaque token) gets a second
    coord session: the first keeps its leases (heartbeated by the server until 30 minutes idle)
    and the agent's own next edit of the file it holds is busy against itself."""
    from coordinator import mcp_server

    with committed_db.connect() as conn:
        first = make_principal(conn, "rotating")
        row = conn.execute("select token from coord.issue_token(%s, %s)",
                           (first.tenant_id, first.principal_id)).fetchone()
    assert row is not None
    connections = mcp_server.Connections(committed_db.client_dsn, pool_size=2)
    coordinator = mcp_server.Coordinator(connections)
    try:
        before = coordinator.session_for("mcp-session-1", first.token)
        assert before is not None
        [got] = coordinator.call(before, "acquire_lock", {"p_path": "src/r.py", "p_ttl": "10 minutes"})
        assert got["code"] == "granted"
        after = coordinator.session_for("mcp-session-1", row[0])
        assert after is not None
        [again] = coordinator.call(after, "acquire_lock", {"p_path": "src/r.py", "p_ttl": "10 minutes"})
        assert again["code"] in ("granted", "renewed"), (again["code"], again.get("holder_name"))
    finally:
        coordinator.end_all()
        coordinator.close()


def test_a_server_that_never_answers_outlasts_the_hook_timeout_and_the_tool_runs(repo: Path, tmp_path: Path) -> None:
    """docs/hooks.md: the adapter answers every PreToolUse it cannot decide with the --on-error
    decision "never a silent allow". Claude Code's hooks reference: "A timed-out command ... hook
    doesn't block the tool call", and coord hook install sets "timeout": 30. Nothing bounds the
    hook's own wait: no connect_timeout, no statement_timeout. A database host that drops
    packets (VPN down, suspended VM) or a server that accepts and never answers (stopped,
    overloaded, a stuck pooler) keeps the hook waiting past 30 s: Claude Code kills it and runs
    the denied command. (Here: a socket that accepts TCP and never speaks.)"""
    import socket

    from coord_cli.hooks import claude_code_hooks

    limit = claude_code_hooks()["PreToolUse"][0]["hooks"][0]["timeout"]
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)  # the kernel completes the handshake; nobody ever answers
        port = silent.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith("COORD_")}
        env.update(COORD_DSN=f"postgresql://coord@127.0.0.1:{port}/coord", COORD_TOKEN="coord_" + "1" * 64,
                   XDG_STATE_HOME=str(tmp_path / "state"))
        try:
            proc = subprocess.run([COORD, "hook", "claude-code", "--on-error", "deny"],
                                  input=event("pre_tool_use_bash_rm_rf", repo).encode(), env=env,
                                  capture_output=True, timeout=limit, check=False)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"no answer within the hook's {limit} s timeout: Claude Code runs the tool") from None
    assert proc.returncode in (0, 2), proc


def test_a_lone_surrogate_turns_a_guardrail_deny_into_ask(hook: Hook, repo: Path) -> None:
    """docs/hooks.md: Bash is checked with check_operation and a blocked command is denied. The
    event's JSON may carry a lone UTF-16 surrogate ("\\ud800", which JSON.parse accepts and
    Node writes to bash as U+FFFD, so the command runs). json.loads keeps it, psycopg cannot
    encode it, and the adapter answers the --on-error decision (ask by default) instead of the
    guardrail's deny: a prompt-injected model turns every deny into a question to the user."""
    raw = event("pre_tool_use_bash_rm_rf", repo).replace('"rm -rf /', '"rm -rf / #\\ud800', 1)
    assert json.loads(raw)["tool_input"]["command"].startswith("rm -rf / #\ud800")
    code, output, _ = hook(raw)
    assert (code, decision(output)[0]) == (0, "deny"), (code, output)
