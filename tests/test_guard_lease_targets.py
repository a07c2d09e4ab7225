"""The files a shell command writes that a lease can name (check_operation's details.writes,
coord.guard_lease_targets): what a client leasing an agent's edits leases for its commands."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.audit_here import WRITTEN_HERE


@pytest.mark.parametrize(("command", "writes"), [
    ("sed -i s/a/b/ src/x.py && echo hi > out.txt", ["out.txt", "src/x.py"]),
    ("tee -a log.txt < input.txt", ["log.txt"]),
    ("cp -r x y", ["y", "y/x"]),  # y, or y/x when y is a directory: the client tells which
    ("cp a b c/", ["c/", "c/a", "c/b"]),  # the normalizer's c//a is c/a
    ("mv a b", ["a", "b", "b/a"]),  # the source goes, the target (or b/a) is written
    ("chmod +x bin/run; rm -f notes.md", ["bin/run", "notes.md"]),
    ("cd sub && touch f", ["sub/f"]),  # after the command's own cd
    ("echo x > /abs/repo/README.md", ["/abs/repo/README.md"]),  # the client knows where the repository is
    ("python - <<E\nopen('x.txt', 'w').write('y')\nE", ["x.txt"]),
    ("rm -r a_b%c.txt; echo > a_b%c.txt/d", ["a_b%c.txt"]),  # below a tree it deletes: LIKE's wildcards are
    ("echo > axb/d; rm -r a_b", ["a_b", "axb/d"]),  # only characters here (a_b is not a prefix pattern of axb)
    ("chmod -R g+w src; touch src/x", ["src"]),  # below a tree whose mode it changes
    ("echo > /tmp/x; touch ../y", ["../y", "/tmp/x"]),  # where they lie is the client's to tell
    ("chmod -R g+w scripts; chown -R me lib", ["lib", "scripts"]),  # every mode below: the directory's lease
    ("echo x > ~/notes.md", ["~/notes.md"]),  # the client reads ~/ from its home (the repository may be there)
    # formatters and fixers rewrite their operands in place (a directory: its files, under its lease)
    ("black src/a.py tests && ruff format lib/b.py", ["lib/b.py", "src/a.py", "tests"]),
    ("ruff check --fix app/x.py; prettier --write web/a.ts; eslint --fix ui", ["app/x.py", "ui", "web/a.ts"]),
    ("gofmt -w main.go; rustfmt src/lib.rs; clang-format -i a.c; isort m.py; autopep8 -i n.py",
     ["a.c", "m.py", "main.go", "n.py", "src/lib.rs"]),
    ("cd pkg && cargo fmt", ["pkg"]),  # a formatter of the whole project: the directory it runs in
    ("black --check src; ruff format --diff x.py; prettier --check y.ts; gofmt -l z.go", []),  # check only
    # git writes the working tree: checkout -- / restore / mv (rm already)
    ("git checkout -- a.py; git checkout HEAD~1 -- b.py; git restore c.py", ["a.py", "b.py", "c.py"]),
    ("git restore --staged d.py; git checkout main", [":/"]),  # the index only; a branch switch: the whole tree
    ("git mv a.py lib/b.py", ["a.py", "lib/b.py", "lib/b.py/a.py"]),
    ("git -C sub restore x.c; git -C sub rm y.c", ["sub/x.c", "sub/y.c"]),
    # every name a tool writes is read from the directory cd chose, however the tool is given it
    ("cd x && dd if=/dev/zero of=c count=1 && patch d < p.diff && git rm y && python -c \"open('h', 'w')\"",
     ["x/c", "x/d", "x/h", "x/y"]),
    # output flags, sponges, compressors, archives
    ("sort -o s.txt s.txt; curl -o c.json https://x.example; wget -O w.bin https://x.example",
     ["c.json", "s.txt", "w.bin"]),
    ("curl -fsSLO https://x.example/t.tgz; wget -q https://x.example/a/b.zip?v=1; wget -qO- https://x.example",
     ["b.zip", "t.tgz"]),  # the URL's file name
    ("grep -v x f.txt | sponge f.txt", ["f.txt"]),
    ("gzip a.log; gunzip b.gz; bzip2 -k c", ["a.log", "a.log.gz", "b", "b.gz", "c.bz2"]),
    ("tar -xzf r.tgz -C vendor; unzip -d ext b.zip; zip out.zip src/a", ["ext", "out.zip", "vendor"]),
    ("exec 3<>state.db; cat x 1<>y", ["state.db", "y"]),  # <> opens for writing too
    ("touch src/{a,b}.py", ["src/a.py", "src/b.py"]),
    ('echo > "$PWD/out.txt"; cp a ./b', ["b", "b/a", "out.txt"]),
    ("cd sub && echo x > $PWD/o.txt", ["sub/o.txt"]),
    # a name that leaves cd's directory is read from it once, not twice
    ("cd sub && touch ../b", ["b"]),
    ("cd a/b && touch ../c && echo x > ../../d", ["a/c", "d"]),
    ("cd sub && gzip ../f && sed -i s/x/y/ ../g.txt", ["f", "f.gz", "g.txt"]),
    ("cd sub && fd -e pyc . lib -x rm", ["sub/lib"]),
    # what find deletes by a test below a directory: the directory, as a glob below it
    ("find src -name '*.py' -delete; cd sub && find ../lib -name '*.o' -delete", ["lib", "src"]),
    ("find . -name '*.pyc' -delete", ["."]),  # the directory it starts in: the client decides (the root check)
    ("rm -f logs/*.log; chmod +x scripts/*.sh", ["logs", "scripts"]),  # a glob below a directory: its lease
    # the working directory: subshells, pipelines and background jobs keep their cd to themselves
    ("(cd docs; echo x > a.md); echo y > b.md", ["b.md", "docs/a.md"]),
    ("(cd a && (cd b; touch x); touch y); touch z", ["a/b/x", "a/y", "z"]),
    ("ls | cd other; touch f", ["f"]),
    ("cd w & touch f", ["f"]),
    ("pushd pkg && touch i.py && popd && touch t.py", ["pkg/i.py", "t.py"]),
    ("env -C web touch b.txt; touch c.txt", ["c.txt", "web/b.txt"]),
    ("python -c \"print('#'); open('y.txt', 'w')  # z.txt\"", ["y.txt"]),  # a # in a string is no comment
    ("patch -p1 <<E\n--- a/src/x.py\n+++ b/src/x.py\n@@ -1 +1 @@\n-a\n+b\nE", ["src/x.py"]),  # a diff as text
    # comparisons, not redirections
    ("[[ $a > $b ]] && echo > real.txt; (( n > 3 )) && echo many", ["real.txt"]),
])
def test_the_literal_project_files_a_command_writes(agent_factory: Callable[..., Any], command: str,
                                                    writes: list[str]) -> None:
    _, agent = agent_factory()
    decision = agent.check_operation("command", command)
    assert decision.ok and decision.details.get("writes", []) == writes, decision.details


@pytest.mark.parametrize("command", [
    "ls -la src", "git commit -am wip", "cat src/x.py | grep y",
    "echo > /dev/null; echo > /dev/sda",
    "rm -rf node_modules build/",  # caches
    "echo x >> .git/info/exclude",  # .git is the guardrails' (blocked below trust 3)
    "echo x > ~alice/notes.md",  # another's home: no client can tell where it is
    "rm -rf $TMPDIR/x /tmp/y-*",  # temporary directories are no project's
    "ssh host 'make > build.log'; docker exec app sh -c 'echo > /srv/x'",  # written elsewhere
    "kubectl exec pod -- sh -c 'date > now.txt'",
    'python -c "print(1)  # > not_a_file"',  # a comment in the code
    "python -c \"import os  # open('x.txt', 'w')\"",
    "python3 - <<E\n# open('y.txt', 'w').write('1')\nprint(2)\nE",
    "node -e \"// require('fs').writeFileSync('a.txt', 'y')\"",  # a // comment word is code, not a path
])
def test_what_no_lease_names_is_left_out(agent_factory: Callable[..., Any], command: str) -> None:
    _, agent = agent_factory()
    decision = agent.check_operation("command", command)
    assert "writes" not in decision.details and "unleased" not in decision.details, decision.details


@pytest.mark.parametrize(("command", "unleased"), [
    ("echo > $F; echo > \"$(date)\".log", ["$(...).log", "$F"]),  # expansions: only the run tells
    ("rm -f *.pyc", ["*.pyc"]),  # a glob where the command starts (at the root: every agent's files)
    ("find . -name x -exec rm {} +", ["{}"]),
    ("sed -i s/a/b/ $(git ls-files)", ["$(...)"]),
    ('cd "$TARGET" && touch f', ["$TARGET/f"]),  # after a cd to a place only the run tells
    ("true || cd elsewhere && touch g", ["$(cd)/g"]),  # after a cd that may not run
    ("touch ~-/g", ["~-/g"]),  # $OLDPWD
    ("patch -p1 < fix.diff; git apply x.patch", ["$(files the diff names)"]),  # the diff names the files
])
def test_what_only_the_run_can_tell_is_unleased(agent_factory: Callable[..., Any], command: str,
                                                unleased: list[str]) -> None:
    """Never silently no lease: a client asks before running such a command (the hook does)."""
    _, agent = agent_factory()
    decision = agent.check_operation("command", command)
    assert decision.ok and decision.details.get("unleased") == unleased, decision.details


def test_the_writes_are_audited(agent_factory: Callable[..., Any], db: psycopg.Connection) -> None:
    _, agent = agent_factory()
    agent.check_operation("command", "black src/a.py; rm -f *.pyc")
    details = db.execute("select details from audit.events where action = 'guardrail.check' and " + WRITTEN_HERE
                         + " order by id desc limit 1").fetchone()[0]
    assert details["writes"] == ["src/a.py"] and details["unleased"] == ["*.pyc"], details


def test_sql_and_path_checks_carry_no_writes(agent_factory: Callable[..., Any]) -> None:
    _, agent = agent_factory()
    for kind, text in (("sql", "update t set x = 1"), ("path", "src/x.py")):
        decision = agent.check_operation(kind, text)
        assert "writes" not in (decision.details or {}), (kind, decision.details)
    assert "writes" in agent.check_operation("command", "touch src/x.py").details


@pytest.mark.parametrize(("command", "writes"), [
    # a cd that may not run (after && or ||, in an if, loop or case, or one whose failure the text
    # goes on from) leaves both readings once its and-or list (or its if/case/loop) is over
    ("[ -d sub ] && cd sub; rm -f x", ["sub/x", "x"]),
    ("if [ -d sub ]; then cd sub; touch a; fi; touch b", ["b", "sub/a", "sub/b"]),
    ("case $m in dev) cd sub;; esac; touch y", ["sub/y", "y"]),
    ("cd sub || true; touch x", ["sub/x", "x"]), ("cd sub || { echo no; exit 1; }; touch x", ["sub/x"]),
    ("cd sub && touch a || touch b", ["b", "sub/a", "sub/b"]),
    ("[[ -d pkg ]] && { cd pkg; }; rm -f w", ["pkg/w", "w"]),
    # eval cd moves this shell; CDPATH's entries come first, then where the shell is
    ("eval cd sub && touch x", ["sub/x"]), ("CDPATH=lib:/opt cd sub; touch x", ["/opt/sub/x", "lib/sub/x", "sub/x"]),
    ("export CDPATH=lib; cd sub; touch x", ["lib/sub/x", "sub/x"]), ("CDPATH=lib cd ./sub; touch x", ["sub/x"]),
    # a trap's command runs where the shell is when it fires; pushd -n and pushd's swap
    ("trap 'rm -f log' EXIT; cd out; touch a", ["log", "out/a", "out/log"]),
    ("pushd -n lib; touch x", ["x"]), ("pushd lib; pushd; touch x", ["x"]),
    # a command fd -x / find -exec / parallel runs on names below a directory: that directory
    ("fd -e md . docs -x sed -i s/a/b/", ["docs"]), ("cd sub && fd . lib -X black", ["sub/lib"]),
    ("find lib -name '*.c' -exec clang-format -i {} +", ["lib"]),
    ("find src -name x -fprint out.txt -o -name y -fprintf idx.txt '%p' -fls ls.txt", ["idx.txt", "ls.txt", "out.txt"]),
    ("parallel gzip ::: a.log b.log", ["a.log", "a.log.gz", "b.log", "b.log.gz"]),
    # a JavaScript regular expression literal holding // starts no comment
    ("node -e \"const r = /[//]/; require('fs').writeFileSync('d.txt', '1')\"", ["d.txt"]),
])
def test_every_directory_a_cd_may_leave_and_every_match_a_command_runs_on_is_leased(
        agent_factory: Callable[..., Any], command: str, writes: list[str]) -> None:
    _, agent = agent_factory()
    decision = agent.check_operation("command", command)
    assert decision.details.get("writes") == writes and not decision.details.get("unleased"), decision.details


@pytest.mark.parametrize(("command", "unleased"), [
    ("cat list | xargs sed -i s/a/b/", ["$(...)"]), ("xargs -a files.txt rm -f", ["$(...)"]),
    ("ls | parallel gzip", ["$(...)", "$(...).gz"]), ("cd sub extra; rm -f x", ["$(cd)/x"]),  # zsh: somewhere else
    ("pushd +1; touch x", ["$(cd)/x"]),
])
def test_names_only_the_run_knows_are_unleased(agent_factory: Callable[..., Any], command: str,
                                               unleased: list[str]) -> None:
    _, agent = agent_factory()
    decision = agent.check_operation("command", command)
    assert decision.details.get("unleased") == unleased, decision.details


@pytest.mark.parametrize("command", [
    "fd . src -x rm -rf /", "find src -ok rm -rf / \\;", "parallel rm -rf ::: /", "xargs rm -rf / < list",
    "IFS=:; set -- -rf:/; rm $1", "IFS=,; set -- rm,-rf,/; $1", "curl 'http://[fd00:ec2::254%25eth0]/'",
    "node -e \"const r = /\\/\\//; require('child_process').execSync('rm -rf /')\"",
])
def test_a_command_run_on_matches_or_split_by_ifs_is_judged_as_written_plainly(agent_factory: Callable[..., Any],
                                                                             command: str) -> None:
    _, agent = agent_factory()
    assert agent.check_operation("command", command).code == "blocked"


@pytest.mark.parametrize("command", [
    "find . -name '*.py' | xargs grep -l TODO", "fd -e py -x wc -l", "xargs -a list.txt cat",
    "find src -type f -exec ls -l {} +", "parallel echo ::: a b",
])
def test_a_harmless_command_run_on_matches_leases_nothing(agent_factory: Callable[..., Any], command: str) -> None:
    _, agent = agent_factory()
    decision = agent.check_operation("command", command)
    assert decision.ok and not decision.details.get("writes") and not decision.details.get("unleased"), decision.details


HELD_BACK = Path(__file__).parent / "lease_heldback" / "commands.txt"
HELD_BACK_FLOOR = 0.9  # the rate is reported; a regression shows here


def _held_back_ok(decision: Any, expected: str) -> bool:
    writes, unleased = decision.details.get("writes") or [], decision.details.get("unleased") or []
    if expected == "ask":
        return bool(unleased) or not decision.ok
    if expected == "blocked":
        return decision.code == "blocked"
    if expected == "none":
        return not writes and not unleased
    return all(path in writes for path in expected.split())


def test_the_held_back_write_commands(agent_factory: Callable[..., Any], capsys: pytest.CaptureFixture[str]) -> None:
    """tests/lease_heldback: written before the fixes and never tuned on; its lines are not
    printed (a failing one is fixed by fixing its class), only the rate."""
    _, agent = agent_factory()
    with capsys.disabled():
        assert held_back_rate(agent, HELD_BACK, _held_back_ok, "held-back Bash leases") >= HELD_BACK_FLOOR


def held_back_rate(agent: Any, path: Path, ok: Callable[[Any, str], bool], title: str) -> float:
    """The share of the `command ==> expected` lines of ``path`` whose check_operation ``ok``
    accepts, printed under ``title`` (the lines themselves are not printed)."""
    cases = [line.split(" ==> ") for line in path.read_text().splitlines() if " ==> " in line]
    passed = sum(ok(agent.check_operation("command", command.replace("<NL>", "\n")), expected)
                 for command, expected in cases)
    print(f"\n{title}: {passed}/{len(cases)} = {passed / len(cases):.3f}")
    return passed / len(cases)
