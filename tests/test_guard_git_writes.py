"""The working-tree files a git command writes (coord.guard_git_writes, through check_operation's
details.writes): named paths where git names them, and the whole tree, :/ (git's top of the
repository), where it rewrites it, whichever directory git starts in. The guardrail decisions
stay what they were: this is what the lease step reads."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.test_guard_lease_targets import held_back_rate
from tests.test_guardrails import set_trust


@pytest.mark.parametrize(("command", "writes"), [
    # a branch switch rewrites every tracked file: the whole tree, from the start directory's repository
    ("git checkout main", [":/"]),
    ("git checkout -q origin/feature", [":/"]),
    ("git checkout -", [":/"]),
    ("git co release", [":/"]),
    ("git switch topic", [":/"]),
    ("git switch --detach v1.0", [":/"]),
    ("git switch --orphan empty", [":/"]),  # every tracked file goes
    ("git checkout -b new origin/main", [":/"]),  # a start point is switched to
    ("git switch -c new origin/main", [":/"]),
    ("git -c core.autocrlf=false switch other", [":/"]),  # git's own -c is no switch -c
    ("git checkout -f", [":/"]),  # the tree back to HEAD
    # what rewrites the tree, whatever it is given
    ("git pull", [":/"]), ("git pull --rebase origin main", [":/"]),
    ("git merge topic", [":/"]), ("git merge --abort", [":/"]),
    ("git rebase main", [":/"]), ("git rebase --continue", [":/"]), ("git rebase --skip", [":/"]),
    ("git cherry-pick abc123", [":/"]), ("git cherry-pick --abort", [":/"]),
    ("git revert HEAD", [":/"]), ("git am 0001-x.patch", [":/"]),
    ("git stash", [":/"]), ("git stash push -m wip", [":/"]), ("git stash save wip", [":/"]),
    ("git stash pop", [":/"]), ("git stash apply stash@{2}", [":/"]), ("git stash branch b", [":/"]),
    ("git reset --merge ORIG_HEAD", [":/"]), ("git reset --keep HEAD~1", [":/"]),
    ("git checkout -p", [":/"]), ("git restore -p", [":/"]),
    ("git read-tree -m -u HEAD", [":/"]), ("git checkout-index -a -f", [":/"]),
    ("git sparse-checkout set src", [":/"]), ("git bisect bad", [":/"]), ("git bisect reset", [":/"]),
    ("git submodule update --init", [":/"]),
    # named paths: the files git names
    ("git checkout -- a.py", ["a.py"]),
    ("git checkout HEAD~1 -- x.py y.py", ["x.py", "y.py"]),
    ("git checkout --ours -- conflicted.txt", ["conflicted.txt"]),
    ("git checkout src/", ["src/"]),  # cannot be a branch: a path
    ("git checkout HEAD~1 notes.md", ["notes.md"]),  # a revision, then a path
    ("git checkout stable notes.md", ["notes.md", "stable"]),  # stable may be a path too: leased as well
    ("git restore src/a.py", ["src/a.py"]), ("git restore -s HEAD~2 -- b.py", ["b.py"]),
    ("git restore --staged --worktree c.py", ["c.py"]),
    ("git stash push -- lib/x.py", ["lib/x.py"]), ("git stash push lib/y.py", ["lib/y.py"]),
    ("git clean -f build-out", ["build-out"]),
    ("git clean -fd", ["."]),  # from the directory it runs in down (git's rule); at the root the root
    ("git merge-file ours.txt base.txt theirs.txt", ["ours.txt"]),
    ("git worktree add ../wt-x topic", ["../wt-x"]),
    ("git archive -o release.tar HEAD", ["release.tar"]),
    ("git submodule update vendor/lib", ["vendor/lib"]),
    ("git submodule add https://example.com/x/lib.git third_party/lib", ["third_party/lib"]),
    ("git submodule add git@example.com:x/tool.git", ["tool"]),
    ("git subtree pull --prefix=vendor/x https://example.com/x.git main", ["vendor/x"]),
    ("git lfs pull", [":/"]), ("git svn rebase", [":/"]),
    # git's pathspec magic: the top, exclusions
    ("git restore :/", [":/"]), ("git checkout -- ':(top)'", [":/"]),
    ("git restore ':/src/a.py' ':!src/b.py' ':(exclude)c.py'", [":/src/a.py"]),
    ("git checkout HEAD -- ':/docs/*.md'", [":/docs"]),  # a glob below a directory: its lease
    # from another directory git still works on its repository's whole tree: DIR/:/, the top of DIR's
    # repository (the client tells which: this one, one nested in it, or another)
    ("cd src && git pull", ["src/:/"]), ("git -C src merge topic", ["src/:/"]),
    ("cd a && git -C b stash pop", ["a/b/:/"]), ("rm -rf src; git -C src pull", ["src", "src/:/"]),
    ("cd src && git checkout -- x.py ../y.py", ["src/x.py", "y.py"]),  # named paths from where git runs
    ("git -C sub checkout -- z.c", ["sub/z.c"]),
    ("cd src && git restore :/top.txt", ["src/:/top.txt"]),
    ("cd .. && git pull", ["../:/"]), ("git -C /srv/app pull", ["/srv/app/:/"]),
    ("git -C ~/other reset --keep", ["~/other/:/"]),
    ("cd src && git -C ../.. pull", ["../:/"]),
    # another work tree: written as a whole
    ("git --work-tree=out checkout main", ["out"]), ("GIT_WORK_TREE=site git checkout main", ["site"]),
    ("env GIT_WORK_TREE=/srv/www git checkout main", ["/srv/www"]),
    ("git --git-dir=../bare.git checkout main", ["."]),  # the directory it runs in is the work tree
    # with other writes: the start directory . does not hide the top
    ("black . && git pull", [".", ":/"]), ("black . && git -C src pull", [".", "src/:/"]),
    ("git mv a.py lib/b.py", ["a.py", "lib/b.py", "lib/b.py/a.py"]),
])
def test_what_a_git_command_writes(agent_factory: Callable[..., Any], command: str, writes: list[str]) -> None:
    _, agent = agent_factory()
    decision = agent.check_operation("command", command)
    assert decision.details.get("writes", []) == writes, (command, decision.details)


@pytest.mark.parametrize("command", [
    "git status", "git log --oneline", "git diff HEAD~1", "git add -A", "git commit -am wip", "git fetch --all",
    "git push origin HEAD", "git branch -d old", "git tag v1", "git show HEAD:src/a.py",
    "git checkout -b new", "git checkout -B again", "git switch -c new", "git switch -C again",
    "git checkout --orphan fresh", "git checkout --detach", "git checkout",
    "git stash list", "git stash show -p", "git stash create",
    "git reset", "git reset --soft HEAD~1", "git reset HEAD -- a.py", "git restore --staged a.py",
    "git merge --continue", "git rebase --edit-todo", "git rebase --quit", "git am --show-current-patch",
    "git bisect log", "git sparse-checkout list", "git worktree list", "git submodule status",
    "git clean -n -d", "git pull --help", "git clean -i -n", "git lfs ls-files", "git svn log",
])
def test_what_writes_no_working_tree_file(agent_factory: Callable[..., Any], command: str) -> None:
    _, agent = agent_factory()
    decision = agent.check_operation("command", command)
    assert "writes" not in decision.details and "unleased" not in decision.details, (command, decision.details)


@pytest.mark.parametrize(("command", "unleased"), [
    ('cd "$REPO" && git pull', ["$REPO/:/"]),  # git runs where only the run tells
    ("git -C $DIR checkout main", ["$DIR/:/"]),
    ("GIT_WORK_TREE=$DEST git checkout -q main", ["$DEST"]),
    ("git restore ':(icase)readme.md'", ["$(files the pathspec :(icase)readme.md matches)"]),
    ("git apply fix.diff", ["$(files the diff names)"]),  # a diff in a file, as patch -p1 < f
    ("git checkout -- '*.py'", ["*.py"]),  # git's glob where the command starts
])
def test_what_only_the_run_can_tell_is_unleased(agent_factory: Callable[..., Any], command: str,
                                                unleased: list[str]) -> None:
    _, agent = agent_factory()
    decision = agent.check_operation("command", command)
    assert decision.details.get("unleased") == unleased, (command, decision.details)


@pytest.mark.parametrize(("command", "trust", "code", "rules"), [
    # the guardrails decide as before: the whole tree is no write any rule names
    ("git checkout main", 2, "allowed", []),
    ("git pull", 2, "allowed", []),
    ("git -C /srv/app pull", 2, "allowed", []),
    ("GIT_WORK_TREE=/srv/www git checkout main", 2, "allowed", []),
    ("git reset --hard", 2, "blocked", ["git-discard"]),
    ("git reset --hard", 3, "allowed", []),  # trust 3 overrides git-discard: the lease step is what asks
    ("git clean -fdx", 3, "allowed", []),
    ("git checkout -- .github/workflows/ci.yml", 2, "needs_approval", ["write-ci"]),
])
def test_the_guardrail_decisions_do_not_move(agent_factory: Callable[..., Any], db: psycopg.Connection,
                                             command: str, trust: int, code: str, rules: list[str]) -> None:
    principal, agent = agent_factory()
    set_trust(db, principal.tenant_id, trust)
    decision = agent.check_operation("command", command)
    assert decision.code == code and sorted(m["name"] for m in decision.matches if not m["overridden"]) == rules, \
        decision
    assert decision.details.get("writes"), decision.details  # and the lease step still sees what it writes


HELD_BACK = Path(__file__).parent / "git_writes_heldback" / "commands.txt"
HELD_BACK_FLOOR = 0.9  # the rate is reported; a regression shows here


def _held_back_ok(decision: Any, expected: str) -> bool:
    writes, unleased = decision.details.get("writes") or [], decision.details.get("unleased") or []
    for alternative in expected.split(" | "):
        if alternative == "ask" and (unleased or not decision.ok):
            return True
        if alternative == "blocked" and decision.code == "blocked":
            return True
        if alternative == "none" and not writes and not unleased:
            return True
        if alternative not in ("ask", "blocked", "none") and all(
                (":/" if path == "ROOT" else path) in writes for path in alternative.split()):
            return True
    return False


def test_the_held_back_git_commands(agent_factory: Callable[..., Any], capsys: pytest.CaptureFixture[str]) -> None:
    """tests/git_writes_heldback: written before the change and never tuned on; only the rate is
    printed (a failing line is fixed by fixing its class)."""
    _, agent = agent_factory()
    with capsys.disabled():
        assert held_back_rate(agent, HELD_BACK, _held_back_ok, "held-back git writes") >= HELD_BACK_FLOOR
