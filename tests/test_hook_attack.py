"""Attacks on coord hook claude-code and coord session: tool calls shaped to slip a destructive
operation past the guardrails or a lease, and hostile events. Faults found are fixed and kept
here as tests; what held is kept too. Real PostgreSQL, the hook run as Claude Code runs it (one
event on stdin per process)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from coordinator.client import Client
from tests.conftest import Database, make_principal
from tests.hook_support import Hook, decision, event


def bash(hook: Hook, repo: Path, command: str) -> tuple[str | None, str]:
    code, output, _ = hook(event("pre_tool_use_bash_rm_rf", repo, tool_input={"command": command}))
    assert code == 0
    return decision(output)


# --- Bash: the command word -----------------------------------------------------------------------

def test_locale_quoted_words_are_read_as_quoted(hook: Hook, repo: Path) -> None:
    """bash reads $"..." as "..." (a string translated by the locale, itself when there is no
    translation): $"rm" -rf / runs rm -rf /. The lexer knew $'...' but read $"rm" as an unknown
    program, so the hook allowed it."""
    for command in ('$"rm" -rf /', 'rm $"-rf" $"/"', '$"git" push $"--force"', 'x=1; $"r"m -rf /'):
        verdict, reason = bash(hook, repo, command)
        assert verdict == "deny", (command, reason)


def test_defaults_and_braces_in_command_position_are_what_runs(hook: Hook, repo: Path) -> None:
    """${A:-rm} -rf / runs rm when A is unset (and ${A=rm}, ${A:+rm} when A is set; an A
    assigned in the same text is its value); r{m,} -rf / is rm r -rf /. The command word was
    taken as an unknown program and the hook allowed each. ${EDITOR:-vi} file stays allowed."""
    for command in ("${A:-rm} -rf /", "${A-rm} -rf /", "${A:=rm} -rf /", '${A:-"rm"} -rf /', "${A:+rm} -rf /",
                    "A=; ${A:-rm} -rf /", "A=rm; ${A:-ls} -rf /", "A=x; ${A:+rm} -rf /", "r{m,} -rf /",
                    "sudo ${X:-rm} -rf /", "${G:-git} push --force"):
        verdict, reason = bash(hook, repo, command)
        assert verdict == "deny", (command, reason)
    for command in ("${EDITOR:-vi} src/app.py", "A=ls; ${A:-rm} -la", "echo {a,b}"):
        assert bash(hook, repo, command) == (None, ""), command


def test_text_that_looks_like_powershell_is_also_read_as_bash(hook: Hook, repo: Path) -> None:
    """A first word that looks like PowerShell (a Verb-Noun, $x=1, $env:, C:\\) switched the
    lexer to PowerShell's, where a backslash is a path separator: get-x; r\\m -rf ~ was allowed.
    Claude Code's Bash tool runs it with bash (Git Bash on Windows): r\\m is rm there."""
    for command in ("get-x; r\\m -rf ~", "$x=1; r\\m -rf /", "echo $env:x; r\\m -rf /"):
        verdict, reason = bash(hook, repo, command)
        assert verdict == "deny", (command, reason)


def test_a_git_alias_is_checked_where_it_is_defined(hook: Hook, repo: Path) -> None:
    """git -c alias.p='push --force' p force-pushes, and git config alias.p 'push --force' lets a
    later Bash call (git p, a hook call of its own) force-push: the alias's command was never
    checked. It is now, where the alias is defined; a harmless alias stays allowed."""
    for command in ("git -c alias.p='push --force' p", "git config alias.p 'push --force'",
                    'git config --global alias.p "push -f"', "git config alias.wipe 'reset --hard'"):
        verdict, reason = bash(hook, repo, command)
        assert verdict == "deny", (command, reason)
    assert bash(hook, repo, "git config alias.st status") == (None, "")
    assert bash(hook, repo, "git -c alias.l='log --oneline' l") == (None, "")


def test_quoting_and_wrappers_held(hook: Hook, repo: Path) -> None:
    """What held: env prefixes, wrappers, sh -c, eval, heredocs, here-strings, separators,
    subshells, substitutions, quoting, escapes, absolute paths, aliases and functions."""
    for command in ("FOO=1 rm -rf /", "env -i rm -rf /", "command rm -rf /", "exec /usr/bin/rm -rf /", "\\rm -rf /",
                    "r\\m -rf /", "'rm' -rf /", "$'\\x72m' -rf /", "sh -c 'rm -rf /'", "bash -lc 'rm -rf /'",
                    "eval 'rm -rf /'", "echo 'rm -rf /' | sh", "bash <<< 'rm -rf /'", "sh <<X\nrm -rf /\nX",
                    "ls\nrm -rf /", "true && (rm -rf /)", "{ rm -rf /; }", "$(echo rm) -rf /",
                    "alias x=rm; x -rf /", "f(){ rm -rf /; }; f", "A=rm; $A -rf /", "rm${IFS}-rf${IFS}/",
                    "{rm,-rf,/}", "sudo -u root rm -rf /", "git -c a=b push --force", "git push origin '+main'",
                    "git config alias.p 'push --force'; git p", "echo cm0gLXJmIC8= | base64 -d | sh"):
        verdict, reason = bash(hook, repo, command)
        assert verdict == "deny", (command, reason)
    assert bash(hook, repo, "ls -la src") == (None, "")


# --- Edit: which file a path names ----------------------------------------------------------------

def test_an_edit_from_a_nested_repository_leases_the_file_under_the_session_root(
        hook: Hook, repo: Path, committed_db: Database) -> None:
    """The event's cwd follows the agent's `cd`. From inside a nested repository (a vendored
    checkout, a submodule) the hook took that repository as the root: an Edit of
    shop/vendor/lib/x.py leased `x.py`, not `vendor/lib/x.py`, so another agent's lease on the
    file was never seen and two agents edited it. The root is the session's (where it started)."""
    nested = repo / "vendor" / "lib"
    nested.mkdir(parents=True)
    (nested / "x.py").write_text("y = 1\n")
    subprocess.run(["git", "init", "-q", str(nested)], check=True)
    with committed_db.connect() as conn:
        bob = make_principal(conn, "bob-codex")
    with Client(committed_db.client_dsn, bob.token) as client:
        assert client.acquire_lock("vendor/lib/x.py", ttl="10 minutes").code == "granted"
    assert hook(event("session_start", repo)) [0] == 0
    code, output, _ = hook(event("pre_tool_use_edit", repo, cwd=str(nested),
                                 tool_input={"file_path": str(nested / "x.py"), "old_string": "1",
                                             "new_string": "2"}))
    verdict, reason = decision(output)
    assert code == 0 and verdict == "deny" and "vendor/lib/x.py is leased by bob-codex" in reason, reason


def test_paths_outside_or_odd_held(hook: Hook, repo: Path, tmp_path: Path) -> None:
    """What held: .. out of the repository, a symlink in it to a file outside, /etc, NUL."""
    (tmp_path / "outside.txt").write_text("x")
    (repo / "link").symlink_to(tmp_path / "outside.txt")
    for path in (f"{repo}/src/../../outside.txt", f"{repo}/link", "/etc/passwd", f"{repo}/src/a\x00b"):
        code, output, _ = hook(event("pre_tool_use_edit", repo, tool_input={"file_path": path, "old_string": "a",
                                                                             "new_string": "b"}))
        assert code == 0 and decision(output)[0] == "deny", (path, output)


# --- hostile events -------------------------------------------------------------------------------

def test_hostile_events_never_allow(hook: Hook, repo: Path) -> None:
    """Not JSON, wrong types, a session_id naming a path, a relative cwd: the --on-error answer."""
    good = json.loads(event("pre_tool_use_bash_rm_rf", repo))
    for raw in ("{", "[]", json.dumps({**good, "session_id": "../../etc"}), json.dumps({**good, "cwd": "rel"}),
                json.dumps({**good, "tool_input": "rm -rf /"}), json.dumps({**good, "tool_input": {"command": ["rm"]}}),
                json.dumps({**good, "session_id": 7})):
        code, output, _ = hook(raw)
        assert code == 0 and decision(output)[0] == "ask", (raw, output)
