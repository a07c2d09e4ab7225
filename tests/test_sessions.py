"""Sessions own their leases and claims: heartbeats keep them alive, death frees them, per session."""

from __future__ import annotations

import psycopg
import pytest

from coordinator.client import Client
from coordinator.errors import CoordError
from tests.conftest import advance_clock, in_thread, make_principal, wait_for_backend


def _second_session(client: Client) -> Client:
    other = Client(connection=client.connection, token=client.token)
    assert other.start_session(ttl="30 seconds").ok
    return other


def test_heartbeat_keeps_everything_the_session_holds_alive(db, agent_factory) -> None:
    _, a = agent_factory("a")
    _, b = agent_factory("b")
    started = a.start_session(agent_type="claude", capabilities=["python", "sql"], ttl="30 seconds")
    assert (started.ok, started.code) == (True, "started")
    lease = a.acquire_lock("src/", ttl="10 seconds")
    task_id = b.submit_task("k").task_id
    claim = a.claim_task(["k"], lease="10 seconds")
    for _ in range(6):  # 60 s in total, far beyond the lease and claim ttl of 10 s
        advance_clock(db, "10 seconds")
        beat = a.heartbeat("working", current_task=task_id)
        assert (beat.ok, beat.code) == (True, "alive")
    assert b.acquire_lock("src/x.py").code == "busy"
    assert a.assert_lease("src/", lease.fence).code == "held"
    assert a.complete_task(task_id, claim.claim).code == "completed"


def test_a_dead_session_frees_its_leases_and_claims_and_its_zombie_gets_results(db, agent_factory) -> None:
    _, a = agent_factory("a")
    _, b = agent_factory("b")
    a.start_session(ttl="20 seconds")
    lease = a.acquire_lock("src/app.py", ttl="1 hour")
    task_id = b.submit_task("k").task_id
    claim = a.claim_task(["k"], lease="1 hour")
    advance_clock(db, "21 seconds")
    # The lease would last an hour, but its session is dead: it no longer blocks.
    assert b.acquire_lock("src/app.py").code == "granted"
    assert b.get_task(task_id).state == "queued"
    events = db.execute("select action, actor_type::text, details from audit.events where action = 'session.expire' "
                        "and target_id = %s", (str(a.session_id),)).fetchall()
    assert len(events) == 1 and events[0][1] == "system"
    assert events[0][2]["released_paths"] == ["src/app.py"] and events[0][2]["requeued_tasks"] == [task_id]
    # The zombie keeps calling with its old session: results, never errors.
    assert a.complete_task(task_id, claim.claim).code == "stale_claim"
    assert a.heartbeat().code == "session_ended"
    assert a.acquire_lock("src/other.py").code == "session_ended"
    assert a.assert_lease("src/app.py", lease.fence).code in ("stale_fence", "not_held")
    assert a.claim_task(["k"]).code == "session_ended"


def test_cleanup_is_per_session_not_per_agent(db, agent_factory) -> None:
    _, a = agent_factory("a")
    _, b = agent_factory("b")
    a.start_session(ttl="10 seconds")
    a2 = _second_session(a)
    assert a.acquire_lock("one.py").code == "granted"
    assert a2.acquire_lock("two.py").code == "granted"
    assert a2.acquire_lock("one.py").code == "busy"  # another session of the same agent is another holder
    advance_clock(db, "11 seconds")
    assert a2.heartbeat().code == "alive"
    assert b.acquire_lock("one.py").code == "granted"
    assert b.acquire_lock("two.py").code == "busy"


def test_end_session_releases_and_requeues(agent_factory) -> None:
    _, a = agent_factory()
    a.start_session()
    a.acquire_lock("x/")
    task_id = a.submit_task("k").task_id
    a.claim_task(["k"])
    ended = a.end_session()
    assert (ended.code, ended.details["released_paths"], ended.details["requeued_tasks"]) == (
        "ended", ["x/"], [task_id])
    assert a.end_session().code == "session_ended"
    assert a.get_task(task_id).state == "queued"


def test_eager_sweep_reclaims_without_any_caller(db, agent_factory) -> None:
    _, a = agent_factory()
    _, op = agent_factory(role="operator")
    a.start_session(ttl="15 seconds")
    task_id = a.submit_task("k").task_id
    a.claim_task(["k"], lease="1 hour")
    advance_clock(db, "16 seconds")
    swept = op.maintain()
    assert swept.details["sessions_expired"] == 1  # its claim was requeued by the session's cleanup
    assert a.get_task(task_id).state == "queued"


def test_discover_agents_by_capability_and_presence(db, agent_factory) -> None:
    _, a = agent_factory("alpha")
    _, b = agent_factory("beta")
    a.start_session(capabilities=["python"], ttl="60 seconds")
    b.start_session(capabilities=["rust"], ttl="60 seconds")
    assert [p.name for p in a.discover_agents(capability="python")] == ["alpha"]
    advance_clock(db, "40 seconds")
    a.heartbeat("idle")
    presence = {p.name: (p.presence, p.status) for p in b.discover_agents()}
    assert presence == {"alpha": ("online", "idle"), "beta": ("idle", "starting")}
    advance_clock(db, "30 seconds")
    assert [p.name for p in a.discover_agents(presence="offline")] == ["beta"]


def test_session_header_must_name_one_of_your_sessions(db, agent_factory) -> None:
    _, a = agent_factory()
    _, b = agent_factory()
    a.start_session()
    thief = Client(connection=db, token=b.token, session_id=a.session_id)
    with pytest.raises(CoordError) as err:
        thief.acquire_lock("x.py")
    assert err.value.code == "PT401"


def test_handoffs_round_trip(agent_factory) -> None:
    _, a = agent_factory("writer")
    _, b = agent_factory("reader")
    a.start_session()
    task_id = a.submit_task("k").task_id
    written = a.write_handoff("Refactored the parser", completed=["lexer"], in_progress=["parser"],
                              decisions=["keep LL(1)"], next_steps=["error recovery"],
                              relevant_files=["./src//parser.py", "src/lexer.py"], task_id=task_id, to_agent="reader")
    assert written.code == "written"
    [h] = b.read_handoff(for_me=True)
    assert (h.handoff_id, h.author, h.to_agent, h.task_id, h.session_id) == (
        written.details["handoff_id"], "writer", "reader", task_id, a.session_id)
    assert h.relevant_files == ["src/lexer.py", "src/parser.py"] and h.next_steps == ["error recovery"]
    assert b.read_handoff(from_agent="nobody") == []
    with pytest.raises(CoordError) as err:
        a.write_handoff("x", to_agent="ghost")
    assert err.value.code == "CO302"


def test_sessions_are_tenant_scoped(db: psycopg.Connection, agent_factory) -> None:
    _, here = agent_factory(tenant="t1")
    _, there = agent_factory(tenant="t2")
    here.start_session(capabilities=["x"])
    assert there.discover_agents(capability="x") == []


def test_the_superuser_sweep_of_coord_maintain_is_audited_as_expiry_not_direct_change(db, agent_factory) -> None:
    principal, a = agent_factory()
    a.start_session(ttl="5 seconds")
    a.acquire_lock("gone.py", ttl="5 seconds")
    sessionless = Client(connection=db, token=a.token)
    sessionless.acquire_lock("also-gone.py", ttl="5 seconds")
    advance_clock(db, "6 seconds")
    counts = db.execute("select coord.sweep(%s, 100, true)", (principal.tenant_id,)).fetchone()[0]
    assert (counts["sessions_expired"], counts["locks_expired"]) == (1, 1)
    actions = [r[0] for r in db.execute(
        "select action from audit.events where tenant_id = %s and action like 'lock.%%' order by id",
        (principal.tenant_id,))]
    assert "lock.direct_change" not in actions and actions.count("lock.expire") == 1
    left = db.execute("select count(*) from coord.locks where tenant_id = %s", (principal.tenant_id,)).fetchone()
    assert left == (0,)


def test_a_heartbeat_that_began_before_a_lease_was_taken_extends_it_without_breaking_it(committed_db) -> None:
    """Parallel tool calls of one agent: a heartbeat reads its clock, then waits for the session's
    row while another call of the same session takes a lease (later on the clock) and commits.
    Extending that lease must not stamp a renewal before its acquisition (locks_renewal_check
    refused it: 23514 instead of alive). Here a share lock on the session row holds the
    heartbeat's update back, and lets the acquire (which shares the row) through."""
    with committed_db.connect() as admin:
        token = make_principal(admin, "early-heartbeat").token
    with Client(committed_db.client_dsn, token) as starter:
        session = starter.start_session(ttl="10 minutes").session_id
    with committed_db.connect(autocommit=False) as blocker, \
            Client(committed_db.client_dsn, token, session_id=session) as beating:
        blocker.execute("select from coord.sessions where id = %s for share", (session,))
        beating.authenticate()
        thread, out = in_thread(beating.heartbeat)
        wait_for_backend(committed_db, beating.connection.info.backend_pid, "wait_event_type = 'Lock'")
        with Client(committed_db.client_dsn, token, session_id=session) as other:
            assert other.acquire_lock("src/late.py", ttl="1 minute").code == "granted"
        blocker.commit()
        thread.join()
    beat = out.get("result")
    assert beat is not None and beat.code == "alive" and beat.details["locks_extended"] == 1, out
    with committed_db.connect() as admin:
        renewed, acquired = admin.execute("select renewed_at, acquired_at from coord.locks where path = 'src/late.py'"
                                          ).fetchone()
    assert renewed >= acquired
