"""The claim floor: a claim scans a kind's ready tasks from an id no ready task lies below
(coord.advance_task_floor), so a held snapshot's dead index entries of claimed tasks are not
walked again; every way a task becomes ready keeps it at or above the floor."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest

from coordinator.client import Client
from tests.conftest import advance_clock, make_principal

# Every claim of one kind tries to move the claim floor (coord.task_floor_lag = 0): these tests
# check what keeps a moving floor safe. The default lag is tests/test_task_floor_lag.py's.
pytestmark = pytest.mark.usefixtures("eager_task_floor")


def _floor(conn: psycopg.Connection, tenant_id, kind: str) -> int | None:
    row = conn.execute("select pg_sequence_last_value(floor) from coord.task_ready_floors "
                       "where tenant_id = %s and kind = %s", (tenant_id, kind)).fetchone()
    return None if row is None else row[0]


def _cycle(client: Client, kind: str, n: int) -> list[int]:
    """n tasks submitted, claimed and completed one by one (each call its own transaction)."""
    done = []
    for _ in range(n):
        client.submit_task(kind)
        claim = client.claim_task([kind])
        assert claim.code == "claimed"
        client.complete_task(claim.task_id, claim.claim)
        done.append(claim.task_id)
    return done


def _ready_index_reads(conn: psycopg.Connection, index: int) -> int:
    return int(conn.execute("select pg_stat_get_xact_tuples_returned(%s::oid)", (index,)).fetchone()[0])


@contextmanager
def walking_under_a_held_snapshot(committed_db, name: str,
                                  tenant: str) -> Iterator[tuple[Client, psycopg.Connection, int, Any]]:
    """An agent whose kind 'walk' has taken its claim floor, with a REPEATABLE READ snapshot held
    open on another connection for the block (the dead index entries it keeps are what the floor
    skips): yields the agent's client, an admin connection, tasks_kind_ready_idx's oid and the agent."""
    with committed_db.connect() as admin:
        agent = make_principal(admin, name, tenant=tenant)
    with Client(committed_db.client_dsn, agent.token) as client, \
            committed_db.connect(autocommit=False) as report, committed_db.connect() as admin:
        _cycle(client, "walk", 2)  # the kind takes its floor
        index = admin.execute("select 'coord.tasks_kind_ready_idx'::regclass::oid").fetchone()[0]
        report.execute("set transaction isolation level repeatable read")
        report.execute("select count(*) from coord.tasks").fetchone()  # the held snapshot
        yield client, admin, index, agent
        report.rollback()


def test_a_claim_under_a_held_snapshot_does_not_walk_the_tasks_claimed_before_it(committed_db) -> None:
    with walking_under_a_held_snapshot(committed_db, "walker", "floor-walk") as (client, admin, index, agent):
        done = _cycle(client, "walk", 60)
        assert _floor(admin, agent.tenant_id, "walk") >= done[-1]  # at the last claimed task, past the others
        last = client.submit_task("walk").task_id
        with client.connection.transaction():  # counts are flushed between transactions only
            before = _ready_index_reads(client.connection, index)
            claim = client.claim_task(["walk"])
            reads = _ready_index_reads(client.connection, index) - before
        assert (claim.code, claim.task_id) == ("claimed", last)
        assert reads < 10, reads  # 60 and more when the scan starts from the front


def test_a_task_made_ready_by_a_transaction_that_commits_after_a_later_one_is_claimed(committed_db) -> None:
    with committed_db.connect() as admin:
        agent = make_principal(admin, "late", tenant="floor-late")
    with Client(committed_db.client_dsn, agent.token) as client, \
            Client(committed_db.client_dsn, agent.token) as slow, committed_db.connect() as admin:
        _cycle(client, "k", 2)
        with slow.connection.transaction():
            early = slow.submit_task("k").task_id  # the smaller id, committed last
            later = _cycle(client, "k", 3)
            assert min(later) > early
            assert client.claim_task(["k"]).code == "empty"
            assert _floor(admin, agent.tenant_id, "k") <= early  # held below it while it may commit
        claim = client.claim_task(["k"])
        assert (claim.code, claim.task_id) == ("claimed", early)


def test_a_rolled_back_claim_leaves_its_task_claimable(committed_db) -> None:
    with committed_db.connect() as admin:
        agent = make_principal(admin, "undo", tenant="floor-undo")
        other = make_principal(admin, "undone", tenant="floor-undo")
    with Client(committed_db.client_dsn, agent.token) as client, \
            Client(committed_db.client_dsn, other.token) as holder:
        _cycle(client, "k", 2)
        first = client.submit_task("k").task_id
        holder.connection.execute("begin")
        assert holder.claim_task(["k"]).task_id == first  # held, not committed
        _cycle(client, "k", 3)  # claims and floors move on around it
        assert client.claim_task(["k"]).code == "empty"
        holder.connection.execute("rollback")
        claim = client.claim_task(["k"])
        assert (claim.code, claim.task_id) == ("claimed", first)


def test_a_claim_after_its_own_transactions_claim_does_not_move_the_floor_past_it(committed_db) -> None:
    with committed_db.connect() as admin:
        agent = make_principal(admin, "own", tenant="floor-own")
    with Client(committed_db.client_dsn, agent.token) as client, committed_db.connect() as admin:
        _cycle(client, "k", 2)
        first = client.submit_task("k").task_id
        client.connection.execute("begin")
        assert client.claim_task(["k"]).task_id == first
        assert client.claim_task(["k"]).code == "empty"  # would see its own claim as done
        client.connection.execute("rollback")
        assert _floor(admin, agent.tenant_id, "k") <= first
        assert client.claim_task(["k"]).task_id == first


def test_retries_expiries_dependencies_and_redrives_below_the_floor_are_claimed(committed_db) -> None:
    with committed_db.connect() as admin:
        agent = make_principal(admin, "back", tenant="floor-back")
        operator = make_principal(admin, "ops", tenant="floor-back", role="operator")
    with Client(committed_db.client_dsn, agent.token) as client, committed_db.connect() as admin:
        _cycle(client, "k", 2)
        parent = client.submit_task("parent").task_id
        child = client.submit_task("k", depends_on=[parent]).task_id
        retried = client.submit_task("k", priority=5).task_id
        expired = client.submit_task("k", priority=4).task_id
        claim_retried = client.claim_task(["k"])
        claim_expired = client.claim_task(["k"], lease="1 minute")
        assert (claim_retried.task_id, claim_expired.task_id) == (retried, expired)
        _cycle(client, "k", 3)
        floor = _floor(admin, agent.tenant_id, "k")
        assert floor > max(child, retried, expired)
        client.fail_task(retried, claim_retried.claim, "again")  # requeued with a backoff
        advance_clock(admin, "2 hours")  # past the backoff and the lease
        admin.execute("select coord.sweep(%s, 100, false)", (agent.tenant_id,))
        advance_clock(admin, "2 hours")  # past the expired claim's backoff
        claim_parent = client.claim_task(["parent"])
        client.complete_task(parent, claim_parent.claim)  # child becomes ready
        claims = [client.claim_task(["k"], lease="1 hour") for _ in range(3)]
        assert [c.task_id for c in claims] == [retried, expired, child]  # priority, then age
        for c in claims[:2]:
            client.fail_task(c.task_id, c.claim, "no", retryable=False)
        with Client(committed_db.client_dsn, operator.token) as ops:
            assert ops.redrive_task(retried).code == "queued"
        _cycle(client, "other", 1)
        assert client.claim_task(["k"]).task_id == retried


def test_a_floor_of_another_server_run_or_database_counts_for_nothing(committed_db) -> None:
    # A logical dump reads a sequence after the tasks' snapshot: a restored floor may lie above
    # tasks the dump has as ready. A restore is another server run or database (incarnation).
    with committed_db.connect() as admin:
        agent = make_principal(admin, "restored", tenant="floor-restore")
    with Client(committed_db.client_dsn, agent.token) as client, committed_db.connect() as admin:
        _cycle(client, "k", 2)
        ready = client.submit_task("k").task_id
        floor = admin.execute("update coord.task_ready_floors set incarnation = 'another run' "
                              "where tenant_id = %s and kind = 'k' returning floor::text",
                              (agent.tenant_id,)).fetchone()[0]
        admin.execute(f"select setval('{floor}', 1000000)")  # as if dumped after later claims
        claim = client.claim_task(["k"])  # takes the floor again, at 0
        assert (claim.code, claim.task_id) == ("claimed", ready)
        assert _floor(admin, agent.tenant_id, "k") == 0
