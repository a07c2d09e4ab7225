"""coord hook claude-code with recorded Claude Code hook events (tests/fixtures/claude_code), against
a committed test database: what each event decides, that the leases of an edit belong to the
Claude Code session and end with it, and that the adapter never fails open. Also coord hook
install (.claude/settings.json, idempotent, other keys kept)."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner
from coord_cli.hooks import DEFAULT_DEADLINE_SECONDS, HOOK_TIMEOUT_SECONDS, claude_code_hooks, install_claude_code_hooks
from coord_cli.main import main

from coordinator.client import Client
from coordinator.errors import CoordError
from tests.conftest import Database, Principal, make_principal, poll_until
from tests.hook_support import Hook, decision, event

CLAUDE_SESSION = "7f3c2a9e-4b1d-4c8e-9a2f-1d5e6b7c8a90"
UNREACHABLE = "host=127.0.0.1 port=1 dbname=coord user=coord connect_timeout=3"
FORGED_TOKEN = "coord_" + "0" * 64


def mapped_session(tmp_path: Path) -> str:
    return json.loads((tmp_path / "state" / "coord" / "claude-code" / f"{CLAUDE_SESSION}.json").read_text())[
        "session_id"]


def leases(database: Database, path: str) -> list[tuple[Any, ...]]:
    with database.connect() as conn:
        return conn.execute("select holder_id, session_id, fence from coord.locks where path = %s",
                            (path,)).fetchall()


def test_bash_rm_rf_root_is_denied_naming_the_rule(hook: Hook, repo: Path, committed_db: Database,
                                                   alice: Principal) -> None:
    code, output, _ = hook(event("pre_tool_use_bash_rm_rf", repo))
    verdict, reason = decision(output)
    assert code == 0 and verdict == "deny"
    with Client(committed_db.client_dsn, alice.token) as client:
        rules = [m["name"] for m in client.check_operation("command", "rm -rf /").matches]
    assert rules and all(rule in reason for rule in rules), reason
    allowed = hook(event("pre_tool_use_bash_rm_rf", repo, tool_input={"command": "ls -la src"}))
    assert allowed == (0, None, "")


def test_a_file_another_agent_holds_is_denied_naming_the_holder(hook: Hook, repo: Path,
                                                                committed_db: Database) -> None:
    with committed_db.connect() as conn:
        bob = make_principal(conn, "bob-codex")
    with Client(committed_db.client_dsn, bob.token) as client:
        assert client.acquire_lock("src/", ttl="10 minutes").code == "granted"
    code, output, _ = hook(event("pre_tool_use_edit", repo))
    verdict, reason = decision(output)
    assert code == 0 and verdict == "deny"
    assert "src/app.py is leased by bob-codex" in reason and "lease on src/" in reason and "expires 20" in reason


def test_own_file_is_allowed_and_renewed_in_the_session(hook: Hook, repo: Path, committed_db: Database,
                                                        alice: Principal, tmp_path: Path) -> None:
    assert hook(event("pre_tool_use_edit", repo)) == (0, None, "")
    session = mapped_session(tmp_path)
    [(holder, held_in, fence)] = leases(committed_db, "src/app.py")
    assert (holder, str(held_in)) == (alice.principal_id, session)
    assert hook(event("pre_tool_use_edit", repo, tool_name="MultiEdit")) == (0, None, "")
    assert leases(committed_db, "src/app.py") == [(holder, held_in, fence)], "renewed: same lease, same fence"
    with committed_db.connect() as conn:
        renewed = conn.execute("select count(*) from audit.events where action = 'lock.acquire' "
                               "and decision = 'renewed'").fetchone()
    assert renewed == (1,)


def test_relative_symlinked_and_directory_paths_of_a_notebook_edit(hook: Hook, repo: Path,
                                                                   committed_db: Database) -> None:
    (repo / "notebooks").mkdir()
    (repo / "notebooks" / "eda.ipynb").write_text("{}")
    (repo / "nb").symlink_to(repo / "notebooks")
    raw = event("pre_tool_use_edit", repo, tool_name="NotebookEdit",
                tool_input={"notebook_path": str(repo / "nb" / "eda.ipynb"), "new_source": "1 + 1"})
    assert hook(raw) == (0, None, "")
    assert len(leases(committed_db, "notebooks/eda.ipynb")) == 1


def test_web_fetch_to_a_blocked_host_is_denied(hook: Hook, repo: Path, committed_db: Database) -> None:
    with committed_db.connect() as conn:
        ops = make_principal(conn, "ops", role="operator")
    with Client(committed_db.client_dsn, ops.token) as client:
        assert client.add_network_rule("pastebin.com", "deny", reason="exfiltration").ok
        assert client.add_network_rule("docs.python.org", "allow").ok  # the tenant default is deny
    code, output, _ = hook(event("pre_tool_use_web_fetch", repo))
    verdict, reason = decision(output)
    assert code == 0 and verdict == "deny" and "pastebin.com" in reason
    assert hook(event("pre_tool_use_web_fetch", repo, tool_input={"url": "https://docs.python.org/3/"})) == (
        0, None, "")


def test_session_start_returns_handoff_leases_memories_and_ready_tasks(
        hook: Hook, repo: Path, committed_db: Database, alice: Principal, tmp_path: Path) -> None:
    with Client(committed_db.client_dsn, alice.token) as client:
        assert client.write_handoff("Refactor of the cart is half done", next_steps=["finish cart totals"],
                                    to_agent=alice.name).ok
        task = client.submit_task("review", {"pr": 7}).task_id
        assert client.remember("procedural", "cart totals are kept in cents").ok
    with committed_db.connect() as conn:
        ops, bob = make_principal(conn, "msg-ops", role="operator"), make_principal(conn, "bob")
    with Client(committed_db.client_dsn, ops.token) as client:
        assert client.set_message_default("allow").ok
    with Client(committed_db.client_dsn, bob.token) as client:
        assert client.send_message(alice.name, "please look at PR 7", subject="review").code == "sent"
    code, output, _ = hook(event("session_start", repo))
    assert code == 0 and output is not None
    first = output["hookSpecificOutput"]
    assert first["hookEventName"] == "SessionStart"
    session = mapped_session(tmp_path)
    assert session in first["additionalContext"]
    assert "Refactor of the cart is half done" in first["additionalContext"]
    assert "finish cart totals" in first["additionalContext"]
    assert f"task {task} review" in first["additionalContext"]
    assert "- [procedural, " in first["additionalContext"]
    assert "cart totals are kept in cents" in first["additionalContext"]
    assert "Unread messages: 1" in first["additionalContext"]
    assert "from bob: review: please look at PR 7" in first["additionalContext"]

    assert hook(event("pre_tool_use_edit", repo)) == (0, None, "")
    _, resumed, _ = hook(event("session_start", repo, source="resume"))
    assert resumed is not None
    assert mapped_session(tmp_path) == session, "a resumed Claude Code session keeps its coord session"
    assert "- src/app.py (exclusive" in resumed["hookSpecificOutput"]["additionalContext"]


def test_session_end_releases_the_leases_and_stop_does_not(hook: Hook, repo: Path, committed_db: Database,
                                                           tmp_path: Path) -> None:
    assert hook(event("session_start", repo))[0] == 0
    assert hook(event("pre_tool_use_edit", repo)) == (0, None, "")
    session = mapped_session(tmp_path)
    assert hook(event("stop", repo)) == (0, None, "")
    assert len(leases(committed_db, "src/app.py")) == 1, "Stop ends a turn, not the session"
    assert hook(event("session_end", repo)) == (0, None, "")
    assert leases(committed_db, "src/app.py") == []
    with committed_db.connect() as conn:
        ended = conn.execute("select end_reason is not null from coord.sessions where id = %s", (session,)).fetchone()
    assert ended == (True,)
    assert not (tmp_path / "state" / "coord" / "claude-code" / f"{CLAUDE_SESSION}.json").exists()


@pytest.mark.parametrize("broken", ["server_down", "bad_token"])
@pytest.mark.parametrize("on_error", ["ask", "deny"])
def test_when_coord_cannot_decide_the_answer_is_on_error_never_allow(
        committed_db: Database, repo: Path, tmp_path: Path, broken: str, on_error: str) -> None:
    with committed_db.connect() as conn:
        token = make_principal(conn).token
    hook = Hook(UNREACHABLE, token, tmp_path / "state") if broken == "server_down" else \
        Hook(committed_db.client_dsn, FORGED_TOKEN, tmp_path / "state")
    flags = () if on_error == "ask" else ("--on-error", "deny")
    for name in ("pre_tool_use_edit", "pre_tool_use_bash_rm_rf", "pre_tool_use_web_fetch"):
        code, output, _ = hook(event(name, repo), *flags)
        verdict, reason = decision(output)
        assert code == 0 and verdict == on_error, (name, output)
        assert "coord could not decide" in reason and ("08000" if broken == "server_down" else "PT401") in reason
    code, output, _ = hook(event("session_start", repo), *flags)
    assert code == 0 and output is not None and "unavailable" in output["hookSpecificOutput"]["additionalContext"]
    code, _, stderr = hook(event("stop", repo), *flags)
    assert code == 1 and "coord could not decide" in stderr
    assert hook(event("pre_tool_use_read", repo), *flags) == (0, None, ""), "ungated tools need no server"
    notification = {"session_id": CLAUDE_SESSION, "hook_event_name": "Notification", "message": "waiting"}
    assert hook(json.dumps(notification), *flags) == (0, None, ""), "events coord has no part in need nothing"


def test_a_path_outside_the_repository_is_denied_with_a_clear_reason(hook: Hook, repo: Path) -> None:
    code, output, _ = hook(event("pre_tool_use_write_outside", repo))
    verdict, reason = decision(output)
    assert code == 0 and verdict == "deny"
    assert "/etc/hosts is outside the repository" in reason and str(repo) in reason


def test_refusals_of_what_no_lease_guardrail_or_host_rule_can_name_are_audited(
        hook: Hook, repo: Path, committed_db: Database, alice: Principal) -> None:
    """A NUL in a Bash command or a file path, a command longer than a guardrail reads, a path
    outside the repository and a URL whose host cannot be told are decided by the database
    (guardrail check of kind command or path, network check of the URL), so each denial leaves an
    audit event naming the agent."""
    cases = [
        (event("pre_tool_use_bash_rm_rf", repo, tool_input={"command": "ls \x00; echo hi"}),
         "guardrail.check", "command", "NUL"),
        (event("pre_tool_use_edit", repo, tool_input={"file_path": str(repo / "src" / "a\x00b.py"),
                                                      "old_string": "", "new_string": "x"}),
         "guardrail.check", "path", "NUL"),
        (event("pre_tool_use_bash_rm_rf", repo, tool_input={"command": "echo " + "x" * 10000 + "; rm -rf ~"}),
         "guardrail.check", "command", "longer than the 10000"),
        (event("pre_tool_use_write_outside", repo), "guardrail.check", "path", "edit-outside-repository"),
        (event("pre_tool_use_web_fetch", repo, tool_input={"url": "https://pastebin.com\\@docs.python.org/x",
                                                           "prompt": "x"}),
         "network.check", "url", "cannot be told for certain"),
    ]
    with committed_db.connect() as conn:
        for raw, action, target_type, why in cases:
            [last] = conn.execute("select coalesce(max(id), 0) from audit.events").fetchone()
            code, output, _ = hook(raw)
            verdict, reason = decision(output)
            assert (code, verdict) == (0, "deny") and why in reason, (raw, output)
            rows = conn.execute("select decision, reason from audit.events where id > %s and action = %s "
                                "and %s in (target_type, target_id) and actor_id = %s", (last, action, target_type,
                                                                           alice.principal_id)).fetchall()
            assert [d for d, _ in rows] == ["blocked" if action == "guardrail.check" else "denied"], (why, rows)
            assert why in rows[0][1], rows


def test_a_malformed_event_gets_the_on_error_decision(hook: Hook, repo: Path) -> None:
    code, output, _ = hook("{not json")
    verdict, reason = decision(output)
    assert code == 0 and verdict == "ask" and "not JSON" in reason
    code, output, stderr = hook("{not json", "--on-error", "deny")
    assert code == 2 and output is None and "not JSON" in stderr, "exit 2 blocks whatever the event was"
    code, output, stderr = hook("[]", "--on-error", "deny")
    assert code == 2 and output is None and "no hook_event_name" in stderr
    no_input = json.loads(event("pre_tool_use_edit", repo))
    del no_input["tool_input"]
    verdict, reason = decision(hook(json.dumps(no_input), "--on-error", "deny")[1])
    assert verdict == "deny" and "no tool_input" in reason
    verdict, reason = decision(hook(event("pre_tool_use_edit", repo, session_id="../../etc/passwd"))[1])
    assert verdict == "ask" and "no valid session_id" in reason
    # a new session whose directory is in no repository (an older session keeps the root it started in)
    verdict, reason = decision(hook(event("pre_tool_use_edit", repo, cwd=str(repo.parent), session_id="fresh"))[1])
    assert verdict == "ask" and "CO542" in reason, "no repository at cwd: the path cannot be mapped"


def test_install_writes_the_hooks_idempotently_keeping_other_settings(repo: Path) -> None:
    settings = repo / ".claude" / "settings.json"
    settings.parent.mkdir()
    mine = {"matcher": "Write", "hooks": [{"type": "command", "command": "./format.sh"}]}
    settings.write_text(json.dumps({"model": "opus", "hooks": {"PreToolUse": [mine]}}, indent=2) + "\n")

    preview = install_claude_code_hooks(repo, "project", dry_run=True)
    assert preview.startswith(f"--- a/{settings}") and "+        \"matcher\": \"Bash|Edit|Write" in preview
    assert json.loads(settings.read_text())["hooks"] == {"PreToolUse": [mine]}, "a dry run writes nothing"

    assert install_claude_code_hooks(repo, "project") == preview
    written = json.loads(settings.read_text())
    assert written["model"] == "opus" and written["hooks"]["PreToolUse"][0] == mine
    assert {"SessionStart", "SessionEnd", "Stop", "UserPromptSubmit"} <= set(written["hooks"])
    assert written["hooks"]["PreToolUse"][1]["hooks"][0]["command"] == "coord hook claude-code"
    assert install_claude_code_hooks(repo, "project") == "", "installing again changes nothing"

    result = CliRunner().invoke(main, ["hook", "install", "--client", "claude-code", "--root", str(repo)])
    assert result.exit_code == 0 and "already has coord's hooks" in result.stdout


def test_parallel_tool_calls_of_a_new_session_share_one_coord_session(
        committed_db: Database, alice: Principal, repo: Path, tmp_path: Path) -> None:
    """Claude Code runs the hooks of parallel tool calls at once: the first event of a session
    (no SessionStart seen) must not start two coord sessions, whose leases would then be busy
    against each other. The test holds the session's lock until both hooks wait on it
    (/proc/locks lists blocked waiters with ->), then lets them go."""
    state = tmp_path / "state"
    directory = state / "coord" / "claude-code"
    directory.mkdir(parents=True)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("COORD_")},
           "COORD_DSN": committed_db.client_dsn, "COORD_TOKEN": alice.token, "XDG_STATE_HOME": str(state)}
    (repo / "src" / "other.py").write_text("")
    with open(directory / f"{CLAUDE_SESSION}.lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        inode = os.fstat(held.fileno()).st_ino
        hooks = [subprocess.Popen([sys.executable, "-m", "coord_cli.main", "hook", "claude-code"], env=env, text=True,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for _ in range(2)]
        for process, file in zip(hooks, ("app.py", "other.py"), strict=True):
            assert process.stdin is not None
            process.stdin.write(event("pre_tool_use_edit", repo, tool_input={"file_path": str(repo / "src" / file),
                                                                             "old_string": "", "new_string": "x"}))
            process.stdin.close()
        # No event says a process began waiting for a flock: /proc/locks is re-read (poll_until).
        poll_until(lambda: Path("/proc/locks").read_text().count(f":{inode} ") == 3,
                   "the holder and both hooks on the session lock in /proc/locks", processes=hooks, timeout=120)
        fcntl.flock(held, fcntl.LOCK_UN)
    outcomes = [(p.wait(timeout=120), p.stdout.read() if p.stdout else "") for p in hooks]
    assert outcomes == [(0, ""), (0, "")]
    with committed_db.connect() as conn:
        sessions = conn.execute("select count(distinct session_id), count(*) from coord.locks "
                                "where path in ('src/app.py', 'src/other.py')").fetchone()
    assert sessions == (1, 2)


def test_a_refused_session_denies_tool_calls_and_is_reported_at_session_start(
        committed_db: Database, repo: Path, tmp_path: Path) -> None:
    with committed_db.connect() as conn:
        suspended = make_principal(conn, "suspended")
        ops = make_principal(conn, "ops-suspend", role="operator")
    with Client(committed_db.client_dsn, ops.token) as client:
        assert client.create_profile("suspended", 0).ok
        assert client.assign_profile(suspended.name, "suspended").ok
    hook = Hook(committed_db.client_dsn, suspended.token, tmp_path / "state")
    code, output, _ = hook(event("session_start", repo))
    assert code == 0 and output is not None
    assert "refused to start a session" in output["hookSpecificOutput"]["additionalContext"]
    verdict, reason = decision(hook(event("pre_tool_use_edit", repo))[1])
    assert verdict == "deny" and "refused to start a session: denied" in reason


# --- WebFetch: the host Claude Code fetches, or deny -------------------------------------------------

# What Claude Code's URL parser makes of each URL: `new URL(u).hostname` in Node 18 (WHATWG URL),
# None where it throws. Recorded with node -e 'for (const u of require("./urls.json")) ...'.
WHATWG_HOSTNAMES: list[tuple[str, str | None]] = [
    ("https://pastebin.com\\@docs.python.org/raw/x", "pastebin.com"),
    ("https://docs.python.org/3/", "docs.python.org"),
    ("HTTPS://Docs.Python.org:443/x?y#z", "docs.python.org"),
    ("http://0x7f.1/", "127.0.0.1"),
    ("http://2130706433", "127.0.0.1"),
    ("http://0177.0.0.1./", "127.0.0.1"),
    ("http://[::ffff:127.0.0.1]:80/", "[::ffff:7f00:1]"),
    ("https://a%2eb.com", "a.b.com"),
    ("https://\uff50\uff41\uff53\uff54\uff45\uff42\uff49\uff4e.com", "pastebin.com"),
    ("https:///pastebin.com", "pastebin.com"),
    ("https://u:p@docs.python.org", "docs.python.org"),
    ("https://paste\tbin.com", "pastebin.com"),
    ("docs.python.org/x", None),
    ("ftp://x.com", "x.com"),
    ("http://1.2.3.0x/", "1.2.3.0"),
    ("http://a.b.0x/", None),
    ("http://256.1/", None),
    ("http://1.256/", "1.0.1.0"),
    ("http://example.com./", "example.com."),
    (" https://x.com ", "x.com"),
    ("http://[fe80::1%25eth0]/", None),
    ("http://09.1/", None),
    ("http://1.2.3.4.5/", None),
    ("https://docs.python.org:/x", "docs.python.org"),
    ("https://pastebin.com#@docs.python.org", "pastebin.com"),
    ("https://pastebin.com?@docs.python.org", "pastebin.com"),
    ("https://docs.python.org@pastebin.com", "pastebin.com"),
    ("https:\\\\pastebin.com", "pastebin.com"),
    ("https:pastebin.com", "pastebin.com"),
    ("https://PASTEBIN.COM", "pastebin.com"),
    ("https://xn--pastebn-3ya.com/", "xn--pastebn-3ya.com"),
    ("https://[0:0:0:0:0:0:0:1]/", "[::1]"),
    ("https://0x.0x.0x.0x/", "0.0.0.0"),
    ("https://0.0.0.0x100/", None),
    ("https://pastebin.com:65536/", None),
    ("https://pastebin\u3002com/", "pastebin.com"),
    ("https://pastebin.com\u0000.docs.python.org/", None),
    ("https://docs_python.org/", "docs_python.org"),
    ("https://1.2.3.4:/x", "1.2.3.4"),
    ("https://[::1]x/", None),
]
# Plain spellings a model writes: these must be read, not refused.
PLAIN = {"https://docs.python.org/3/", "HTTPS://Docs.Python.org:443/x?y#z", "http://0x7f.1/", "http://2130706433",
         "http://1.256/", "https://docs.python.org:/x", "https://pastebin.com#@docs.python.org",
         "https://pastebin.com?@docs.python.org", "https://PASTEBIN.COM", "https://[0:0:0:0:0:0:0:1]/",
         "https://xn--pastebn-3ya.com/", "http://[::ffff:127.0.0.1]:80/", "http://example.com./"}


def test_the_host_checked_is_the_host_claude_code_fetches_or_the_url_is_refused(committed_db: Database) -> None:
    """api.check_network reads a URL for the host its fetch reaches (as the hook sends it, NUL as
    U+2400): the host Node reads, in its canonical spelling, or denied with decided_by url."""
    with committed_db.connect() as conn:
        agent = make_principal(conn, "url-reader")
        canonical: dict[str, str | None] = {}
        for _, w in WHATWG_HOSTNAMES:
            try:  # None: a host the database refuses (docs_python.org), so the URL must be refused
                with conn.transaction():
                    canonical[w] = conn.execute("select coord.normalize_host(%s)", (w,)).fetchone()[0]
            except psycopg.Error:
                canonical[w] = None
    with Client(committed_db.client_dsn, agent.token) as client:
        for url, whatwg in WHATWG_HOSTNAMES:
            try:
                answer = client.check_network(url.replace("\x00", "\u2400"))
            except CoordError as exc:  # no scheme: neither a URL nor a host (the hook denies CO451)
                assert exc.code == "CO451" and url not in PLAIN, (url, exc)
                continue
            if answer.decided_by == "url":
                assert not answer.ok and url not in PLAIN, ("a plain URL is read, not refused", url, answer.reason)
                continue
            assert whatwg is not None and answer.domain == canonical[whatwg] is not None, (url, answer.domain, whatwg)


def test_every_ambiguous_spelling_of_a_denied_host_is_denied(hook: Hook, repo: Path, committed_db: Database) -> None:
    """Each URL below fetches pastebin.com (or the metadata address) in Claude Code, while
    urllib.parse reads another host or none: the hook denies them, none is asked or allowed."""
    with committed_db.connect() as conn:
        ops = make_principal(conn, "ops", role="operator")
    with Client(committed_db.client_dsn, ops.token) as client:
        assert client.add_network_rule("docs.python.org", "allow").ok
        assert client.add_network_rule("*.python.org", "allow").ok
    for url in ["https://pastebin.com\\@docs.python.org/x", "https://docs.python.org@pastebin.com/x",
                "https:///pastebin.com/x", "https:pastebin.com/x", "https:\\\\pastebin.com/x",
                "https://paste\tbin.com/x", "https://pastebin%2Ecom/x", "https://pastebin\u3002com/x",
                "https://\uff50astebin.com/x", "https://pastebin.com\u0000.docs.python.org/x",
                "http://0xa9.0xfe.0xa9fe/latest/meta-data/", "http://[::ffff:169.254.169.254]/"]:
        code, output, _ = hook(event("pre_tool_use_web_fetch", repo, tool_input={"url": url, "prompt": "x"}))
        assert (code, decision(output)[0]) == (0, "deny"), (url, output)
    assert hook(event("pre_tool_use_web_fetch", repo, tool_input={"url": "https://Docs.Python.org./3/"})) == (
        0, None, "")


# --- deadlines: the hook answers before Claude Code's timeout runs the tool ---------------------------

def hook_process(env: dict[str, str], raw: str | None, *args: str) -> subprocess.CompletedProcess[str]:
    """The hook as a process (its watchdog ends the process), bounded by the hook timeout install
    writes: Claude Code would run the tool after that."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("COORD_")}
    proc = subprocess.Popen([sys.executable, "-m", "coord_cli.main", "hook", "claude-code", *args],
                            env={**clean, **env}, text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdin is not None
    if raw is not None:  # else stdin stays open: a writer that never finishes the event
        proc.stdin.write(raw)
        proc.stdin.close()
    try:
        proc.wait(timeout=HOOK_TIMEOUT_SECONDS)  # the answer is a few hundred bytes: no pipe fills up
    except subprocess.TimeoutExpired:
        proc.kill()
        raise AssertionError(f"no answer within the hook timeout of {HOOK_TIMEOUT_SECONDS} s") from None
    finally:
        if not proc.stdin.closed:
            proc.stdin.close()
    assert proc.stdout is not None and proc.stderr is not None
    return subprocess.CompletedProcess(proc.args, proc.returncode, proc.stdout.read(), proc.stderr.read())


def test_the_deadline_is_well_under_the_hook_timeout_install_writes() -> None:
    timeouts = {h["timeout"] for entries in claude_code_hooks().values() for e in entries for h in e["hooks"]}
    assert timeouts == {HOOK_TIMEOUT_SECONDS} and DEFAULT_DEADLINE_SECONDS <= HOOK_TIMEOUT_SECONDS / 3
    result = CliRunner().invoke(main, ["hook", "claude-code", "--deadline", str(HOOK_TIMEOUT_SECONDS)])
    assert result.exit_code == 2 and "--deadline" in result.stderr, "a deadline past half the timeout is refused"


@pytest.mark.parametrize("on_error", ["ask", "deny"])
def test_a_statement_that_waits_on_a_lock_ends_in_the_on_error_answer(
        committed_db: Database, alice: Principal, repo: Path, tmp_path: Path, on_error: str) -> None:
    """Tokens locked by someone else's open transaction: the token check waits; the hook's
    statement_timeout (a third of --deadline) cancels it and the answer is --on-error."""
    env = {"COORD_DSN": committed_db.client_dsn, "COORD_TOKEN": alice.token, "XDG_STATE_HOME": str(tmp_path)}
    with committed_db.connect() as blocker, blocker.transaction():
        blocker.execute("lock table coord.tokens in access exclusive mode")
        proc = hook_process(env, event("pre_tool_use_bash_rm_rf", repo), "--deadline", "3", "--on-error", on_error)
    assert proc.returncode == 0, proc
    verdict, reason = decision(json.loads(proc.stdout))
    assert verdict == on_error and "57014" in reason, reason


def test_the_watchdog_answers_whatever_the_hook_waits_on(committed_db: Database, alice: Principal, repo: Path,
                                                         tmp_path: Path) -> None:
    """The session's state lock held elsewhere (a hung hook of a parallel tool call) and stdin
    never closed: neither is a database wait, and the watchdog gives the --on-error answer at
    --deadline, for each kind of event as the fail-safe table says."""
    env = {"COORD_DSN": committed_db.client_dsn, "COORD_TOKEN": alice.token, "XDG_STATE_HOME": str(tmp_path)}
    directory = tmp_path / "coord" / "claude-code"
    directory.mkdir(parents=True)
    with open(directory / f"{CLAUDE_SESSION}.lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        edit = hook_process(env, event("pre_tool_use_edit", repo), "--deadline", "1", "--on-error", "deny")
        stop = hook_process(env, event("stop", repo), "--deadline", "1", "--on-error", "deny")
    assert edit.returncode == 0, edit
    verdict, reason = decision(json.loads(edit.stdout))
    assert verdict == "deny" and "no answer within the hook's deadline of 1 s" in reason
    assert stop.returncode == 1 and "deadline" in stop.stderr and stop.stdout == "", stop
    unread = hook_process(env, None, "--deadline", "1", "--on-error", "deny")
    assert unread.returncode == 2 and "deadline" in unread.stderr, "no event name: exit 2 blocks"
    asked = hook_process(env, None, "--deadline", "1")
    assert asked.returncode == 0 and decision(json.loads(asked.stdout))[0] == "ask"


# --- what Claude Code runs is what is checked ----------------------------------------------------------

def test_what_node_would_run_is_what_is_checked(hook: Hook, repo: Path, committed_db: Database) -> None:
    """Claude Code (Node) writes a lone surrogate and bytes that are not UTF-8 as U+FFFD; a NUL
    cannot reach PostgreSQL at all. None of them turns a guardrail deny into ask or a crash."""
    rm_rf = event("pre_tool_use_bash_rm_rf", repo)
    raw = rm_rf.replace('"rm -rf /', '"rm -rf / #', 1).encode().replace(b" #", b" #\xff\xfe", 1)
    code, output, _ = hook(raw)
    assert (code, decision(output)[0]) == (0, "deny"), output
    nul = rm_rf.replace('"rm -rf /', '"ls \\u0000; rm -rf /', 1)
    verdict, reason = decision(hook(nul, "--on-error", "ask")[1])
    assert verdict == "deny" and "NUL" in reason
    surrogate_path = str(repo / "src" / "a\\udc80.py")
    code, output, _ = hook(event("pre_tool_use_edit", repo).replace(str(repo / "src" / "app.py"), surrogate_path))
    assert (code, output) == (0, None), output
    assert len(leases(committed_db, "src/a\ufffd.py")) == 1, "the lease is on the name Node writes"


def test_input_the_database_cannot_check_is_denied_not_asked(hook: Hook, repo: Path, committed_db: Database) -> None:
    """The model chooses the command, path and URL: one the database refuses to check (a
    padded command over its 10000 characters, a path with a newline, a host name with an
    underscore) must not turn the guardrail's, lease's or network rule's deny into the
    --on-error ask."""
    with committed_db.connect() as conn:
        bob = make_principal(conn, "bob-dir")
    with Client(committed_db.client_dsn, bob.token) as client:
        assert client.acquire_lock("src/", ttl="10 minutes").code == "granted"
    padded = event("pre_tool_use_bash_rm_rf", repo, tool_input={"command": "rm -rf / #" + "x" * 10_000})
    newline = event("pre_tool_use_edit", repo, tool_input={"file_path": str(repo / "src" / "a\nb.py"),
                                                           "old_string": "", "new_string": "x"})
    nul = event("pre_tool_use_edit", repo, tool_input={"file_path": str(repo / "src" / "a\x00b.py"),
                                                       "old_string": "", "new_string": "x"})
    underscore = event("pre_tool_use_web_fetch", repo, tool_input={"url": "https://paste_bin.com/x", "prompt": "x"})
    for raw in (padded, newline, nul, underscore):
        code, output, _ = hook(raw)
        verdict, reason = decision(output)
        assert (code, verdict) == (0, "deny") and "could not decide" not in reason, output


def test_a_session_under_a_skill_is_held_to_its_manifest(hook: Hook, repo: Path, committed_db: Database) -> None:
    """With --skill (or COORD_SKILL) the hook's coord session runs the skill: an edit outside its
    files and a fetch outside its hosts are denied as outside_skill, what it names goes through."""
    with committed_db.connect() as conn:
        ops = make_principal(conn, "skill-ops", role="operator")
    with Client(committed_db.client_dsn, ops.token) as client:
        assert client.register_skill("docs-writer", "1.0.0", {"files": [{"path": "docs/", "access": "write"}],
                                                               "network": ["docs.python.org"]}).ok
        assert client.add_network_rule("docs.python.org", "allow").ok
        assert client.add_network_rule("pypi.org", "allow").ok
    hook.env["COORD_SKILL"] = "docs-writer@1.0.0"
    verdict, reason = decision(hook(event("pre_tool_use_edit", repo))[1])
    assert verdict == "deny" and "outside_skill" in reason and "docs-writer@1.0.0" in reason
    assert leases(committed_db, "src/app.py") == []
    (repo / "docs").mkdir()
    raw = event("pre_tool_use_edit", repo, tool_input={"file_path": str(repo / "docs" / "a.md"), "old_string": "",
                                                       "new_string": "x"})
    assert hook(raw) == (0, None, "")
    assert hook(event("pre_tool_use_web_fetch", repo, tool_input={"url": "https://docs.python.org/3/"})) == (
        0, None, "")
    verdict, reason = decision(hook(event("pre_tool_use_web_fetch", repo,
                                          tool_input={"url": "https://pypi.org/simple/"}))[1])
    assert verdict == "deny" and "outside skill docs-writer@1.0.0" in reason
