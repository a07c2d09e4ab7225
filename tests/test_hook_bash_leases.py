"""coord hook claude-code leases the files an allowed Bash command writes, as it leases a file an
edit changes: in the Claude Code session, all or none, and a file another agent holds denies the
command. Which files those are is the database's reading of the command (details.writes)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from coordinator.client import Client
from tests.conftest import Database, Principal, make_principal
from tests.hook_support import Hook, decision, event

CLAUDE_SESSION = "7f3c2a9e-4b1d-4c8e-9a2f-1d5e6b7c8a90"


def bash(repo: Path, command: str, cwd: Path | None = None) -> str:
    raw = json.loads(event("pre_tool_use_bash_rm_rf", repo, tool_input={"command": command}))
    assert raw["session_id"] == CLAUDE_SESSION
    raw["cwd"] = str(cwd or repo)
    return json.dumps(raw)


def held(database: Database) -> dict[str, tuple[Any, ...]]:
    with database.connect() as conn:
        rows = conn.execute("select path, holder_id, session_id, reason from coord.locks").fetchall()
    return {path: rest for path, *rest in rows}


def mapped_session(tmp_path: Path) -> str:
    return json.loads((tmp_path / "state" / "coord" / "claude-code" / f"{CLAUDE_SESSION}.json").read_text())[
        "session_id"]


def test_the_files_a_command_writes_are_leased_in_the_session(hook: Hook, repo: Path, committed_db: Database,
                                                               alice: Principal, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.txt"
    command = (f"sed -i s/True/False/ src/app.py && echo done > notes.txt; echo x > {repo}/abs.txt; "
               f"echo y > {outside}; echo z > /tmp/scratch; ls src")
    assert hook(bash(repo, command)) == (0, None, "")
    leases = held(committed_db)
    assert sorted(leases) == ["abs.txt", "notes.txt", "src/app.py"]  # not the files outside the repository
    session = mapped_session(tmp_path)
    assert {(str(h), str(s), r) for h, s, r in leases.values()} == {(str(alice.principal_id), session,
                                                                      "claude-code Bash")}


def test_a_relative_write_is_read_from_the_directory_the_command_starts_in(hook: Hook, repo: Path,
                                                                           committed_db: Database) -> None:
    assert hook(bash(repo, "touch app_test.py && cd .. && touch top.txt", cwd=repo / "src")) == (0, None, "")
    assert sorted(held(committed_db)) == ["src/app_test.py", "top.txt"]


def test_a_command_writing_a_file_another_agent_holds_is_denied_and_takes_nothing(
        hook: Hook, repo: Path, committed_db: Database) -> None:
    with committed_db.connect() as conn:
        bob = make_principal(conn, "bob-codex")
    with Client(committed_db.client_dsn, bob.token) as client:
        assert client.acquire_lock("src/", ttl="10 minutes").code == "granted"
    code, output, _ = hook(bash(repo, "echo note > notes.txt && sed -i s/True/False/ src/app.py"))
    verdict, reason = decision(output)
    assert code == 0 and verdict == "deny"
    assert "src/app.py is leased by bob-codex" in reason and "lease on src/" in reason, reason
    assert sorted(held(committed_db)) == ["src/"], "all or none: notes.txt is not leased either"


def test_a_write_that_leaves_the_directory_cd_chose_is_checked_against_the_file_it_writes(
        hook: Hook, repo: Path, committed_db: Database) -> None:
    with committed_db.connect() as conn:
        bob = make_principal(conn, "bob-codex")
    with Client(committed_db.client_dsn, bob.token) as client:
        assert client.acquire_lock("notes.txt", ttl="10 minutes").code == "granted"
        assert client.acquire_lock("src/app.py", ttl="10 minutes").code == "granted"
    for command in ("cd src && echo x > ../notes.txt", "find src -name '*.py' -delete"):
        code, output, _ = hook(bash(repo, command))
        verdict, reason = decision(output)
        assert code == 0 and verdict == "deny" and "leased by bob-codex" in reason, (command, reason)
    assert sorted(held(committed_db)) == ["notes.txt", "src/app.py"]  # bob's, nothing taken


def test_a_command_that_writes_nothing_leasable_takes_no_lease(hook: Hook, repo: Path,
                                                               committed_db: Database) -> None:
    for command in ("ls -la src", "pytest -q > /tmp/out.log", "rm -rf build/", "ssh ci 'make > build.log'",
                    "[[ a > b ]] && echo yes"):
        assert hook(bash(repo, command)) == (0, None, ""), command
    assert held(committed_db) == {}


def test_a_glob_below_a_directory_leases_the_directory(hook: Hook, repo: Path, committed_db: Database) -> None:
    assert hook(bash(repo, "sed -i s/a/b/ src/*.py")) == (0, None, "")
    assert sorted(held(committed_db)) == ["src/"]


def test_what_only_the_run_can_tell_is_asked_about(hook: Hook, repo: Path, committed_db: Database) -> None:
    """$F, a glob where the command starts, a cd to a place only the run knows: no lease can name
    what they write, so the user is asked (the database says so, audited); what can be named is
    leased first, as for any question."""
    for command in ("echo x > $OUT", "rm -f *.pyc", 'cd "$DIR" && touch f', "true || cd x && touch g"):
        code, output, _ = hook(bash(repo, command))
        verdict, reason = decision(output)
        assert code == 0 and verdict == "ask" and "cannot tell which files" in reason, (command, reason)
    code, output, _ = hook(bash(repo, "touch notes.txt; echo x > $OUT"))
    assert decision(output)[0] == "ask" and sorted(held(committed_db)) == ["notes.txt"]


def test_a_formatter_writes_the_files_it_is_given(hook: Hook, repo: Path, committed_db: Database) -> None:
    bob_holds(committed_db, "src/app.py")
    for command in ("black src", "ruff format src/app.py", "git checkout -- src/app.py",
                    "(cd src && prettier --write app.py)"):
        code, output, _ = hook(bash(repo, command))
        verdict, reason = decision(output)
        assert code == 0 and verdict == "deny" and "leased by bob-codex" in reason, (command, reason)
    assert hook(bash(repo, "(cd src && black x.py); isort y.py")) == (0, None, "")
    assert sorted(held(committed_db)) == ["src/app.py", "src/x.py", "y.py"]


def test_writing_the_whole_repository_is_decided_and_audited_by_the_database(
        hook: Hook, repo: Path, committed_db: Database) -> None:
    """black . at the root formats every agent's files: the hook asks the database about the path
    . (the repository root), which decides (delete-protected below trust 4) and audits it; from a
    subdirectory the same command leases that directory."""
    code, output, _ = hook(bash(repo, "black ."))
    verdict, reason = decision(output)
    assert code == 0 and verdict == "deny" and "the whole repository" in reason and "delete-protected" in reason, reason
    with committed_db.connect() as conn:
        audited = conn.execute("select decision, details ->> 'text' from audit.events where action = 'guardrail.check' "
                               "order by id desc limit 1").fetchone()
    assert audited == ("blocked", "."), audited
    assert held(committed_db) == {}
    assert hook(bash(repo, "black .", cwd=repo / "src")) == (0, None, "")
    assert sorted(held(committed_db)) == ["src/"]


def test_a_blocked_command_is_denied_before_any_lease(hook: Hook, repo: Path, committed_db: Database) -> None:
    code, output, _ = hook(bash(repo, "echo x > notes.txt; rm -rf /"))
    assert code == 0 and decision(output)[0] == "deny"
    assert held(committed_db) == {}


def bob_holds(database: Database, *paths: str) -> None:
    with database.connect() as conn:
        bob = make_principal(conn, "bob-codex")
    with Client(database.client_dsn, bob.token) as client:
        for path in paths:
            assert client.acquire_lock(path, ttl="10 minutes").code == "granted"


def test_a_write_under_the_home_directory_is_read_from_it(hook: Hook, repo: Path, committed_db: Database,
                                                          tmp_path: Path) -> None:
    """~/ is the agent's home (the hook's, which it inherits): a repository under it is written
    through ~/..., and a path ~/x is no file named ~ in the directory the command runs in."""
    hook.env["HOME"] = str(tmp_path)  # the repository is tmp_path/shop
    assert hook(bash(repo, "echo x > ~/shop/notes.txt; echo y > ~/elsewhere.txt", cwd=repo / "src")) == (0, None, "")
    assert sorted(held(committed_db)) == ["notes.txt"]


def test_a_recursive_mode_change_leases_the_tree(hook: Hook, repo: Path, committed_db: Database) -> None:
    bob_holds(committed_db, "src/app.py")
    code, output, _ = hook(bash(repo, "chmod -R g+w src"))
    verdict, reason = decision(output)
    assert code == 0 and verdict == "deny" and "src/ is leased by bob-codex" in reason, reason


def test_one_file_spelled_several_ways_is_leased_once(hook: Hook, repo: Path, committed_db: Database) -> None:
    """The database drops what its own text repeats; after resolving, ./x, /abs/x, src/../x and a
    directory with and without its slash are one path too (acquire_locks refuses a path named
    twice, CO218, which would turn the command into a question), and a file below a directory the
    command also writes goes under that directory's lease."""
    command = (f"echo a > notes.txt; echo b >> {repo}/notes.txt; echo c >> src/../notes.txt; "
               f"rm -rf gen/; touch {repo}/gen; touch {repo}/src/new.py; chmod -R g+w src; "
               f"rm -f out; mkdir out; echo x > {repo}/out/log.txt")  # out (not there yet) covers out/log.txt
    assert hook(bash(repo, command)) == (0, None, "")
    assert sorted(held(committed_db)) == ["gen/", "notes.txt", "out", "src/"]
    assert hook(bash(repo, "sed -i s/a/b/ notes.txt")) == (0, None, ""), "an own lease is renewed, not refused"
    assert sorted(held(committed_db)) == ["gen/", "notes.txt", "out", "src/"]


def test_a_command_writing_the_whole_repository_is_denied(hook: Hook, repo: Path, committed_db: Database) -> None:
    """The repository by its absolute path (which the guardrails cannot tell from any other
    directory): no lease covers every file, so the command is denied rather than run over other
    agents' leases. src/.. the guardrails read as the working tree, and block first."""
    bob_holds(committed_db, "src/app.py")
    code, output, _ = hook(bash(repo, f"find {repo} -delete"))
    verdict, reason = decision(output)
    assert code == 0 and verdict == "deny" and "the whole repository" in reason, reason
    code, output, _ = hook(bash(repo, "rm -rf src/.."))
    verdict, reason = decision(output)
    assert code == 0 and verdict == "deny" and "delete-tree-protected" in reason, reason
    assert sorted(held(committed_db)) == ["src/app.py"]


def test_a_file_name_no_lease_can_hold_is_denied(hook: Hook, repo: Path, committed_db: Database) -> None:
    """A name with a line break lies under src/ as any other; the database cannot lease it
    (CO203), so the command is denied, as an edit of that file is, not run past bob's lease."""
    bob_holds(committed_db, "src/")
    code, output, _ = hook(bash(repo, 'touch "src/a\nb"'))
    verdict, reason = decision(output)
    assert code == 0 and verdict == "deny" and "CO203" in reason, reason
    assert sorted(held(committed_db)) == ["src/"]


def test_a_command_from_inside_a_nested_repository_leases_under_the_session_root(
        hook: Hook, repo: Path, committed_db: Database) -> None:
    nested = repo / "vendor" / "lib"
    nested.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(nested)], check=True)
    assert hook(bash(repo, "ls")) == (0, None, "")  # the session starts at the root
    assert hook(bash(repo, "touch x.py", cwd=nested)) == (0, None, "")
    assert sorted(held(committed_db)) == ["vendor/lib/x.py"]


def test_a_session_that_ended_under_the_hook_is_replaced_once(hook: Hook, repo: Path, committed_db: Database,
                                                               tmp_path: Path) -> None:
    assert hook(bash(repo, "touch a.txt")) == (0, None, "")
    first = mapped_session(tmp_path)
    with committed_db.connect() as conn:
        conn.execute("update coord.sessions set end_reason = 'expired', ended_at = now() where id = %s", (first,))
    assert hook(bash(repo, "touch b.txt")) == (0, None, "")
    second = mapped_session(tmp_path)
    assert second != first and str(held(committed_db)["b.txt"][1]) == second


def test_a_command_the_user_is_asked_about_leases_its_files_first(hook: Hook, repo: Path,
                                                                  committed_db: Database) -> None:
    """needs_approval is a question to the user, who may say yes: the command then runs. So its
    files are leased before the question as an allowed command's are, and one another agent
    holds denies the command rather than ask the user to run it over that lease."""
    (repo / ".github" / "workflows").mkdir(parents=True)
    bob_holds(committed_db, ".github/workflows/ci.yml")
    code, output, _ = hook(bash(repo, "sed -i s/3.11/3.12/ .github/workflows/ci.yml"))
    verdict, reason = decision(output)
    assert code == 0 and verdict == "deny" and "leased by bob-codex" in reason, reason
    code, output, _ = hook(bash(repo, "sed -i s/3.11/3.12/ .github/workflows/release.yml"))
    verdict, reason = decision(output)
    assert code == 0 and verdict == "ask" and "write-ci" in reason, reason
    assert sorted(held(committed_db)) == [".github/workflows/ci.yml", ".github/workflows/release.yml"]


def test_more_files_than_one_lease_request_takes_are_asked_about(hook: Hook, repo: Path,
                                                                 committed_db: Database) -> None:
    names = " ".join(f"f{i}.txt" for i in range(101))
    code, output, _ = hook(bash(repo, f"touch {names}"))
    verdict, reason = decision(output)
    assert code == 0 and verdict == "ask" and "101 files" in reason, reason
    assert held(committed_db) == {}


def test_a_copy_into_a_directory_leases_the_copy_not_the_directory(hook: Hook, repo: Path,
                                                                   committed_db: Database) -> None:
    """cp x src/ writes src/x: bob's lease on src/app.py does not stop it, and it is src/x that is
    leased, not all of src/. Into the root spelled out (cp x /repo/) is no write of the whole
    repository either. cp -r x y where y is no directory writes y itself: y is leased."""
    bob_holds(committed_db, "src/app.py")
    (repo / "new.py").write_text("x = 1\n")
    (repo / "tools").mkdir()
    assert hook(bash(repo, "cp new.py src/ && cp new.py tools")) == (0, None, "")
    assert hook(bash(repo, f"cp /etc/hostname {repo}/ && cp -r tools copied")) == (0, None, "")
    assert sorted(held(committed_db)) == ["copied", "hostname", "src/app.py", "src/new.py", "tools/new.py"]
    code, output, _ = hook(bash(repo, "cp new.py src/app.py"))
    assert code == 0 and decision(output)[0] == "deny", "a copy onto bob's file is still denied"


def set_trust(database: Database, trust: int) -> None:
    with database.connect() as conn:
        conn.execute("update coord.profiles as f set trust_level = %s from coord.tenants as n "
                     "where f.id = n.default_profile_id", (trust,))


def test_a_branch_switch_while_another_agent_holds_a_file_is_not_run_silently(
        hook: Hook, repo: Path, committed_db: Database) -> None:
    """git checkout main rewrites every tracked file, bob's src/app.py too, from whichever directory
    it runs in: the database reports the whole tree (:/), the hook maps it onto the repository root
    and asks the database about the root as for black . there (delete-protected below trust 4),
    audited. Before, it named no file and ran over bob's lease."""
    bob_holds(committed_db, "src/app.py")
    for command, cwd in (("git checkout main", repo), ("git pull --rebase", repo / "src"),
                         ("git stash pop", repo / "src"), ("git -C src merge topic", repo)):
        code, output, _ = hook(bash(repo, command, cwd=cwd))
        verdict, reason = decision(output)
        assert code == 0 and verdict == "deny" and "the whole repository" in reason and "delete-protected" in reason \
            and "git rewrites the whole working tree" in reason, (command, reason)
    with committed_db.connect() as conn:
        audited = conn.execute("select decision, details ->> 'text' from audit.events where action = 'guardrail.check' "
                               "order by id desc limit 1").fetchone()
    assert audited == ("blocked", "."), audited
    assert sorted(held(committed_db)) == ["src/app.py"]


def test_a_discarding_reset_at_a_trust_that_overrides_git_discard_still_meets_the_leases(
        hook: Hook, repo: Path, committed_db: Database) -> None:
    """Trust 3 overrides git-discard, so git reset --hard and git clean -fdx used to run with no
    lease check at all; now the whole tree is the database's decision (delete-protected, trust 4).
    At trust 4, which overrides that too, the answer is the database's (allowed, overridden), as
    for black . at the root."""
    bob_holds(committed_db, "src/app.py")
    set_trust(committed_db, 3)
    for command in ("git reset --hard", "git clean -fdx"):
        code, output, _ = hook(bash(repo, command))
        verdict, reason = decision(output)
        assert code == 0 and verdict == "deny" and "the whole repository" in reason, (command, reason)
    set_trust(committed_db, 4)
    assert hook(bash(repo, "git reset --hard")) == (0, None, "")


def test_git_checkout_of_a_file_leases_the_file(hook: Hook, repo: Path, committed_db: Database) -> None:
    assert hook(bash(repo, "git checkout -- notes.txt && git restore app.py", cwd=repo / "src")) == (0, None, "")
    assert sorted(held(committed_db)) == ["src/app.py", "src/notes.txt"]
    bob_holds(committed_db, "README.md")
    code, output, _ = hook(bash(repo, "git checkout HEAD~1 -- README.md"))
    verdict, reason = decision(output)
    assert code == 0 and verdict == "deny" and "README.md is leased by bob-codex" in reason, reason
    assert hook(bash(repo, "git restore :/top.txt", cwd=repo / "src")) == (0, None, "")  # the top, from src
    assert "top.txt" in held(committed_db)


def test_git_commands_that_write_no_file_are_untouched(hook: Hook, repo: Path, committed_db: Database) -> None:
    bob_holds(committed_db, "src/app.py")
    with committed_db.connect() as conn:
        before = conn.execute("select count(*) from audit.events where action = 'guardrail.check'").fetchone()[0]
    for command in ("git status", "git log --oneline -3", "git diff", "git add -A && git commit -m x",
                    "git fetch", "git checkout -b topic", "git switch -c other", "git stash list"):
        assert hook(bash(repo, command)) == (0, None, ""), command
    with committed_db.connect() as conn:
        paths = conn.execute("select count(*) from audit.events where action = 'guardrail.check' "
                             "and details ->> 'text' = '.'").fetchone()[0]
        after = conn.execute("select count(*) from audit.events where action = 'guardrail.check'").fetchone()[0]
    assert paths == 0 and after - before == 8, (paths, after - before)  # one command check each, no root check
    assert sorted(held(committed_db)) == ["src/app.py"]


def test_git_in_another_repository_or_a_nested_one_is_mapped_to_its_own_top(
        hook: Hook, repo: Path, committed_db: Database, tmp_path: Path) -> None:
    """git -C DIR works on DIR's repository: outside this one it is the guardrails' alone (no
    lease); a nested checkout's whole tree is that checkout (git stops there), not the root."""
    other = tmp_path / "other"
    other.mkdir()
    assert hook(bash(repo, f"git -C {other} pull && cd {other} && git reset --keep")) == (0, None, "")
    assert held(committed_db) == {}
    nested = repo / "vendor" / "lib"
    nested.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(nested)], check=True)
    assert hook(bash(repo, "ls")) == (0, None, "")  # the session starts at the root
    assert hook(bash(repo, "git pull", cwd=nested)) == (0, None, "")
    assert hook(bash(repo, "git -C vendor/lib stash pop")) == (0, None, "")
    assert sorted(held(committed_db)) == ["vendor/lib/"]
