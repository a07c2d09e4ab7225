"""Several repositories per tenant: a lease is keyed by repository as well as path. The
caller's repository is its session's, else its token's, else default; a task records the
repository it was submitted in and its claim takes the leases there."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest

from coordinator.client import Client
from coordinator.errors import InvalidArgument
from coordinator.results import LockResult
from tests.conftest import Database, Principal, make_principal


def _token(conn: psycopg.Connection, principal: Principal, repository: str | None) -> str:
    """Another token of principal that names repository (the admin path, coord token issue)."""
    row = conn.execute("select token from coord.issue_token(%s, %s, '{*}', null, null, %s)",
                       (principal.tenant_id, principal.principal_id, repository)).fetchone()
    assert row is not None
    return row[0]  # type: ignore[no-any-return]


_TENANT = ["t1"]


@pytest.fixture(autouse=True)
def _own_tenant() -> None:
    """Each test in a tenant of its own, so rows other tests left in the shared database (or
    that they hold in the same transaction) are never counted."""
    _TENANT[0] = f"repos-{uuid.uuid4().hex[:8]}"


def _tenant_id(db: psycopg.Connection) -> uuid.UUID:
    return db.execute("select id from coord.tenants where name = %s", (_TENANT[0],)).fetchone()[0]  # type: ignore[index]


def _agent(db: psycopg.Connection, name: str, repository: str | None = None) -> tuple[Principal, Client]:
    principal = make_principal(db, name, tenant=_TENANT[0])
    token = principal.token if repository is None else _token(db, principal, repository)
    return principal, Client(connection=db, token=token)


def test_same_path_in_two_repositories_never_collides(db: psycopg.Connection) -> None:
    _, alice = _agent(db, "alice", "api")
    _, bob = _agent(db, "bob", "web")
    _, carol = _agent(db, "carol", "web")
    a = alice.acquire_lock("src/app.py")
    b = bob.acquire_lock("src/app.py")
    assert (a.code, a.repository, b.code, b.repository) == ("granted", "api", "granted", "web")
    busy = carol.acquire_lock("src/app.py")
    assert (busy.code, busy.holder_name, busy.repository) == ("busy", "bob", "web")
    # each sees only its own repository's leases
    assert [(c.locked, c.holder_name, c.repository) for c in alice.check_locks(["src/app.py"])] == [
        (True, "alice", "api")]
    assert [(c.holder_name, c.repository) for c in carol.check_locks(["src/app.py"])] == [("bob", "web")]
    assert [(m.path, m.repository) for m in bob.my_locks()] == [("src/app.py", "web")]
    rows = db.execute("select repository, path from coord.locks where tenant_id = %s order by repository",
                      (_tenant_id(db),)).fetchall()
    assert rows == [("api", "src/app.py"), ("web", "src/app.py")]


def test_a_directory_lease_covers_only_its_own_repository(db: psycopg.Connection) -> None:
    _, alice = _agent(db, "alice", "api")
    _, bob = _agent(db, "bob", "web")
    _, dave = _agent(db, "dave", "api")
    assert alice.acquire_lock("src/").code == "granted"
    assert bob.acquire_lock("src/app.py").code == "granted"  # another repository's subtree
    assert bob.acquire_lock("src/").code == "granted"
    assert dave.acquire_lock("src/app.py").code == "busy"  # inside alice's directory in api
    assert [c.locked for c in bob.check_locks(["src/deep/x.py"])] == [True]
    assert {c.holder_name for c in bob.check_locks(["src/"])} == {"bob"}


def test_release_renew_and_assert_act_in_the_callers_repository(db: psycopg.Connection) -> None:
    principal, in_api = _agent(db, "alice", "api")
    in_web = Client(connection=db, token=_token(db, principal, "web"))
    granted = in_api.acquire_lock("src/app.py")
    # the same principal in another repository holds nothing there
    assert in_web.release_lock("src/app.py", granted.fence).code == "not_held"
    assert in_web.renew_lock("src/app.py", granted.fence).code == "not_held"
    assert in_web.assert_lease("src/app.py", granted.fence).code == "not_held"
    assert in_web.my_locks() == []
    held = in_api.assert_lease("src/app.py", granted.fence)
    assert (held.code, held.repository) == ("held", "api")
    assert in_api.renew_lock("src/app.py", granted.fence).code == "renewed"
    released = in_api.release_lock("src/app.py", granted.fence)
    assert (released.code, released.repository) == ("released", "api")


def test_a_newer_grant_in_another_repository_is_no_stale_fence(db: psycopg.Connection) -> None:
    _, alice = _agent(db, "alice", "api")
    _, bob = _agent(db, "bob", "web")
    first = alice.acquire_lock("x.py")
    assert alice.release_lock("x.py", first.fence).code == "released"
    assert bob.acquire_lock("x.py").code == "granted"  # a larger fence, in web
    assert alice.release_lock("x.py", first.fence).code == "not_held"


def test_without_session_or_token_repository_the_repository_is_default(db: psycopg.Connection) -> None:
    _, plain = _agent(db, "plain")
    _, named = _agent(db, "named", "default")
    assert plain.authenticate().repository == "default"
    result = plain.acquire_lock("src/app.py")
    assert (result.code, result.repository) == ("granted", "default")
    assert named.acquire_lock("src/app.py").code == "busy"  # default is a repository like any other


def test_the_token_repository_is_used_without_a_session(db: psycopg.Connection) -> None:
    _, client = _agent(db, "alice", "api")
    assert client.authenticate().repository == "api"
    assert client.acquire_lock("a.py").repository == "api"
    # a session started without naming one works in the token's repository
    started = client.start_session()
    assert started.details["repository"] == "api"
    assert client.authenticate().repository == "api"


def test_the_session_repository_wins_over_the_tokens(db: psycopg.Connection) -> None:
    principal, client = _agent(db, "alice", "api")
    _, bob = _agent(db, "bob", "web")
    started = client.start_session(repository="web")
    assert (started.code, started.details["repository"]) == ("started", "web")
    assert client.authenticate().repository == "web"
    assert db.execute("select repository from coord.sessions where id = %s",
                      (started.session_id,)).fetchone() == ("web",)
    assert bob.acquire_lock("src/app.py").code == "granted"
    busy = client.acquire_lock("src/app.py")
    assert (busy.code, busy.repository) == ("busy", "web")
    # the same token without the session header is back in its own repository
    outside = Client(connection=db, token=client.token)
    assert outside.acquire_lock("src/app.py").repository == "api"
    # ending the session releases its leases in its repository
    assert client.acquire_lock("other.py").code == "granted"
    ended = client.end_session()
    assert (ended.code, ended.details["released_paths"], ended.details["repository"]) == (
        "ended", ["other.py"], "web")
    assert principal.name == "alice"


def test_the_client_cannot_choose_its_repository_any_other_way(db: psycopg.Connection) -> None:
    _, client = _agent(db, "alice", "api")
    client.extra_headers = {"x-coord-repository": "web"}
    assert client.acquire_lock("a.py").repository == "api"
    # claims changed by hand after login are not vouched for: the repository is the database's
    db.execute("select api.login(%s)", (client.token,))
    db.execute("select set_config('request.jwt.claims', "
               "jsonb_set(current_setting('request.jwt.claims')::jsonb, '{repository}', '\"web\"')::text, true)")
    with pytest.raises(psycopg.Error) as caught, db.transaction():
        db.execute("select * from api.acquire_lock('a.py')")
    assert caught.value.sqlstate == "PT401"


@pytest.mark.parametrize("name", ["", "Upper", "-lead", "a b", "x" * 64, "../etc", "a/b"])
def test_a_bad_repository_name_is_refused_with_a_hint(db: psycopg.Connection, name: str) -> None:
    principal, client = _agent(db, "alice")
    with pytest.raises(InvalidArgument) as caught:
        client.start_session(repository=name)
    assert caught.value.code == "CO207" and caught.value.hint
    with pytest.raises(psycopg.Error) as raised, db.transaction():
        _token(db, principal, name)
    assert raised.value.sqlstate == "CO207"
    sessions = db.execute("select count(*) from coord.sessions where tenant_id = %s", (principal.tenant_id,))
    assert sessions.fetchone() == (0,)


def test_a_claim_takes_its_leases_in_the_repository_the_task_was_submitted_in(db: psycopg.Connection) -> None:
    _, submitter = _agent(db, "submitter", "web")
    _, worker = _agent(db, "worker", "api")
    _, web_dev = _agent(db, "web-dev", "web")
    _, api_dev = _agent(db, "api-dev", "api")
    submitted = submitter.submit_task("build", locks=["src/app.py"])
    assert submitter.get_task(submitted.task_id).repository == "web"
    assert [t.repository for t in submitter.list_tasks()] == ["web"]
    claimed = worker.claim_task(["build"])
    assert (claimed.code, claimed.repository, list(claimed.locks)) == ("claimed", "web", ["src/app.py"])
    assert db.execute("select repository, path, task_id from coord.locks where tenant_id = %s",
                      (_tenant_id(db),)).fetchall() == [
        ("web", "src/app.py", submitted.task_id)]
    assert web_dev.acquire_lock("src/app.py").code == "busy"
    assert api_dev.acquire_lock("src/app.py").code == "granted"
    assert worker.complete_task(submitted.task_id, claimed.claim, {}).code == "completed"
    assert web_dev.acquire_lock("src/app.py").code == "granted"


def test_a_claim_is_kept_waiting_only_by_leases_in_the_tasks_repository(db: psycopg.Connection) -> None:
    _, submitter = _agent(db, "submitter", "web")
    _, worker = _agent(db, "worker")
    _, api_dev = _agent(db, "api-dev", "api")
    _, web_dev = _agent(db, "web-dev", "web")
    assert api_dev.acquire_lock("src/").code == "granted"
    submitter.submit_task("build", locks=["src/app.py"])
    assert worker.claim_task(["build"]).code == "claimed"  # src/ is held in api, not in web
    assert web_dev.acquire_lock("lib/").code == "granted"
    submitter.submit_task("build", locks=["lib/util.py"])
    skipped = worker.claim_task(["build"])
    assert (skipped.code, skipped.details["skipped_busy_leases"]) == ("empty", 1)


def test_ending_a_session_releases_its_task_leases_in_other_repositories(db: psycopg.Connection) -> None:
    _, submitter = _agent(db, "submitter", "api")
    _, worker = _agent(db, "worker")
    task = submitter.submit_task("build", locks=["src/app.py"])
    assert worker.start_session(repository="web").ok
    assert worker.acquire_lock("mine.py").code == "granted"
    assert worker.claim_task(["build"]).repository == "api"
    ended = worker.end_session()
    assert (ended.details["released_paths"], ended.details["requeued_tasks"]) == (
        ["api:src/app.py", "mine.py"], [task.task_id])
    assert db.execute("select count(*) from coord.locks where tenant_id = %s", (_tenant_id(db),)).fetchone() == (0,)


def test_a_handoff_records_its_repository(db: psycopg.Connection) -> None:
    _, client = _agent(db, "alice", "api")
    assert client.write_handoff("done", relevant_files=["src/app.py"]).ok
    [handoff] = client.read_handoff()
    assert (handoff.repository, list(handoff.relevant_files)) == ("api", ["src/app.py"])


def test_the_audit_trail_names_the_repository(db: psycopg.Connection) -> None:
    _, client = _agent(db, "alice", "api")
    granted = client.acquire_lock("a.py")
    client.release_lock("a.py", granted.fence)
    details = db.execute("select details ->> 'repository' from audit.events where tenant_id = %s "
                         "and action in ('lock.acquire', 'lock.release') order by id", (_tenant_id(db),)).fetchall()
    assert details == [("api",), ("api",)]


# --- real connections racing ----------------------------------------------------------------

@contextmanager
def _racers(database: Database, repositories: list[str]) -> Iterator[list[Client]]:
    with database.connect() as conn:
        principals = [make_principal(conn, f"racer{i}", tenant="repos") for i in range(len(repositories))]
        tokens = [_token(conn, p, r) for p, r in zip(principals, repositories, strict=True)]
    clients = [Client(database.client_dsn, token) for token in tokens]
    try:
        yield clients
    finally:
        for client in clients:
            client.close()


def _race(clients: list[Client], path: str) -> list[LockResult]:
    barrier = threading.Barrier(len(clients))
    results: list[LockResult] = []

    def contend(client: Client) -> None:
        barrier.wait()
        results.append(client.acquire_lock(path))

    threads = [threading.Thread(target=contend, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.parametrize("rounds", [5])
def test_racing_for_the_same_path_in_two_repositories_both_win(committed_db: Database, rounds: int) -> None:
    with _racers(committed_db, ["api", "web"]) as clients:
        for i in range(rounds):
            results = _race(clients, f"race{i}/app.py")
            assert sorted((r.code, r.repository) for r in results) == [("granted", "api"), ("granted", "web")]


@pytest.mark.parametrize("rounds", [5])
def test_racing_for_the_same_path_in_one_repository_exactly_one_wins(committed_db: Database, rounds: int) -> None:
    with _racers(committed_db, ["api", "api", "api", "web"]) as clients:
        for i in range(rounds):
            # a directory and files below it in api; the web racer takes the directory elsewhere
            results = _race(clients, f"race{i}/")
            by_repository = sorted((r.repository, r.code) for r in results)
            assert by_repository == [("api", "busy"), ("api", "busy"), ("api", "granted"), ("web", "granted")]


# --- the CLI --------------------------------------------------------------------------------

def test_the_cli_issues_a_token_for_a_repository_and_lists_leases_with_it(committed_db: Database) -> None:
    from click.testing import CliRunner
    from coord_cli.main import main

    env = {"COORD_TOKEN": "", "COORD_DSN": "", "COORD_ADMIN_DSN": "", "COORD_DATA_DIR": "", "COORD_REPOSITORY": ""}

    def coord(*args: str, **extra: str) -> Any:
        return CliRunner().invoke(main, list(args), env={**env, **extra}, catch_exceptions=False)

    with committed_db.connect() as conn:
        make_principal(conn, "cli-agent", tenant="t1")
    admin = ["--tenant", "t1", "--admin-dsn", committed_db.admin_dsn]
    issued = coord("token", "issue", "cli-agent", *admin, "--repository", "api")
    assert issued.exit_code == 0 and "repository: api" in issued.stdout
    api_token = issued.stdout.split("token (shown once): ")[1].split()[0]
    from_env = coord("token", "issue", "cli-agent", *admin, "--json", COORD_REPOSITORY="web")
    web_token = json.loads(from_env.stdout)["token"]
    bad = coord("token", "issue", "cli-agent", *admin, "--repository", "Not/A/Repo", "--json")
    assert bad.exit_code != 0 and json.loads(bad.stdout)["code"] == "CO207"

    client = ["--dsn", committed_db.client_dsn]
    for token in (api_token, web_token):
        taken = coord("lock", "acquire", "src/app.py", "--token", token, *client, "--json")
        assert taken.exit_code == 0 and json.loads(taken.stdout)["code"] == "granted"
    listed = json.loads(coord("lock", "list", "--token", web_token, *client, "--json").stdout)
    assert [(r["repository"], r["path"]) for r in listed] == [("web", "src/app.py")]
    human = coord("lock", "list", "src/", "--token", api_token, *client, COLUMNS="200")
    assert human.exit_code == 0 and "repository" in human.stdout and "api" in human.stdout
