"""Lock behaviour through the Python client: decisions, audit, waiting with real connections."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest

from coordinator.client import Client
from coordinator.results import LockResult
from tests.conftest import Database, in_thread, make_principal, wait_for_backend


def test_grant_busy_renew_release_cycle(agent_factory) -> None:
    _, alice = agent_factory("alice")
    _, bob = agent_factory("bob")
    granted = alice.acquire_lock("src/a.py", ttl="10 minutes", reason="refactor")
    assert (granted.ok, granted.code, granted.path, granted.mode) == (True, "granted", "src/a.py", "exclusive")
    busy = bob.acquire_lock("src/a.py")
    assert (busy.ok, busy.code, busy.holder_name) == (False, "busy", "alice")
    assert busy.holder_expires_at == granted.expires_at
    assert busy.details["conflicts"][0]["path"] == "src/a.py"
    renewed = alice.acquire_lock("src/a.py", ttl="20 minutes")
    assert (renewed.code, renewed.fence) == ("renewed", granted.fence)
    assert renewed.expires_at > granted.expires_at
    held = alice.my_locks()
    assert [(h.path, h.fence, h.reason) for h in held] == [("src/a.py", granted.fence, "refactor")]
    released = alice.release_lock("src/a.py", granted.fence)
    assert (released.ok, released.code) == (True, "released")
    assert bob.acquire_lock("src/a.py").code == "granted"


def test_mode_change_takes_a_new_fence(agent_factory) -> None:
    _, alice = agent_factory()
    shared = alice.acquire_lock("docs/", mode="shared")
    exclusive = alice.acquire_lock("docs/", mode="exclusive")
    assert exclusive.code == "granted" and exclusive.fence > shared.fence
    assert exclusive.details == {"previous_mode": "shared", "previous_fence": shared.fence}
    assert alice.release_lock("docs/", shared.fence).code == "stale_fence"


def test_own_overlapping_leases_do_not_conflict(agent_factory) -> None:
    _, alice = agent_factory()
    _, bob = agent_factory()
    assert alice.acquire_lock("pkg/").code == "granted"
    assert alice.acquire_lock("pkg/mod.py").code == "granted"
    assert bob.acquire_lock("pkg/other.py").code == "busy"


def test_tenants_have_separate_namespaces(agent_factory) -> None:
    _, here = agent_factory(tenant="t1")
    _, there = agent_factory(tenant="t2")
    assert here.acquire_lock("same/path.py").code == "granted"
    assert there.acquire_lock("same/path.py").code == "granted"
    assert [c.locked for c in there.check_locks(["same/path.py"])] == [True]
    assert all(c.holder_name != here.authenticate().name for c in there.check_locks(["same/"]))


def test_repositories_have_separate_namespaces(agent_factory, db: psycopg.Connection) -> None:
    here, _ = agent_factory()
    there, _ = agent_factory()
    tokens = [db.execute("select token from coord.issue_token(%s, %s, '{*}', null, null, %s)",
                         (p.tenant_id, p.principal_id, r)).fetchone()[0] for p, r in ((here, "api"), (there, "web"))]
    in_api, in_web = (Client(connection=db, token=t) for t in tokens)
    assert in_api.acquire_lock("same/").code == "granted"
    assert in_web.acquire_lock("same/path.py").code == "granted"
    assert [(c.holder_name, c.repository) for c in in_web.check_locks(["same/"])] == [(there.name, "web")]


def test_denied_is_a_result_not_an_error(agent_factory, db: psycopg.Connection) -> None:
    _, reader = agent_factory(scopes=["locks:read"])
    denied = reader.acquire_lock("a.py")
    assert (denied.ok, denied.code) == (False, "denied")
    assert "locks:write" in (denied.reason or "")
    row = db.execute("select decision, engine, rule, severity from audit.events where action = 'lock.acquire' "
                     "and target_id = 'a.py' order by id desc limit 1").fetchone()
    assert row == ("denied", "native", "scope.missing", "warning")


def test_every_decision_is_audited_once(agent_factory, db: psycopg.Connection) -> None:
    principal, alice = agent_factory("alice")
    _, bob = agent_factory("bob")
    db.execute("select set_config('audit.mark', (select coalesce(max(id), 0)::text from audit.events), true)")
    first = alice.acquire_lock("f.py", ttl="1 minute")
    bob.acquire_lock("f.py")
    alice.acquire_lock("f.py", ttl="2 minutes")
    alice.release_lock("f.py", first.fence + 1000)
    alice.renew_lock("f.py", first.fence)
    alice.release_lock("f.py", first.fence)
    alice.release_lock("f.py", first.fence)
    rows = db.execute("select actor_name, action, decision, actor_id, engine from audit.events "
                      "where id > current_setting('audit.mark')::bigint order by id").fetchall()
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("alice", "lock.acquire", "granted"), ("bob", "lock.acquire", "busy"),
        ("alice", "lock.acquire", "renewed"), ("alice", "lock.release", "not_held"),
        ("alice", "lock.renew", "renewed"), ("alice", "lock.release", "released"),
        ("alice", "lock.release", "not_held")]
    assert {r[4] for r in rows} == {"native"}
    assert rows[0][3] == principal.principal_id


def test_audit_keeps_request_context_but_never_the_token(agent_factory, db: psycopg.Connection) -> None:
    principal, alice = agent_factory()
    alice.extra_headers = {"X-Request-Id": "req-42", "X-Forwarded-For": "10.1.2.3"}
    alice.acquire_lock("ctx.py")
    request, whole = db.execute("select request, e::text from audit.events e where target_id = 'ctx.py'").fetchone()
    assert request["request_id"] == "req-42" and request["forwarded_for"] == "10.1.2.3"
    assert request["method"] == "POST" and request["path"] == "/rpc/acquire_lock"
    assert principal.token not in whole


# --- waiting, with real concurrent connections -------------------------------------------------

@contextmanager
def _agents(database: Database, *names: str) -> Iterator[list[Client]]:
    with database.connect() as conn:
        tokens = [make_principal(conn, name).token for name in names]
    clients = [Client(database.client_dsn, token) for token in tokens]
    try:
        yield clients
    finally:
        for client in clients:
            client.close()


def test_wait_is_granted_when_the_holder_releases(committed_db: Database) -> None:
    with _agents(committed_db, "alice", "bob", "carol") as (alice, bob, carol):
        held = alice.acquire_lock("src/a.py")
        thread, out = in_thread(lambda: bob.acquire_lock("src/", wait="30 seconds"))
        wait_for_backend(committed_db, bob.connection.info.backend_pid, "wait_event = 'PgSleep'")
        # A waiter holds no advisory lock while it sleeps: others proceed, the holder can renew.
        with psycopg.connect(committed_db.client_dsn, options="-c statement_timeout=5000") as raw:
            quick = Client(connection=raw, token=carol.token)
            raw.autocommit = True
            assert quick.acquire_lock("lib/x.py").code == "granted"
        assert alice.acquire_lock("src/a.py").code == "renewed"
        assert alice.release_lock("src/a.py", held.fence).code == "released"
        thread.join(30)
        result = out["result"]
        assert (result.code, result.path) == ("granted", "src/")
        assert result.details["waited_ms"] >= 0


def test_wait_is_granted_when_the_blocking_lease_expires(committed_db: Database) -> None:
    with _agents(committed_db, "alice", "bob") as (alice, bob):
        alice.acquire_lock("exp.py", ttl="10 minutes")
        thread, out = in_thread(lambda: bob.acquire_lock("exp.py", wait="30 seconds"))
        wait_for_backend(committed_db, bob.connection.info.backend_pid, "wait_event = 'PgSleep'")
        with committed_db.connect() as conn:
            conn.execute("update coord.clock set offset_by = interval '11 minutes'")
        thread.join(30)
        assert out["result"].code == "granted"
        with committed_db.connect() as conn:
            expired = conn.execute("select count(*) from audit.events where action = 'lock.expire'").fetchone()
        assert expired == (1,)


def test_wait_gives_up_with_busy(committed_db: Database) -> None:
    with _agents(committed_db, "alice", "bob") as (alice, bob):
        alice.acquire_lock("held.py")
        result = bob.acquire_lock("held.py", wait="0.2 seconds")
        assert (result.code, result.holder_name) == ("busy", "alice")
        assert "waited_ms" in result.details
        with committed_db.connect() as conn:
            decisions = conn.execute("select decision from audit.events where target_id = 'held.py' "
                                     "order by id").fetchall()
        assert decisions == [("granted",), ("busy",)], "a wait is one decision, audited once"


@pytest.mark.parametrize("contenders", [4])
def test_simultaneous_acquires_grant_exactly_one(committed_db: Database, contenders: int) -> None:
    names = [f"agent{i}" for i in range(contenders)]
    with _agents(committed_db, *names) as clients:
        barrier = threading.Barrier(contenders)
        results: list[LockResult] = []

        def contend(client: Client, path: str) -> None:
            barrier.wait()
            results.append(client.acquire_lock(path))

        # Mix a directory and files inside it: at most one overlapping grant may win.
        paths = ["race/", "race/a.py", "race/a.py", "race/b/c.py"]
        threads = [threading.Thread(target=contend, args=(c, p)) for c, p in zip(clients, paths, strict=True)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        granted = [r for r in results if r.ok]
        if any(r.path == "race/" for r in granted):
            assert len(granted) == 1
        else:
            assert len({r.path for r in granted}) == len(granted)
        assert granted and all(r.code in ("granted", "busy") for r in results)


@pytest.mark.parametrize("ttl", ["0 seconds", "-5 minutes", "24 hours 1 second", "1000 years"])
def test_ttl_must_be_positive_and_sane(agent_factory, ttl: str) -> None:
    from coordinator.errors import InvalidArgument

    _, alice = agent_factory()
    with pytest.raises(InvalidArgument) as caught:
        alice.acquire_lock("t.py", ttl=ttl)
    assert caught.value.code == "CO211"


def test_changes_outside_the_api_are_audited(agent_factory, db: psycopg.Connection) -> None:
    _, alice = agent_factory()
    granted = alice.acquire_lock("dba.py")
    before = db.execute("select count(*) from audit.events where action = 'lock.direct_change'").fetchone()[0]
    assert before == 0, "api calls audit their own decisions, not as direct changes"
    db.execute("update coord.locks set expires_at = expires_at + interval '1 hour' where fence = %s", (granted.fence,))
    db.execute("delete from coord.locks where fence = %s", (granted.fence,))
    rows = db.execute("select decision, actor_type, severity, details ? 'old', request ->> 'db_user' "
                      "from audit.events where action = 'lock.direct_change' order by id").fetchall()
    assert rows == [("update", "system", "warning", True, "postgres"),
                    ("delete", "system", "warning", True, "postgres")]



def test_truncating_the_lock_table_is_audited(agent_factory, db: psycopg.Connection) -> None:
    principal, alice = agent_factory()
    alice.acquire_lock("t1.py")
    alice.acquire_lock("t2.py")
    db.execute("truncate coord.locks")
    # Other tests commit leases of their own tenants into this database; look at ours.
    row = db.execute("select decision, details ->> 'leases', tenant_id from audit.events "
                     "where action = 'lock.direct_change' and decision = 'truncate' and tenant_id = %s",
                     (principal.tenant_id,)).fetchone()
    assert row == ("truncate", "2", principal.tenant_id)


@pytest.mark.parametrize("call", ["acquire", "release", "renew"])
def test_lock_decisions_need_read_committed(cluster, call: str) -> None:
    """An older snapshot could miss a lease granted since: every lock decision refuses it."""
    from coordinator.errors import InvalidArgument
    from tests.conftest import Database

    with psycopg.connect(Database(cluster, "coord_test").admin_dsn) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        client = Client(connection=conn, token=make_principal(conn, tenant="rr-locks").token)
        try:
            with pytest.raises(InvalidArgument) as caught:
                {"acquire": lambda: client.acquire_lock("a.py"), "release": lambda: client.release_lock("a.py", 1),
                 "renew": lambda: client.renew_lock("a.py", 1)}[call]()
            assert caught.value.code == "CO213"
        finally:
            conn.rollback()
