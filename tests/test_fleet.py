"""The fleet at a glance: api.list_leases and api.fleet_status (content, tenant isolation, who may
read them), and the change notification on the tenant's fleet channel that coord watch listens to."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from psycopg import sql as pgsql

from coordinator import errors
from coordinator.client import Client
from tests.conftest import Database, advance_clock, in_thread, make_principal, wait_for_backend
from tests.test_alerts import emit


def _tenant() -> str:
    return f"fleet-{uuid.uuid4().hex[:8]}"


def test_list_leases_shows_every_live_lease_of_the_tenant(db: psycopg.Connection) -> None:
    tenant = _tenant()
    alice, bob = make_principal(db, tenant=tenant), make_principal(db, tenant=tenant)
    a, b = Client(connection=db, token=alice.token), Client(connection=db, token=bob.token)
    ops = Client(connection=db, token=make_principal(db, tenant=tenant, role="operator").token)
    auditor = Client(connection=db, token=make_principal(db, tenant=tenant, role="auditor").token)
    session = a.start_session(agent_type="test")
    held = a.acquire_lock("src/app.py", reason="editing")
    shared = b.acquire_lock("docs/", mode="shared", ttl="30 seconds")
    assert held.ok and shared.ok

    rows = ops.list_leases()
    assert [(r.path, r.mode, r.fence, r.holder_name, r.reason) for r in rows] == [
        ("docs/", "shared", shared.fence, bob.name, None),
        ("src/app.py", "exclusive", held.fence, alice.name, "editing")]
    assert rows[1].session_id == session.session_id and rows[0].session_id is None
    assert auditor.list_leases() == rows
    assert [r.path for r in ops.list_leases(agent=bob.name)] == ["docs/"]

    advance_clock(db, "31 seconds")  # bob's lease expired: no longer live
    assert [r.path for r in ops.list_leases()] == ["src/app.py"]
    a.release_lock("src/app.py", held.fence)
    assert ops.list_leases() == []


def test_list_leases_and_fleet_status_name_the_repository(db: psycopg.Connection) -> None:
    """The same path leased in two repositories is two leases, each shown with its repository."""
    tenant = _tenant()
    agent = make_principal(db, tenant=tenant)
    ops = Client(connection=db, token=make_principal(db, tenant=tenant, role="operator").token)
    for repo in ("web", "api"):
        client = Client(connection=db, token=agent.token)
        client.start_session(agent_type="test", repository=repo)
        assert client.acquire_lock("src/app.py").ok
    assert [(r.repository, r.path) for r in ops.list_leases()] == [("api", "src/app.py"), ("web", "src/app.py")]
    status = ops.fleet_status()
    assert [(lease["repository"], lease["path"]) for lease in status["leases"]] == [
        ("api", "src/app.py"), ("web", "src/app.py")]


def test_plain_agents_may_not_read_the_fleet(db: psycopg.Connection) -> None:
    agent = Client(connection=db, token=make_principal(db, tenant=_tenant()).token)
    for call in (agent.list_leases, agent.fleet_status):  # the agent role may not even execute them
        with pytest.raises(errors.PermissionDenied) as caught:
            call()
        assert caught.value.code == "42501"
    # An operator token without the scope passes the grant and is refused by the read gate.
    narrow = Client(connection=db, token=make_principal(db, tenant=_tenant(), role="operator",
                                                          scopes=["tasks:read"]).token)
    for call in (narrow.list_leases, narrow.fleet_status):
        with pytest.raises(errors.Forbidden) as caught:
            call()
        assert caught.value.code == "PT403"


def test_fleet_status_shows_agents_leases_claims_queue_dead_tasks_and_alerts(db: psycopg.Connection) -> None:
    tenant = _tenant()
    alice, bob = make_principal(db, "fleet-alice", tenant=tenant), make_principal(db, "fleet-bob", tenant=tenant)
    a, b = Client(connection=db, token=alice.token), Client(connection=db, token=bob.token)
    ops = Client(connection=db, token=make_principal(db, "fleet-ops", tenant=tenant, role="operator").token)
    a.start_session(agent_type="test", ttl="120 seconds")
    lease = a.acquire_lock("src/app.py")
    b.submit_task("build")
    b.submit_task("build")
    later = db.execute("select coord.now() + interval '1 hour'").fetchone()
    assert later is not None
    b.submit_task("test", run_after=later[0])  # queued, not ready yet
    claim = a.claim_task(["build"])
    assert claim.ok
    doomed = b.submit_task("deploy", max_attempts=1).task_id
    c = b.claim_task(["deploy"])
    assert b.fail_task(doomed, c.claim, "boom").code == "dead"
    for _ in range(3):
        emit(db, bob, "guardrail.check", "blocked")
    advance_clock(db, "20 seconds")

    status = ops.fleet_status()
    assert status["tenant"] == tenant and status["channel"].startswith("coord_fleet_")
    assert status["counts"] == {"agents": 2, "leases": 1, "claims": 1, "dead_tasks": 1, "open_alerts": 1,
                                "pending_approvals": 0, "open_actions": 0}
    agents = {x["name"]: x for x in status["agents"]}
    assert set(agents) == {"fleet-alice", "fleet-bob"}  # operators are listed only while holding work
    assert {k: agents["fleet-alice"][k] for k in ("presence", "live_sessions", "leases", "claims")} == {
        "presence": "online", "live_sessions": 1, "leases": 1, "claims": 1}
    assert agents["fleet-alice"]["last_seen"] is not None
    assert {k: agents["fleet-bob"][k] for k in ("presence", "live_sessions", "leases", "claims")} == {
        "presence": "offline", "live_sessions": 0, "leases": 0, "claims": 0}
    assert [(x["path"], x["holder"], x["fence"]) for x in status["leases"]] == [
        ("src/app.py", "fleet-alice", lease.fence)]
    assert [(x["task_id"], x["kind"], x["agent"]) for x in status["claims"]] == [
        (claim.task_id, "build", "fleet-alice")]
    queue = {(q["kind"], q["state"]): q for q in status["queue"]}
    assert {k: (q["count"], q["ready"]) for k, q in queue.items()} == {
        ("build", "queued"): (1, 1), ("build", "claimed"): (1, 0), ("test", "queued"): (1, 0),
        ("deploy", "dead"): (1, 0)}
    assert queue[("build", "queued")]["oldest_ready_age_seconds"] == pytest.approx(20, abs=1)
    assert queue[("test", "queued")]["oldest_ready_age_seconds"] is None
    assert [(x["task_id"], x["kind"], x["last_error"]) for x in status["dead_tasks"]] == [(doomed, "deploy", "boom")]
    assert [(x["rule"], x["actor_name"], x["event_count"]) for x in status["alerts"]] == [
        ("guardrail-blocks", "fleet-bob", 3)]

    advance_clock(db, "41 seconds")  # past half the session's ttl without a heartbeat
    assert {x["name"]: x["presence"] for x in ops.fleet_status()["agents"]}["fleet-alice"] == "idle"


def test_fleet_status_lists_are_bounded_but_counts_are_not(db: psycopg.Connection) -> None:
    tenant = _tenant()
    a = Client(connection=db, token=make_principal(db, tenant=tenant).token)
    ops = Client(connection=db, token=make_principal(db, tenant=tenant, role="operator").token)
    for i in range(3):
        assert a.acquire_lock(f"src/{i}.py").ok
        make_principal(db, f"bound-{i}", tenant=tenant)
    status = ops.fleet_status(limit=2)
    assert [x["path"] for x in status["leases"]] == ["src/0.py", "src/1.py"] and status["counts"]["leases"] == 3
    assert len(status["agents"]) == 2 and status["counts"]["agents"] == 4
    with pytest.raises(errors.CoordError) as caught:
        ops.fleet_status(limit=0)
    assert caught.value.code == "CO224"


def test_the_fleet_of_another_tenant_stays_invisible(db: psycopg.Connection) -> None:
    mine, theirs = _tenant(), _tenant()
    other = make_principal(db, tenant=theirs)
    o = Client(connection=db, token=other.token)
    o.start_session()
    assert o.acquire_lock("src/secret.py").ok
    o.submit_task("secret-kind")
    assert o.check_operation("command", "npm publish").code == "needs_approval"  # a pending approval there
    assert o.add_device("secret-lamp", ["actions:claim"]).ok
    assert o.propose_action("lamp.on", {}, ["lamp:write"], "secret-lamp").code == "proposed"  # an action there
    for _ in range(3):
        emit(db, other, "guardrail.check", "blocked")
    ops = Client(connection=db, token=make_principal(db, tenant=mine, role="operator").token)
    assert ops.list_leases() == [] and ops.list_leases(agent=other.name) == []
    status = ops.fleet_status()
    assert (status["agents"], status["leases"], status["claims"], status["queue"], status["dead_tasks"],
            status["alerts"], status["approvals"], status["actions"]) == ([], [], [], [], [], [], [], [])
    assert status["counts"] == {"agents": 0, "leases": 0, "claims": 0, "dead_tasks": 0, "open_alerts": 0,
                                "pending_approvals": 0, "open_actions": 0}
    theirs_ops = Client(connection=db, token=make_principal(db, tenant=theirs, role="operator").token)
    assert status["channel"] != theirs_ops.fleet_status()["channel"]


# --- the change notification ----------------------------------------------------------------

def _notified(listener: psycopg.Connection) -> list[tuple[str, str]]:
    """Notifications already delivered to the listener (they arrive at the writer's commit)."""
    listener.execute("select 1")  # a round trip collects what arrived
    return [(n.channel, n.payload) for n in listener.notifies(timeout=0)]


def test_each_kind_of_change_notifies_its_tenant_with_only_the_tenant_id(committed_db: Database) -> None:
    tenant = _tenant()
    with committed_db.connect() as setup:
        agent = make_principal(setup, tenant=tenant)
        ops_token = make_principal(setup, tenant=tenant, role="operator").token
        stranger = make_principal(setup, tenant=_tenant(), role="operator")
    with Client(committed_db.client_dsn, ops_token) as ops, Client(committed_db.client_dsn, stranger.token) as st:
        channel, other_channel = ops.fleet_status()["channel"], st.fleet_status()["channel"]
    tenant_id = str(agent.tenant_id)
    with psycopg.connect(committed_db.client_dsn, autocommit=True) as listener, \
            Client(committed_db.client_dsn, agent.token) as a, committed_db.connect() as admin:
        for name in (channel, other_channel):
            listener.execute(pgsql.SQL("LISTEN {}").format(pgsql.Identifier(name)))
        # Nobody holds the watch: nothing is announced (and nothing paid for it).
        a.acquire_lock("src/unwatched.py")
        assert _notified(listener) == []

        watcher = Client(committed_db.client_dsn, ops_token)
        watching = watcher.watch_fleet()
        assert (watching.code, watching.details["channel"]) == ("watching", channel)
        steps: list[tuple[str, Callable[[], Any]]] = [
            ("session start", lambda: a.start_session(ttl="1 minute")),
            ("lease", lambda: a.acquire_lock("src/app.py")),
            ("task submit", lambda: a.submit_task("build")),
            ("task claim", lambda: a.claim_task(["build"])),
            ("heartbeat", lambda: a.heartbeat()),
            ("alert", lambda: [emit(admin, agent, "guardrail.check", "blocked") for _ in range(3)]),
            ("session end", lambda: a.end_session()),
        ]
        for what, step in steps:
            step()
            got = _notified(listener)
            assert got and set(got) == {(channel, tenant_id)}, what

        # A statement that changes nothing announces nothing.
        assert a.release_lock("src/nothing.py", 1).ok is False
        assert _notified(listener) == []
        # A change by another tenant, which nobody watches, announces nothing on either channel.
        with Client(committed_db.client_dsn, stranger.token) as st:
            st.acquire_lock("src/elsewhere.py")
        assert _notified(listener) == []

        watcher.close()  # the watch ends with its connection
        a.acquire_lock("src/after.py")
        assert _notified(listener) == []


def _watch_while_in_flight(committed_db: Database, ops_token: str, open_tx: psycopg.Connection,
                           listener: psycopg.Connection, channel: str, other_tenant: str,
                           meanwhile: Callable[[], Any]) -> Client:
    """An operator takes the watch while open_tx holds an uncommitted change: the watcher waits on
    the watch lock; a change made meanwhile (by `meanwhile`, in other_tenant's name) is announced
    because a waiting watcher is a watcher; once open_tx commits the watch is taken. The watcher
    is returned for the caller to read what it sees, then close."""
    watcher = Client(committed_db.client_dsn, ops_token)
    thread, out = in_thread(watcher.watch_fleet)
    wait_for_backend(committed_db, watcher.connection.info.backend_pid,
                     "wait_event_type = 'Lock' and wait_event = 'advisory'")
    assert meanwhile().ok
    assert set(_notified(listener)) == {(channel, other_tenant)}
    open_tx.commit()
    thread.join(30)
    assert out["result"].code == "watching"  # type: ignore[attr-defined]
    return watcher


def test_a_watcher_sees_what_was_changed_before_it_took_the_watch(committed_db: Database) -> None:
    """An unwatched writer holds the watch lock shared until it commits, so a watcher waits for
    it and then reads the change; while the watcher waits, other writers already announce."""
    tenant = _tenant()
    with committed_db.connect() as setup:
        alice, bob = make_principal(setup, tenant=tenant), make_principal(setup, tenant=tenant)
        ops_token = make_principal(setup, tenant=tenant, role="operator").token
    with psycopg.connect(committed_db.client_dsn) as open_tx, \
            psycopg.connect(committed_db.client_dsn, autocommit=True) as listener, \
            Client(committed_db.client_dsn, ops_token) as ops, Client(committed_db.client_dsn, bob.token) as b:
        channel = ops.fleet_status()["channel"]
        listener.execute(pgsql.SQL("LISTEN {}").format(pgsql.Identifier(channel)))
        open_tx.execute("select 1")  # a transaction is open: the call below runs in a savepoint of it
        assert Client(connection=open_tx, token=alice.token).acquire_lock("src/slow.py").ok  # not committed
        watcher = _watch_while_in_flight(committed_db, ops_token, open_tx, listener, channel, str(bob.tenant_id),
                                         lambda: b.acquire_lock("src/meanwhile.py"))
        assert "src/slow.py" in [x["path"] for x in ops.fleet_status()["leases"]]
        watcher.close()


@pytest.mark.parametrize("change", ["release", "task_submit", "task_claim"])
def test_a_watcher_registering_during_a_change_sees_it(committed_db: Database, change: str) -> None:
    """Deletes and task writes too: a writer that found no watcher holds the watch lock shared
    until it commits, so a watcher registering meanwhile waits for it and then reads its change;
    a writer that finds the watcher waiting announces."""
    tenant = _tenant()
    with committed_db.connect() as setup:
        alice, bob = make_principal(setup, tenant=tenant), make_principal(setup, tenant=tenant)
        ops_token = make_principal(setup, tenant=tenant, role="operator").token
    with psycopg.connect(committed_db.client_dsn) as open_tx, \
            psycopg.connect(committed_db.client_dsn, autocommit=True) as listener, \
            Client(committed_db.client_dsn, ops_token) as ops, Client(committed_db.client_dsn, bob.token) as b, \
            Client(committed_db.client_dsn, alice.token) as a:
        lease = a.acquire_lock("src/held.py")
        assert a.submit_task("build").ok
        before = ops.fleet_status()
        channel = before["channel"]
        listener.execute(pgsql.SQL("LISTEN {}").format(pgsql.Identifier(channel)))
        open_tx.execute("select 1")  # the change below stays uncommitted until open_tx commits
        in_flight = Client(connection=open_tx, token=alice.token)
        if change == "release":
            assert in_flight.release_lock("src/held.py", lease.fence).ok
        elif change == "task_submit":
            assert in_flight.submit_task("deploy").ok
        else:
            assert in_flight.claim_task(["build"]).code == "claimed"
        assert _notified(listener) == []
        watcher = _watch_while_in_flight(committed_db, ops_token, open_tx, listener, channel, str(bob.tenant_id),
                                         lambda: b.submit_task("meanwhile"))
        after = ops.fleet_status()
        if change == "release":
            assert "src/held.py" not in [x["path"] for x in after["leases"]]
        elif change == "task_submit":
            assert "deploy" in [q["kind"] for q in after["queue"]]
        else:
            assert after["counts"]["claims"] == before["counts"]["claims"] + 1
        watcher.close()


def test_the_channel_is_told_only_to_fleet_readers(db: psycopg.Connection) -> None:
    """Listening needs no privilege, so the channel name is the secret: random, not derived from
    the tenant id, and absent from what agents can read."""
    agent = make_principal(db, tenant=_tenant())
    channel = db.execute("select coord.fleet_channel(%s), task_channel from coord.tenants where id = %s",
                         (agent.tenant_id, agent.tenant_id)).fetchone()
    assert channel is not None and channel[0].startswith("coord_fleet_")
    assert str(agent.tenant_id).replace("-", "") not in channel[0] and channel[1][-32:] not in channel[0]
    as_agent = Client(connection=db, token=agent.token)
    seen = [as_agent.my_locks(), as_agent.discover_agents(), as_agent.start_session(), as_agent.list_tasks()]
    assert channel[0] not in repr(seen)
