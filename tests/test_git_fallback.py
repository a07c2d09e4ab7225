"""The git fallback (coordinator/git_fallback.py, docs/git-fallback.md): leases and claims as refs
of a bare remote, raced by several clones, and coord git-sync importing them into the database.

Every clone is a GitFallback with its own cache repository (its own machine) on one local bare
remote; time is a fake clock moved by the tests, never slept on.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import socket
import subprocess
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner, Result
from coord_cli.main import main

from coordinator.client import Client
from coordinator.errors import EXIT_NOT_OK, EXIT_UNAVAILABLE, CoordError
from coordinator.git_fallback import (
    CLAIMS,
    INTENTS,
    LOCKS,
    GitFallback,
    _Lost,
    canonical_path,
    holder_key,
    node_of,
    ref_key,
    sync,
)
from tests.conftest import Database, make_principal


@dataclass
class FakeClock:
    now: datetime = datetime(2030, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def remote(tmp_path: Path) -> str:
    path = tmp_path / "remote.git"
    subprocess.run(["git", "init", "--quiet", "--bare", str(path)], check=True)
    return str(path)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def clone(tmp_path: Path, remote: str, clock: FakeClock, name: str, token: str | None = None) -> GitFallback:
    return GitFallback(remote, token or f"coord_token_of_{name}", holder=name, cache_dir=tmp_path / f"cache-{name}",
                       clock=clock)


def remote_refs(remote: str) -> dict[str, str]:
    out = subprocess.run(["git", "ls-remote", remote, "refs/coord/*"], capture_output=True, text=True, check=True)
    return {ref: sha for sha, ref in (line.split("\t") for line in out.stdout.splitlines())}


def overlaps(a: str, b: str) -> bool:
    a, b = node_of(a), node_of(b)
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


# --- paths: the database's canonical form ---------------------------------------------------------

PATHS = ["src/app.py", "./src/../src/app.py", "src//app.py", "src\\app.py", "src/", "src/.", "src/lib/..",
         "a/b/c/", "Src/App.py", "caf\u0065\u0301.txt", "app/[id]/page.tsx", "[...slug].tsx", "{a}.txt",
         "[1].txt", ' ["not", "json"', "x/./y/./z", "dir/sub/../file", "", "/etc/passwd", "\\x", "C:/x",
         "..", "a/../..", ".", "./", "a\x01b", '["src/app.py"]', '{"p": 1}', "a" * 4097, "ok\u00a0name"]


def test_canonical_paths_agree_with_the_database(db: psycopg.Connection) -> None:
    for path in PATHS:
        try:
            with db.transaction():
                row = db.execute("select coord.normalize_path(%s)", (path,)).fetchone()
            expected: tuple[str, str] = ("ok", row[0] if row else "")
        except psycopg.Error as exc:
            expected = ("error", exc.sqlstate or "")
        try:
            mine: tuple[str, str] = ("ok", canonical_path(path))
        except CoordError as exc:
            mine = ("error", exc.code)
        assert mine == expected, path


def test_ref_names_and_holder_key() -> None:
    assert ref_key("default", "src") == ref_key("default", node_of("src/"))
    assert ref_key("default", "src") != ref_key("other", "src")
    assert len(ref_key("r", "p")) == 40
    key = holder_key("coord_secret")
    assert len(key) == 16 and key not in hashlib.sha256(b"coord_secret").hexdigest()  # not the stored hash


# --- leases -----------------------------------------------------------------------------------------

def test_overlapping_leases_exclude_each_other(tmp_path: Path, remote: str, clock: FakeClock) -> None:
    a, b = clone(tmp_path, remote, clock, "a"), clone(tmp_path, remote, clock, "b")
    first = a.acquire("src/app.py")
    assert (first.ok, first.code, first.fence) == (True, "granted", 1)
    for path in ("src/", "src", "src/app.py", "src/app.py/inner"):
        refused = b.acquire(path)
        assert (refused.ok, refused.code, refused.holder_name, refused.holder_path) == (False, "busy", "a",
                                                                                       "src/app.py"), path
    assert b.acquire("src/other.py").code == "granted"  # a sibling does not overlap
    assert a.acquire("src/app.py").code == "renewed"  # re-taking your own lease renews it, same fence
    assert a.release("src/app.py", 1).code == "released"
    directory = b.acquire("src/")
    assert directory.code == "busy" and directory.holder_name == "b"  # b's own sibling lease is below it
    assert b.release("src/other.py", 1).code == "released"
    assert b.acquire("src/").code == "granted"
    assert a.acquire("src/deep/down/file.py").code == "busy"  # a lease on a directory covers its subtree


def race(clones: dict[str, GitFallback], assignments: dict[str, list[str]]) -> list[tuple[str, str]]:
    """Every clone takes its paths at once (threads released by one barrier); the grants."""
    barrier = threading.Barrier(len(assignments))
    granted: list[tuple[str, str]] = []
    errors: list[BaseException] = []

    def run(name: str, paths: list[str]) -> None:
        try:
            barrier.wait()
            for path in paths:
                if clones[name].acquire(path).ok:
                    granted.append((name, path))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=item) for item in assignments.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return granted


def test_racing_clones_never_hold_overlapping_leases(tmp_path: Path, remote: str, clock: FakeClock) -> None:
    names = ["c0", "c1", "c2", "c3"]
    clones = {n: clone(tmp_path, remote, clock, n) for n in names}
    wanted = [["src/", "docs/a.md"], ["src/app.py", "docs/"], ["src/app.py", "lib/x.py"], ["src/lib/", "lib/"]]
    for round_ in range(3):
        granted = race(clones, {n: wanted[(i + round_) % len(wanted)] for i, n in enumerate(names)})
        assert granted, "somebody must win"
        for (n1, p1), (n2, p2) in itertools.combinations(granted, 2):
            assert n1 == n2 or not overlaps(p1, p2), (granted, round_)
        # Every lease the remote holds is one that was granted, and vice versa.
        held = {(lease.holder, lease.path) for _, _, lease in clones["c0"].leases() if lease.live(clock())}
        assert held == {(n, canonical_path(p)) for n, p in granted}
        clock.advance(16 * 60)  # all expire; the next round takes them over


def test_takeover_after_expiry_bumps_the_fence_and_the_stale_holder_is_refused(
        tmp_path: Path, remote: str, clock: FakeClock) -> None:
    a, b = clone(tmp_path, remote, clock, "a"), clone(tmp_path, remote, clock, "b")
    assert a.acquire("src/app.py", ttl="1 minute").fence == 1
    lock_ref = LOCKS + ref_key("default", "src/app.py")
    old = remote_refs(remote)[lock_ref]
    assert b.acquire("src/app.py").code == "busy"
    clock.advance(61)
    taken = b.acquire("src/app.py")
    assert (taken.code, taken.fence, taken.details["took_over"]) == ("granted", 2, True)
    new = remote_refs(remote)[lock_ref]
    parent = subprocess.run(["git", "--git-dir", remote, "rev-parse", f"{new}^"], capture_output=True, text=True,
                            check=True).stdout.strip()
    assert parent == old  # the takeover's commit continues the old lease's history
    # The stale holder: its push still expects the value it read, which is no longer the ref's.
    with pytest.raises(_Lost):
        a._push({lock_ref: (old, None)})
    assert remote_refs(remote)[lock_ref] == new
    assert a.release("src/app.py", 1).code == "not_held"  # the lease is b's now
    assert a.acquire("src/app.py").code == "busy"
    assert b.release("src/app.py", 1).code == "stale_fence"
    assert b.release("src/app.py", 2).code == "released"
    assert lock_ref not in remote_refs(remote)
    assert a.acquire("src/app.py").fence == 3  # fences never go back, even after a release


def test_a_push_on_a_value_read_before_another_grant_is_refused(tmp_path: Path, remote: str,
                                                               clock: FakeClock) -> None:
    """The race itself, step by step: a reads, b grants an overlapping lease, a pushes."""
    a, b = clone(tmp_path, remote, clock, "a"), clone(tmp_path, remote, clock, "b")
    intent = INTENTS + ref_key("default", "src")
    before = remote_refs(remote).get(intent)
    assert b.acquire("src/").code == "granted"
    commit = a._commit(json.dumps({"leases": []}), None)
    with pytest.raises(_Lost):  # a still expects src's intention ref to be absent
        a._push({LOCKS + ref_key("default", "src/app.py"): (None, commit), intent: (before, commit)})
    assert a.acquire("src/app.py").code == "busy"  # read again: busy


def test_claims_are_exclusive_and_taken_over_after_expiry(tmp_path: Path, remote: str, clock: FakeClock) -> None:
    a, b = clone(tmp_path, remote, clock, "a"), clone(tmp_path, remote, clock, "b")
    first = a.claim(7, "1 minute")
    assert (first.ok, first.code, first.claim) == (True, "claimed", 1)
    assert b.claim(7).code == "busy"
    assert a.claim(7).code == "renewed"
    clock.advance(5 * 60)
    taken = b.claim(7)
    assert (taken.code, taken.claim) == ("claimed", 2)
    assert a.claim(7).code == "busy"
    assert CLAIMS + "7" in remote_refs(remote)


def test_nothing_is_written_to_the_work_tree(tmp_path: Path, remote: str, clock: FakeClock,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "work"
    subprocess.run(["git", "init", "--quiet", str(work)], check=True)
    monkeypatch.chdir(work)
    monkeypatch.setenv("GIT_DIR", str(work / ".git"))  # even when the caller's environment names its repository
    a = clone(tmp_path, remote, clock, "a")
    assert a.acquire("src/app.py").ok
    listed = subprocess.run(["git", "for-each-ref"], cwd=work, capture_output=True, text=True, check=True)
    assert listed.stdout == ""
    count = subprocess.run(["git", "count-objects"], cwd=work, capture_output=True, text=True, check=True)
    assert count.stdout.startswith("0 objects")


# --- coord git-sync ---------------------------------------------------------------------------------

def test_sync_imports_exactly_what_was_held_and_refuses_conflicts(tmp_path: Path, remote: str,
                                                                   committed_db: Database) -> None:
    clock = FakeClock(datetime.now(UTC))
    with committed_db.connect() as conn:
        alice = make_principal(conn, "sync-alice")
        bob = make_principal(conn, "sync-bob")
        carol = make_principal(conn, "sync-carol")
    with Client(committed_db.client_dsn, carol.token) as c:
        assert c.acquire_lock("lib/", ttl="1 hour").ok  # carol's database lease, from before the outage
        queued = c.submit_task("build")
    a = clone(tmp_path, remote, clock, "alice", alice.token)
    b = clone(tmp_path, remote, clock, "bob", bob.token)
    assert a.acquire("src/app.py").fence == 1
    assert a.acquire("docs/").fence == 1
    assert a.acquire("lib/x.py").ok  # carol's lease is in the database, out of git's sight
    assert a.acquire("old.txt", ttl="1 second").ok
    assert b.acquire("tests/").ok
    assert a.claim(queued.task_id).ok
    clock.advance(2)  # old.txt has expired

    with Client(committed_db.client_dsn, alice.token) as c:
        before = remote_refs(remote)
        planned = sync(a, c, dry_run=True)
        assert {r["path"]: r["action"] for r in planned["leases"]} == {
            "src/app.py": "would_import", "docs/": "would_import", "lib/x.py": "would_import", "old.txt": "expired"}
        assert remote_refs(remote) == before  # a dry run changes nothing
        report = sync(a, c, clear_all=True)
        rows = {r["path"]: r for r in report["leases"]}
        assert {p: r["action"] for p, r in rows.items()} == {
            "src/app.py": "imported", "docs/": "imported", "lib/x.py": "refused", "old.txt": "expired"}
        assert rows["lib/x.py"]["code"] == "busy" and rows["lib/x.py"]["holder_name"] == "sync-carol"
        assert all(r["cleared"] for r in rows.values())
        assert sorted(lease.path for lease in c.my_locks()) == ["docs/", "src/app.py"]
        [claim] = report["claims"]
        assert (claim["action"], claim["code"]) == ("imported", "claimed")
        assert c.get_task(queued.task_id).state == "claimed"
    left = remote_refs(remote)
    assert LOCKS + ref_key("default", "tests") in left  # bob's stays for bob
    assert not any(r.startswith(LOCKS) and r != LOCKS + ref_key("default", "tests") for r in left)
    assert not any(r.startswith(CLAIMS) for r in left)

    with committed_db.connect() as conn:
        audited = conn.execute(
            "select target_id, decision, details ->> 'request_reason' from audit.events "
            "where action = 'lock.acquire' and actor_id = %s order by id", (alice.principal_id,)).fetchall()
    assert {target: decision for target, decision, _ in audited} == {
        "src/app.py": "granted", "docs/": "granted", "lib/x.py": "busy"}
    assert all("git fallback" in (reason or "") for _, _, reason in audited), audited


def test_claim_task_by_id(committed_db: Database) -> None:
    with committed_db.connect() as conn:
        alice = make_principal(conn, "byid-alice")
        bob = make_principal(conn, "byid-bob")
    with Client(committed_db.client_dsn, alice.token) as a, Client(committed_db.client_dsn, bob.token) as b:
        first = a.submit_task("byid")
        second = a.submit_task("byid", depends_on=[first.task_id])
        claimed = b.claim_task_by_id(first.task_id)
        assert (claimed.ok, claimed.code, claimed.task_id) == (True, "claimed", first.task_id)
        assert a.claim_task_by_id(first.task_id).code == "empty"  # claimed by bob
        assert a.claim_task_by_id(second.task_id).code == "empty"  # waits on its dependency
        with pytest.raises(CoordError) as unknown:
            a.claim_task_by_id(2**40)
        assert unknown.value.code == "CO410"
        assert b.complete_task(first.task_id, claimed.claim).ok
        assert a.claim_task_by_id(second.task_id).code == "claimed"


# --- the CLI: fall back on a connection failure, never on a refusal -----------------------------

def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def coord(*args: str, env: dict[str, str] | None = None) -> Result:
    base = {"COORD_TOKEN": "", "COORD_DSN": "", "COORD_ADMIN_DSN": "", "COORD_DATA_DIR": "", "COORD_FALLBACK": "",
            "COORD_FALLBACK_REMOTE": "", "COORD_REPOSITORY": "", "COORD_AGENT": ""}
    return CliRunner().invoke(main, list(args), env={**base, **(env or {})}, catch_exceptions=False)


def test_cli_falls_back_only_when_the_database_cannot_be_reached(tmp_path: Path, remote: str,
                                                                 committed_db: Database,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    down = f"postgresql://coord:x@127.0.0.1:{closed_port()}/coord"
    root = ["--root", str(tmp_path)]
    with committed_db.connect() as conn:
        alice = make_principal(conn, "cli-alice")
        bob = make_principal(conn, "cli-bob")
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache"), "COORD_AGENT": "alice"}
    fallback = ["--fallback", "git", "--fallback-remote", remote]

    no_fallback = coord("lock", "acquire", "src/app.py", "--dsn", down, "--token", alice.token, *root, env=env)
    assert no_fallback.exit_code == EXIT_UNAVAILABLE
    assert remote_refs(remote) == {}

    taken = coord("lock", "acquire", "src/app.py", "--dsn", down, "--token", alice.token, *root, *fallback,
                  "--json", env=env)
    assert taken.exit_code == 0, taken.output
    data = json.loads(taken.stdout)
    assert (data["ok"], data["code"], data["via"], data["fence"]) == (True, "granted", "git", 1)

    # A refusal by a server that answered: a wrong password, a bad token, a busy lease.
    wrong_password = committed_db.client_dsn.replace("://coord_authenticator:", "://coord_authenticator:wrong")
    for dsn, token in ((wrong_password, alice.token), (committed_db.client_dsn, "coord_" + "0" * 40)):
        refused = coord("lock", "acquire", "docs/", "--dsn", dsn, "--token", token, *root, *fallback, env=env)
        assert refused.exit_code not in (0, EXIT_NOT_OK), refused.output
    with Client(committed_db.client_dsn, bob.token) as c:
        assert c.acquire_lock("docs/").ok
    busy = coord("lock", "acquire", "docs/", "--dsn", committed_db.client_dsn, "--token", alice.token, *root,
                 *fallback, "--json", env=env)
    assert busy.exit_code == EXIT_NOT_OK and json.loads(busy.stdout)["code"] == "busy"
    assert list(remote_refs(remote)).count(LOCKS + ref_key("default", "docs")) == 0

    released = coord("lock", "release", "src/app.py", "--fence", "1", "--dsn", down, "--token", alice.token,
                     *root, *fallback, "--json", env=env)
    assert released.exit_code == 0 and json.loads(released.stdout)[0]["code"] == "released"


def test_two_clones_coordinate_with_the_server_down_and_sync_imports_the_result(
        tmp_path: Path, remote: str, committed_db: Database) -> None:
    """The issue's done-when: two clones, a bare remote, the server down, then coord git-sync."""
    with committed_db.connect() as conn:
        alice = make_principal(conn, "e2e-alice")
        bob = make_principal(conn, "e2e-bob")
    with Client(committed_db.client_dsn, alice.token) as c:
        task = c.submit_task("e2e")
    down = f"postgresql://coord:x@127.0.0.1:{closed_port()}/coord"
    clones = {}
    for name in ("alice", "bob"):
        work = tmp_path / name
        subprocess.run(["git", "clone", "--quiet", remote, str(work)], check=True, capture_output=True)
        clones[name] = work
    common = {"COORD_FALLBACK": "git", "COORD_FALLBACK_REMOTE": remote, "COORD_DSN": down}

    def as_(name: str, token: str, *args: str) -> Result:
        *command, path = args  # a path as an agent's tool names it: absolute, in its clone
        return coord(*command, f"{clones[name]}/{path}", "--root", str(clones[name]), "--json",
                     env={**common, "COORD_TOKEN": token, "COORD_AGENT": name,
                          "XDG_CACHE_HOME": str(tmp_path / f"xdg-{name}")})

    assert json.loads(as_("alice", alice.token, "lock", "acquire", "src/").stdout)["code"] == "granted"
    busy = as_("bob", bob.token, "lock", "acquire", "src/app.py")
    assert busy.exit_code == EXIT_NOT_OK and json.loads(busy.stdout)["holder_name"] == "alice"
    assert json.loads(as_("bob", bob.token, "lock", "acquire", "docs/guide.md").stdout)["code"] == "granted"
    claim = coord("task", "claim", "--task-id", str(task.task_id), "--json",
                  env={**common, "COORD_TOKEN": bob.token, "COORD_AGENT": "bob",
                       "XDG_CACHE_HOME": str(tmp_path / "xdg-bob")})
    assert json.loads(claim.stdout)["code"] == "claimed", claim.output
    for name in clones:  # nothing in either work tree
        assert subprocess.run(["git", "status", "--porcelain"], cwd=clones[name], capture_output=True,
                              text=True).stdout == ""

    # The database is back: each agent syncs with its token.
    for name, who in (("alice", alice), ("bob", bob)):
        synced = coord("git-sync", "--dsn", committed_db.client_dsn, "--token", who.token, "--fallback-remote",
                       remote, "--json", env={"XDG_CACHE_HOME": str(tmp_path / f"xdg-{name}")})
        assert synced.exit_code == 0, synced.output
    with Client(committed_db.client_dsn, alice.token) as c:
        assert [lease.path for lease in c.my_locks()] == ["src/"]
        assert c.acquire_lock("src/app.py").code == "granted"  # alice's own subtree
    with Client(committed_db.client_dsn, bob.token) as c:
        assert [lease.path for lease in c.my_locks()] == ["docs/guide.md"]
        got: Any = c.get_task(task.task_id)
        assert got.state == "claimed"
        assert c.acquire_lock("src/app.py").code == "busy"  # the imported lease holds in the database
    assert remote_refs(remote).keys() <= {r for r in remote_refs(remote) if r.startswith(INTENTS)}


def test_the_claude_code_hook_leases_on_git_when_the_server_is_unreachable(tmp_path: Path, remote: str) -> None:
    from tests.hook_support import Hook, decision, event
    from tests.test_hooks import UNREACHABLE

    repo = tmp_path / "shop"
    (repo / "src").mkdir(parents=True)
    (repo / "src" / "app.py").write_text("DEBUG = True\n")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    repo = repo.resolve()
    hooks = {}
    for name in ("alice", "bob"):
        hooks[name] = Hook(UNREACHABLE, f"coord_token_of_{name}", tmp_path / f"state-{name}")
        hooks[name].env.update({"COORD_FALLBACK": "git", "COORD_FALLBACK_REMOTE": remote, "COORD_AGENT": name,
                                "XDG_CACHE_HOME": str(tmp_path / f"cache-{name}"), "COORD_REPOSITORY": ""})
    assert hooks["alice"](event("pre_tool_use_edit", repo)) == (0, None, "")  # leased on git: no objection
    code, output, _ = hooks["bob"](event("pre_tool_use_edit", repo))
    verdict, reason = decision(output)
    assert code == 0 and verdict == "deny" and "alice" in reason and "git fallback" in reason
    code, output, _ = hooks["bob"](event("pre_tool_use_bash_rm_rf", repo))  # only leases fall back
    assert code == 0 and decision(output)[0] == "ask"
    del hooks["alice"].env["COORD_FALLBACK"]  # without the fallback: the --on-error answer, as before
    code, output, _ = hooks["alice"](event("pre_tool_use_edit", repo))
    assert code == 0 and decision(output)[0] == "ask"
    assert [r for r in remote_refs(remote) if r.startswith(LOCKS)] == [LOCKS + ref_key("default", "src/app.py")]
