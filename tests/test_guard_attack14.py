"""Attacks on three promises of the Bash guardrails and leases: git commands that rewrite the
working tree report what they write (coord.guard_git_writes, the hook's :/ mapping); a name after
cd is read from cd's directory once, and find/fd deleting below a directory leases it; positional
parameters (set, shift, function bodies) are followed like variables, and bracketed IPv6 hosts are
read as addresses. A test that passes documents a property that holds. The attack's holes were
strict xfails saying what the database answered, what the shell does, and what base 52546e0
answered; the fifteenth session fixed all of them (each marked "was a hole: fixed")."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Database
from tests.hook_support import Hook, decision
from tests.test_hook_bash_leases import bash, bob_holds, held


def check(agent_factory: Callable[..., Any], command: str) -> Any:
    _, agent = agent_factory()
    return agent.check_operation("command", command)


# --- git: what the rewrite reports, whatever way git is reached ------------------------------------

GIT_INDIRECT = [
    # git reached through a wrapper, a variable, the positional parameters, a function, eval, a shell
    ("command git pull", [":/"]), ("/usr/bin/git pull", [":/"]), ("\\git pull", [":/"]), ("'git' pull", [":/"]),
    ("g=git; $g pull", [":/"]), ('set -- git pull; "$@"', [":/"]), ('f() { git "$@"; }; f pull', [":/"]),
    ("eval git pull", [":/"]), ("bash -c 'git pull'", [":/"]), ("sh -c 'git checkout -- a.py'", ["a.py"]),
    ("timeout 60 git pull", [":/"]), ("nice -n 5 git pull", [":/"]),
    # a git alias whose name is a known subcommand spelling, git's global options before the subcommand
    ("git -c alias.co=checkout co -- a.py", ["a.py"]), ("git --no-pager checkout main", [":/"]),
    ("git -p checkout -- a.py", ["a.py"]), ("git --exec-path=/x checkout main", [":/"]),
    # stash variants whose flags are no operands; --exec/run still rewrite the tree
    ("git stash -u", [":/"]), ("git stash --include-untracked", [":/"]), ("git stash -k", [":/"]),
    ("git stash save --keep-index wip", [":/"]), ("git rebase --exec make HEAD~1", [":/"]),
    ("git bisect run make", [":/"]), ("git pull --autostash", [":/"]), ("git merge --squash topic", [":/"]),
    ("git checkout -B main origin/main", [":/"]), ("git checkout --merge", [":/"]),
    # other work trees, space or = spelling, from a cd
    ("git --work-tree .. checkout main", [".."]), ("git --work-tree=.. checkout main", [".."]),
    ("cd src && git --work-tree=.. checkout main", ["."]), ("git -C src --git-dir=../.git checkout main", ["src"]),
    ("git --git-dir .git --work-tree src checkout main", ["src"]),
    # named paths after cd and -C
    ("cd a && git -C .. checkout -- x", ["x"]), ("git worktree move a b", ["a", "b"]),
    ("(cd src && git pull)", ["src/:/"]), ("pushd src && git pull", ["src/:/"]), ("env -C src git pull", ["src/:/"]),
    ("git -C src -C .. pull", [":/"]), ("git -C src/.. pull", [":/"]), ("git -C '' pull", [":/"]),
    ("git --git-dir=.git -C src checkout main", ["src"]), ("GIT_DIR=../.git git -C src checkout main", ["src"]),
    ("cd src && GIT_WORK_TREE=.. git checkout main", ["."]),
    ("git submodule update --init -- vendor/lib", ["vendor/lib"]), ("git worktree add -f src topic", ["src"]),
]


def test_git_reached_indirectly_still_reports_its_writes(agent_factory: Callable[..., Any]) -> None:
    _, agent = agent_factory()
    wrong = [(c, d.code, d.details) for c, w in GIT_INDIRECT
             for d in [agent.check_operation("command", c)] if not (d.ok and d.details.get("writes") == w)]
    assert wrong == []


GIT_HIDING_BLOCKED = [
    "git -c core.pager='rm -rf /' log", "GIT_PAGER='rm -rf /' git log", "GIT_EXTERNAL_DIFF='rm -rf /' git diff",
    "git -c core.sshCommand='rm -rf /' fetch", "git submodule foreach 'rm -rf /'",
    "git submodule foreach 'git reset --hard'", "git -c 'alias.x=!rm -rf /' x",
    "git reset HEAD~1 --hard", "git reset --hard=x", "export GIT_WORK_TREE=/srv/www; git checkout -f main",
    "git switch --discard-changes main", "git clean -X -f", "git clean --force",
]


def test_git_hiding_a_blocked_command_is_not_allowed(agent_factory: Callable[..., Any]) -> None:
    _, agent = agent_factory()
    wrong = [(c, d.code, d.details) for c in GIT_HIDING_BLOCKED for d in [agent.check_operation("command", c)] if d.ok]
    assert wrong == []


@pytest.mark.parametrize(("command", "expected"), [
    # git parse-options takes any unambiguous prefix of a long option (git 2.39: reset --ha is --hard)
    pytest.param("git reset --ha HEAD~3", [":/"]),  # was a hole: fixed
    pytest.param("git restore --staged --work a.py", ["a.py"]),  # was a hole: fixed
    pytest.param("git -c clean.requireForce=false clean -d", ["."]),  # was a hole: fixed
    pytest.param("git read-tree -mu HEAD", [":/"]),  # was a hole: fixed
    pytest.param("git stash save -- wip", [":/"]),  # was a hole (new code): fixed
    pytest.param("git stash save wip -- a.py", [":/"]),  # was a hole (new code): fixed
    pytest.param("git diff --output=a.py", ["a.py"]),  # was a hole: fixed
    pytest.param("git config --file src/a.py x.y z", ["src/a.py"]),  # was a hole: fixed
    pytest.param("git checkout-index --prefix=out/ -f -- a.py", ["out/a.py"]),  # was a hole: fixed
    pytest.param("find src -name x -fprint out.txt", ["out.txt"]),  # was a hole (older): fixed
])
def test_git_writes_the_database_does_not_name(agent_factory: Callable[..., Any], command: str,
                                               expected: list[str]) -> None:
    d = check(agent_factory, command)
    assert all(p in (d.details.get("writes") or []) for p in expected), (command, d.details)


@pytest.mark.parametrize("command", [
    pytest.param("git -c alias.x=checkout x main"),  # was a hole: fixed
    pytest.param("xargs git checkout -- < list"),  # was a hole (older): fixed
    pytest.param("git $SUB main"),  # was a hole: fixed
    pytest.param("git $(cat sub) main"),  # was a hole: fixed
    pytest.param("git checkout-index -f --stdin < list"),  # was a hole: fixed
])
def test_git_writes_only_the_run_knows_are_not_silent(agent_factory: Callable[..., Any], command: str) -> None:
    d = check(agent_factory, command)
    assert d.details.get("writes") or d.details.get("unleased") or not d.ok, (command, d.details)


@pytest.mark.parametrize("command", [
    pytest.param("git -c alias.x=reset x --hard"),  # was a hole: fixed
    pytest.param("git rebase --exec 'rm -rf /' HEAD~1"),  # was a hole: fixed
    pytest.param("git bisect run rm -rf /"),  # was a hole: fixed
])
def test_git_running_a_blocked_command_is_blocked(agent_factory: Callable[..., Any], command: str) -> None:
    d = check(agent_factory, command)
    assert not d.ok, (command, d.code, d.details)


# --- positional parameters -------------------------------------------------------------------------

POSITIONAL_BLOCKED = [
    # set's options (and look-alikes) before the words, '-' and '--'
    'set -e rm -rf /; "$@"', 'set -x rm -rf /; "$@"', 'set +e rm -rf /; "$@"', 'set - rm -rf /; "$@"',
    'set -o pipefail rm -rf /; "$@"', 'set -euo pipefail -- rm -rf /; "$@"',
    'set -- -rf /; rm "$@"', 'set -- /; rm -rf "${1}"', "set -- ''; rm -rf \"$1\"/",
    'set -- rm -rf /; "${@:1}"', "set -- rm -rf /; $*", 'set -- x rm -rf /; shift; "$@"',
    'set -- a b rm -rf /; shift 2; "$@"', 'set -- /; shift 0; rm -rf "$1"',
    # a shift that may not run keeps both readings; a function's set/shift is its own
    'set -- a /; if true; then shift; fi; rm -rf "$1"', 'set -- a /; true && shift; rm -rf "$1"',
    'set -- /; f() { set -- a; }; f; rm -rf "$1"', 'set -- /; f() { shift; }; f; rm -rf "$1"',
    'f() { "$@"; }; f rm -rf /', 'f() { shift; "$@"; }; f x rm -rf /', 'f() { set -- rm -rf /; "$@"; }; f',
    # eval, subshells, groups, wrappers, a shell's own positional parameters
    "set -- 'rm -rf /'; eval \"$@\"", "set -- 'rm -rf /'; eval \"$1\"", "bash -c '\"$@\"' _ rm -rf /",
    "sh -c 'rm -rf \"$1\"' _ /", 'set -- rm -rf /; ( "$@" )', 'set -- rm -rf /; { "$@"; }',
    'set -- rm -rf /; command "$@"', 'set -- rm -rf /; exec "$@"', 'set -- rm -rf /; builtin eval "$*"',
    "x='rm -rf /'; set -- $x; \"$@\"", 'set -- /; for d in "$@"; do rm -rf "$d"; done',
    'set -- /; while [ $# -gt 0 ]; do rm -rf "$1"; shift; done', 'set -- /home; rm -rf "$1/.."',
    "IFS=,; x=rm,-rf,/; $x",
    # set's option-only forms keep the parameters; a subshell's, a pipeline's and a called function's are their own
    'set -- /; set -u; rm -rf "$1"', 'set -- /; set -euo pipefail; rm -rf "$1"', 'set -- /; set -o; rm -rf "$1"',
    'set -- /; set; rm -rf "$1"', 'set -o errexit rm -rf /; "$@"', 'set -Ceu rm -rf /; "$@"',
    'set -- /; (set -- a); rm -rf "$1"', 'set -- /; set -- a | cat; rm -rf "$1"',
    'set -- /; f() { :; }; f a; rm -rf "$1"',
    'set -- a /; (shift); rm -rf "$1"', 'set -- a /; shift | cat; rm -rf "$1"',
    'set -- a /; n=1; shift $n; rm -rf "$1"',
    'set -- a /; ! shift; rm -rf "$1"', 'set -- a /; case x in x) shift;; esac; rm -rf "$1"',
    'set -- a; set -- "$@" /; rm -rf "$2"', 'set -- -- /; rm -rf "$2"',
    'set -- a /; f() { shift; rm -rf "$1"; }; f "$@"',
    'set -- /; unset 1; rm -rf "$1"',  # (not a name: unset fails)
    'set -- reset --hard; git "$@"', 'f() { git reset --hard; }; f',
]


def test_positional_parameters_do_not_hide_a_blocked_command(agent_factory: Callable[..., Any]) -> None:
    _, agent = agent_factory()
    wrong = [(c, d.code, d.details) for c in POSITIONAL_BLOCKED
             for d in [agent.check_operation("command", c)] if d.code != "blocked"]
    assert wrong == []


POSITIONAL_UNKNOWN = [
    'set -- /; rm -rf "${@: -1}"', 'set -- /; rm -rf "${!#}"', 'rm -rf "${1:-/}"', 'set -- /; rm -rf "${1#x}"',
    "set -- /; cat <<E | sh\nrm -rf $1\nE", 'set -- rm -rf /; sh <<E\n$@\nE', "alias a='set -- rm -rf /'; a; \"$@\"",
    'set -- "${arr[@]}"; rm -rf "$@"', 'set -- /; for d; do rm -rf "$d"; done', 'set -- a /; shift 1 2; rm -rf "$1"',
    "set -- a; eval 'set -- /'; rm -rf \"$1\"", 'set -- a /; shift $((1)); rm -rf "$1"',
    'set -- a /; time shift; rm -rf "$1"',
    'set -- 1 2 3 4 5 6 7 8 9 /; rm -rf "${10}"', 'set -- $(cat f); rm -rf "$1"', 'set -- *; rm -rf "$1"',
]


def test_what_positional_parameters_leave_unknown_is_asked(agent_factory: Callable[..., Any]) -> None:
    _, agent = agent_factory()
    wrong = [(c, d.code, d.details) for c in POSITIONAL_UNKNOWN for d in [agent.check_operation("command", c)] if d.ok]
    assert wrong == []


POSITIONAL_LEASES = [
    ('set -- / a; shift; rm -rf "$1"', ["a"]),  # the shift is followed: a, not /
    ('set -- sub; cd "$1" && touch x', ["sub/x"]),
    ('set -- src/app.py; : > "$1"', ["src/app.py"]), ('set -- a b; shift; cd "$1" && touch x', ["b/x"]),
    ('set -- src; rm -f "$1"/*.py', ["src"]), ('set -- a /; shift; shift; set -- "$@" a; rm -rf "$1"', ["a"]),
]


def test_positional_parameters_lease_what_they_name(agent_factory: Callable[..., Any]) -> None:
    _, agent = agent_factory()
    wrong = [(c, d.details) for c, w in POSITIONAL_LEASES for d in [agent.check_operation("command", c)]
             if not (d.details.get("writes") == w and not d.details.get("unleased"))]
    assert wrong == []


UNSPLIT = ("regression: an unquoted positional parameter is word-split by the shell (IFS), but the new code "
           "reads its value as one word")


@pytest.mark.parametrize("command", [
    pytest.param("set -- 'rm -rf /'; $1"),  # was a regression: fixed (a value with a blank is not known)
    pytest.param("set -- 'git reset --hard'; $1"),  # was a regression: fixed
    pytest.param("IFS=,; set -- rm,-rf,/; $1"),  # was a regression: fixed (set after an IFS assignment: not known)
    pytest.param("IFS=,; set -- x,/; rm -rf $@"),  # was a regression: fixed
    pytest.param("f() { $1; }; f 'rm -rf /'"),  # was older: fixed
    pytest.param("f() { $@; }; f 'rm -rf /'"),  # was older: fixed
    pytest.param("bash -c '$1' _ 'rm -rf /'"),  # was older: fixed
    pytest.param("IFS=,; set -- -rf,/; rm $1"),  # was a hole (older): fixed
])
def test_word_splitting_of_positional_parameters_hides_no_blocked_command(agent_factory: Callable[..., Any],
                                                                         command: str) -> None:
    d = check(agent_factory, command)
    assert not d.ok, (command, d.code, d.details)


@pytest.mark.parametrize(("command", "files"), [
    pytest.param("set -- 'a.py b.py'; rm $1", ["a.py", "b.py"]),  # was a regression: fixed (asked: unleased $1)
    pytest.param("IFS=,; set -- a.py,b.py; rm $1", ["a.py", "b.py"]),  # was a regression: fixed (asked: unleased $1)
    ("x='a.py b.py'; rm $x", ["a.py", "b.py"]),  # a variable is split
    # quoted, one name; the lexer keeps no quotes, so it is asked about (unleased $1) as unquoted is
    ("set -- 'a.py b.py'; rm \"$1\"", ["a.py b.py"]),
])
def test_split_positional_parameters_lease_each_file(agent_factory: Callable[..., Any], command: str,
                                                     files: list[str]) -> None:
    d = check(agent_factory, command)
    assert d.details.get("unleased") or all(f in (d.details.get("writes") or []) for f in files), (command, d.details)


# --- bracketed IPv6 hosts --------------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "http://[::ffff:169.254.169.254]/latest/meta-data", "http://[::ffff:a9fe:a9fe]/latest/meta-data",
    "http://[0:0:0:0:0:ffff:a9fe:a9fe]/latest/meta-data", "http://[fd00:ec2::254]/latest/meta-data",
    "http://user@[::ffff:169.254.169.254]:80/latest/meta-data", "http://[0::ffff:169.254.169.254]/",
    "http://[::FFFF:A9FE:A9FE]/", "http://[::169.254.169.254]/", "http://[64:ff9b::a9fe:a9fe]/",
    "http://2852039166/", "http://0xa9fea9fe/",
    pytest.param("http://[::ffff:169.254.169.254%25eth0]/latest/meta-data"),  # was a hole (older): fixed
])
def test_the_metadata_address_in_ipv6_spellings_is_blocked(agent_factory: Callable[..., Any], url: str) -> None:
    d = check(agent_factory, f"curl '{url}'")
    assert d.code == "blocked", (url, d.details)


def test_the_metadata_address_through_positional_parameters_is_blocked(agent_factory: Callable[..., Any]) -> None:
    d = check(agent_factory, 'set -- curl http://169.254.169.254/latest/meta-data; "$@"')
    assert d.code == "blocked", d.details


# --- cd and find: which file a name is -------------------------------------------------------------

CD_AND_FIND = [
    ("cd sub && cd .. && touch x", ["x"]), ("cd sub/../.. && touch x", ["../x"]), ("cd sub && touch ../../x", ["../x"]),
    ("pushd a && pushd b && popd && touch x", ["a/x"]), ("pushd a; pushd b; popd; popd; touch x", ["x"]),
    ("f() { cd sub; }; f; touch x", ["sub/x"]), ("{ cd sub; }; touch x", ["sub/x"]),
    ("cd sub || exit; touch x", ["sub/x"]), ("cd -P sub && touch x", ["sub/x"]), ("cd -- sub && touch x", ["sub/x"]),
    ("cd ~ && touch x", ["~/x"]), ("cd && touch x", ["~/x"]), ("cd ~+/sub && touch x", ["sub/x"]),
    ("cd sub & wait; touch x", ["x"]), ("cd sub | true; touch x", ["x"]), ("d=sub; cd $d && touch x", ["sub/x"]),
    ("cd sub && find . -name '*.o' -delete", ["sub"]), ("find src ../lib -name x -delete", ["../lib", "src"]),
    ("find src -depth -name x -delete", ["src"]), ("find src -name x -o -name y -delete", ["src"]),
    ("find -L src -name x -delete", ["."]), ("find -- src -name x -delete", ["."]),  # wider, not narrower
    ("fd -e py -x rm", ["."]), ("fd -H -I . src --exec-batch rm -rf", ["src"]),
    ("builtin cd sub; touch x", ["sub/x"]), ("command cd sub; touch x", ["sub/x"]),
    ("f() { touch x; }; cd sub; f", ["sub/x", "x"]), ("cd sub 2>/dev/null && touch ../x", ["x"]),
    ("cd . && find . -path ./src -prune -o -delete", ["."]), ("find src/*.py -delete", ["src"]),
    ('set -- /; set -x --; rm -rf "$1"', []),  # set -x -- empties the parameters: rm -rf ''
]


def test_cd_and_find_lease_the_file_written(agent_factory: Callable[..., Any]) -> None:
    _, agent = agent_factory()
    wrong = [(c, d.details) for c, w in CD_AND_FIND for d in [agent.check_operation("command", c)]
             if not ((d.details.get("writes") or []) == w and not d.details.get("unleased"))]
    assert wrong == []


CD_AND_FIND_UNLEASED = [
    "cd sub && cd - && touch x", "OLDPWD=sub; cd - >/dev/null; touch x", "find src -type f -print0 | xargs -0 rm -f",
    "find src -name x -execdir rm {} +",
]


def test_cd_and_find_only_the_run_knows_are_unleased(agent_factory: Callable[..., Any]) -> None:
    _, agent = agent_factory()
    wrong = [(c, d.details) for c in CD_AND_FIND_UNLEASED for d in [agent.check_operation("command", c)]
             if not d.details.get("unleased")]
    assert wrong == []


@pytest.mark.parametrize(("command", "right"), [
    pytest.param("if [ -d sub ]; then cd sub; fi; rm -f x", "x"),  # was a hole (older): fixed
    pytest.param("[ -d sub ] && cd sub; rm -f x", "x"),  # was a hole (older): fixed
    pytest.param("cd sub extra; rm -f x", "x"),  # was a hole (older): fixed
    pytest.param("eval cd sub; rm -f x", "sub/x"),  # was a hole (older): fixed
    pytest.param("trap 'rm -f x' EXIT; cd sub", "sub/x"),  # was a hole (older): fixed
    pytest.param("CDPATH=lib cd sub && touch x", "lib/sub/x"),  # was a hole (older): fixed
])
def test_a_cd_that_may_go_elsewhere_leases_every_reading(agent_factory: Callable[..., Any], command: str,
                                                         right: str) -> None:
    d = check(agent_factory, command)
    assert d.details.get("unleased") or right in (d.details.get("writes") or []), (command, d.details)


@pytest.mark.parametrize("command", [
    "find src -name x -exec rm -- {} +", "find src -name '*.py' -exec unlink {} \\;", "find src -exec chmod 000 {} +",
    "find src -name '*.py' -exec black {} +", "find src -type f -exec perl -pi -e s/a/b/ {} +",
    "fd -e py . src -0 | xargs -0 rm", "fd -e py --base-directory src -x rm", "find src -maxdepth 1 -delete",
    pytest.param("fd . src -X truncate -s0"),  # was a hole (older): fixed
    pytest.param("fd -e py . src -x black"),  # was a hole (older): fixed
])
def test_what_find_and_fd_run_on_their_matches_is_not_silent(agent_factory: Callable[..., Any], command: str) -> None:
    d = check(agent_factory, command)
    assert d.details.get("writes") or d.details.get("unleased"), (command, d.details)


# --- through the hook ------------------------------------------------------------------------------

def test_git_reached_through_a_wrapper_meets_the_leases(hook: Hook, repo: Path, committed_db: Database) -> None:
    bob_holds(committed_db, "src/app.py")
    for command in ("command git pull", 'set -- git checkout main; "$@"'):
        code, output, _ = hook(bash(repo, command))
        verdict, reason = decision(output)
        assert code == 0 and verdict == "deny" and "the whole repository" in reason, (command, reason)
    assert sorted(held(committed_db)) == ["src/app.py"]


def test_git_run_in_this_repository_by_another_spelling_meets_the_leases(hook: Hook, repo: Path,
                                                                          committed_db: Database,
                                                                          tmp_path: Path) -> None:
    """git -C ../shop from the root, or through a symlink outside the repository into it, is this
    repository's whole tree."""
    (tmp_path / "link").symlink_to(repo / "src")
    bob_holds(committed_db, "src/app.py")
    for command in (f"git -C ../{repo.name} pull", f"git -C {tmp_path / 'link'} checkout main"):
        code, output, _ = hook(bash(repo, command))
        verdict, reason = decision(output)
        assert code == 0 and verdict == "deny" and "the whole repository" in reason, (command, reason)
    assert sorted(held(committed_db)) == ["src/app.py"]


def test_a_stray_dot_git_directory_does_not_narrow_a_branch_switch(hook: Hook, repo: Path,
                                                                   committed_db: Database) -> None:
    (repo / "src" / ".git").mkdir()
    subprocess.run(["git", "-C", str(repo / "src"), "rev-parse", "--show-toplevel"], check=True, capture_output=True)
    bob_holds(committed_db, "notes.txt")
    code, output, _ = hook(bash(repo, "git -C src checkout main"))
    verdict, _ = decision(output)
    assert code == 0 and verdict == "deny", (output, held(committed_db))


def test_an_unquoted_positional_parameter_meets_the_leases_of_each_file(hook: Hook, repo: Path,
                                                                        committed_db: Database) -> None:
    bob_holds(committed_db, "src/app.py")
    code, output, _ = hook(bash(repo, "set -- 'src/app.py notes.txt'; rm -f $1"))
    verdict, _ = decision(output)
    assert code == 0 and verdict in ("deny", "ask"), (output, held(committed_db))


def test_stash_save_with_a_message_meets_the_leases(hook: Hook, repo: Path, committed_db: Database) -> None:
    bob_holds(committed_db, "src/app.py")
    code, output, _ = hook(bash(repo, "git stash save -- wip"))
    verdict, _ = decision(output)
    assert code == 0 and verdict == "deny", (output, held(committed_db))


def test_a_name_that_leaves_the_root_and_comes_back_meets_the_leases(hook: Hook, repo: Path,
                                                                     committed_db: Database) -> None:
    """.. past the repository root and back in by its name is the same file (the hook resolves it)."""
    bob_holds(committed_db, "src/app.py")
    name = repo.name
    for command, cwd in ((f"cd .. && echo x > {name}/src/app.py", repo),
                         (f"cd src && touch ../../{name}/src/app.py", repo),
                         (f"git -C ../{name}/src checkout -- app.py", repo),
                         (f"cd ../.. && sed -i s/a/b/ {name}/src/app.py", repo / "src")):
        code, output, _ = hook(bash(repo, command, cwd=cwd))
        verdict, reason = decision(output)
        assert code == 0 and verdict == "deny" and "src/app.py is leased by bob-codex" in reason, (command, reason)
    assert sorted(held(committed_db)) == ["src/app.py"]
