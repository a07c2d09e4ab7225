"""The files a shell command writes that a lease can name (check_operation's details.writes,
coord.guard_lease_targets): what a client leasing an agent's edits leases for its commands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


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
])
def test_the_literal_project_files_a_command_writes(agent_factory: Callable[..., Any], command: str,
                                                    writes: list[str]) -> None:
    _, agent = agent_factory()
    decision = agent.check_operation("command", command)
    assert decision.ok and decision.details["writes"] == writes


@pytest.mark.parametrize("command", [
    "ls -la src", "git commit -am wip", "cat src/x.py | grep y",
    "echo > /dev/null; echo > /dev/sda",
    "echo > $F; sed -i x src/*.py; echo > \"$(date)\".log",  # globs and expansions name no lease
    "rm -rf node_modules build/",  # caches
    "echo x >> .git/info/exclude",  # .git is the guardrails' (blocked below trust 3)
    "echo x > ~alice/notes.md; touch ~+/f ~-/g",  # another's home, $PWD and $OLDPWD: no file in the tree here
])
def test_what_no_lease_names_is_left_out(agent_factory: Callable[..., Any], command: str) -> None:
    _, agent = agent_factory()
    decision = agent.check_operation("command", command)
    assert "writes" not in decision.details, decision.details


def test_sql_and_path_checks_carry_no_writes(agent_factory: Callable[..., Any]) -> None:
    _, agent = agent_factory()
    for kind, text in (("sql", "update t set x = 1"), ("path", "src/x.py")):
        decision = agent.check_operation(kind, text)
        assert "writes" not in (decision.details or {}), (kind, decision.details)
    assert "writes" in agent.check_operation("command", "touch src/x.py").details
