"""Attacks on the claim floor (coord.advance_task_floor, coord.task_became_ready)."""

from __future__ import annotations

import psycopg
import pytest

from coordinator.client import Client
from tests.conftest import make_principal
from tests.test_task_floor import _cycle, _floor

# Every claim of one kind tries to move the claim floor (coord.task_floor_lag = 0): these tests
# check what keeps a moving floor safe. The default lag is tests/test_task_floor_lag.py's.
pytestmark = pytest.mark.usefixtures("eager_task_floor")


def test_a_task_made_ready_by_hand_in_a_repeatable_read_transaction_is_not_lost(committed_db) -> None:
    # "by hand" changes pass the trigger (tg_tasks__transition) but not CO213. The transaction's
    # snapshot predates the kind's floor row: task_became_ready does not see the row, so it does
    # not reset the floor that a later claim moved past the task.
    with committed_db.connect() as admin:
        agent = make_principal(admin, "rr", tenant="floor-rr")
    with Client(committed_db.client_dsn, agent.token) as client, \
            committed_db.connect(autocommit=False) as rr, committed_db.connect() as admin:
        parent = client.submit_task("parent").task_id
        child = client.submit_task("k", depends_on=[parent]).task_id
        rr.execute("set transaction isolation level repeatable read")
        rr.execute("select 1").fetchone()  # its snapshot: no floor row of k yet
        assert client.claim_task(["k"]).code == "empty"  # takes k's floor (at 0)
        assert client.claim_task(["k"]).code == "empty"  # moves it past every id given out
        assert _floor(admin, agent.tenant_id, "k") > child
        rr.execute("update coord.tasks set pending_deps = 0 where id = %s", (child,))  # ready by hand
        rr.commit()
        assert admin.execute("select state, pending_deps from coord.tasks where id = %s",
                             (child,)).fetchone() == ("queued", 0)
        claim = client.claim_task(["k"])
        assert (claim.code, claim.task_id) == ("claimed", child)


def test_an_agent_cannot_take_the_floor_lock_of_another_tenants_kind(committed_db) -> None:
    # Advisory locks are database-wide: a session holding 'coord.task_floor/<tenant>/<kind>'
    # exclusively makes every submit of that tenant's kind wait (task_became_ready, shared).
    with committed_db.connect() as admin:
        agent = make_principal(admin, "a", tenant="floor-lock")
    with psycopg.connect(committed_db.client_dsn, autocommit=True) as raw:
        role = raw.execute("select current_user").fetchone()[0]
        allowed = raw.execute("select has_function_privilege('pg_advisory_lock(bigint)', 'execute')").fetchone()[0]
        assert not allowed, f"{role} may call pg_advisory_lock on any key (tenant {agent.tenant_id})"



@pytest.mark.parametrize("setting", ["timezone to 'Pacific/Auckland'", "datestyle to 'SQL, DMY'"])
def test_a_task_made_ready_by_a_session_in_another_time_zone_is_not_lost(committed_db, setting) -> None:
    # coord.task_floor_incarnation() renders pg_postmaster_start_time() as text in the session's
    # TimeZone (and DateStyle): a session with another one computes another incarnation, finds no
    # floor row of the kind in task_became_ready, and does not reset the floor above its task.
    with committed_db.connect() as admin:
        agent = make_principal(admin, "tz", tenant="floor-tz")
    with Client(committed_db.client_dsn, agent.token) as client, \
            Client(committed_db.client_dsn, agent.token) as abroad, committed_db.connect() as admin:
        parent = client.submit_task("parent").task_id
        child = client.submit_task("k", depends_on=[parent]).task_id
        claim_parent = client.claim_task(["parent"])
        assert client.claim_task(["k"]).code == "empty"  # takes k's floor (at 0)
        assert client.claim_task(["k"]).code == "empty"  # moves it past every id given out
        assert _floor(admin, agent.tenant_id, "k") > child
        abroad.connection.execute(f"set {setting}")
        assert abroad.complete_task(parent, claim_parent.claim).code == "completed"  # the child is ready
        assert admin.execute("select state, pending_deps from coord.tasks where id = %s",
                             (child,)).fetchone() == ("queued", 0)
        claim = client.claim_task(["k"])
        assert (claim.code, claim.task_id) == ("claimed", child)


def test_one_tenant_cannot_use_up_every_tenants_claim_floors(committed_db) -> None:
    # The pool (64 floors) is shared by every tenant and a floor is never given back in a server
    # run: one agent claiming 64 made-up kinds leaves every other tenant without a floor.
    with committed_db.connect() as admin:
        greedy = make_principal(admin, "greedy", tenant="floor-greedy")
        victim = make_principal(admin, "victim", tenant="floor-victim")
    with Client(committed_db.client_dsn, greedy.token) as g, Client(committed_db.client_dsn, victim.token) as v, \
            committed_db.connect() as admin:
        for i in range(64):
            assert g.claim_task([f"made-up-{i}"]).code == "empty"
        assert v.claim_task(["k"]).code == "empty"
        assert admin.execute("select count(*) from coord.task_ready_floors where tenant_id = %s",
                             (victim.tenant_id,)).fetchone()[0] == 1


def test_the_floor_moves_for_an_agent_with_a_call_budget(committed_db) -> None:
    # The gate counts a rate-limited agent's call (coord.count_call inserts) before the claim
    # reaches coord.advance_task_floor, so its transaction has written: the floor never moves.
    with committed_db.connect() as admin:
        agent = make_principal(admin, "budget", tenant="floor-budget")
        ops = make_principal(admin, "ops", tenant="floor-budget", role="operator")
    with Client(committed_db.client_dsn, agent.token) as client, \
            Client(committed_db.client_dsn, ops.token) as operator, committed_db.connect() as admin:
        assert operator.create_profile("budgeted", 2, {"calls_per_hour": 1000}).code == "created"
        assert operator.assign_profile("budget", "budgeted").code == "assigned"
        done = _cycle(client, "k", 4)
        assert client.claim_task(["k"]).code == "empty"
        assert (_floor(admin, agent.tenant_id, "k") or 0) > done[-1]


def test_the_floor_moves_for_an_agent_in_a_session(committed_db) -> None:
    with committed_db.connect() as admin:
        agent = make_principal(admin, "sess", tenant="floor-session")
    with Client(committed_db.client_dsn, agent.token) as client, committed_db.connect() as admin:
        assert client.start_session().code == "started"
        done = _cycle(client, "k", 4)
        assert client.claim_task(["k"]).code == "empty"
        assert (_floor(admin, agent.tenant_id, "k") or 0) > done[-1]


def test_a_submit_waiting_on_a_moving_floor_is_claimed(committed_db) -> None:
    # The id is drawn before the trigger waits for the kind's lock; the floor moves past every id
    # given out while it waits (as advance_task_floor does when none is ready).
    from tests.conftest import in_thread, wait_for_backends
    with committed_db.connect() as admin:
        agent = make_principal(admin, "wait", tenant="floor-wait")
    with Client(committed_db.client_dsn, agent.token) as client, \
            Client(committed_db.client_dsn, agent.token) as submitter, committed_db.connect() as admin:
        assert client.claim_task(["k"]).code == "empty"  # takes k's floor
        key = admin.execute("select hashtextextended('coord.task_floor/' || %s::text || '/k', 0)",
                            (agent.tenant_id,)).fetchone()[0]
        admin.execute("select pg_advisory_lock(%s)", (key,))
        thread, out = in_thread(lambda: submitter.submit_task("k").task_id)
        wait_for_backends(committed_db, "wait_event = 'advisory'", 1)
        admin.execute("select setval(f.floor, pg_sequence_last_value('coord.tasks_id_seq') + 1) "
                      "from coord.task_ready_floors as f where f.tenant_id = %s and f.kind = 'k'", (agent.tenant_id,))
        admin.execute("select pg_advisory_unlock(%s)", (key,))
        thread.join()
        assert "error" not in out, out
        claim = client.claim_task(["k"])
        assert (claim.code, claim.task_id) == ("claimed", out["result"])


@pytest.mark.parametrize("in_session", [False, True])
def test_a_client_clearing_the_tasks_changed_marker_does_not_move_the_floor_past_its_own_claim(
        committed_db, in_session) -> None:
    # coord.tasks_changed is a placeholder parameter any client may set: clearing it after its own
    # claim must not let the next claim of the same transaction read that claim as done.
    with committed_db.connect() as admin:
        agent = make_principal(admin, "forge", tenant="floor-forge")
    with Client(committed_db.client_dsn, agent.token) as client, committed_db.connect() as admin:
        if in_session:
            assert client.start_session().code == "started"
        for _ in range(2):
            client.submit_task("k")
            claim = client.claim_task(["k"])
            client.complete_task(claim.task_id, claim.claim)
        assert client.claim_task(["k"]).code == "empty"
        first = client.submit_task("k").task_id
        client.connection.execute("begin")
        assert client.claim_task(["k"]).task_id == first
        for value in ("off", ""):
            client.connection.execute("select set_config('coord.tasks_changed', %s, true)", (value,))
            assert client.claim_task(["k"]).code == "empty"
        client.connection.execute("rollback")
        assert (_floor(admin, agent.tenant_id, "k") or 0) <= first
        assert client.claim_task(["k"]).task_id == first
