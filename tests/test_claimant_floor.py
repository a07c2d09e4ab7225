"""The claimant floor: a claim counts its claimant's live claims (max_concurrent_tasks) from a
claim token no claimed task of the claimant lies below (coord.count_live_claims), so a held
snapshot's dead entries of the claims it finished are not walked again; every way a task enters
claimed keeps the floor at or below it (coord.keep_claimant_floor), so the count stays exact."""

from __future__ import annotations

import psycopg
import pytest

from coordinator.client import Client
from tests.claimant_floors import (
    WALK,
    check_count,
    claim_by_hand,
    claimant_floor,
    counted_claims,
    cycle,
    held_snapshot,
    hold_snapshot,
    set_limit,
)
from tests.conftest import advance_clock, in_thread, make_principal, wait_for_backend


def test_a_count_under_a_held_snapshot_walks_at_most_the_claims_finished_since_its_floor(committed_db) -> None:
    with held_snapshot(committed_db, "walker", "claimant-walk") as (agent, [client], admin):
        index = admin.execute("select 'coord.tasks_claimant_idx'::regclass::oid").fetchone()[0]
        cycle(client, 3 * WALK)
        assert claimant_floor(admin, agent) is not None  # moved while the snapshot keeps the entries
        client.submit_task("k")
        with client.connection.transaction():  # counts are flushed between transactions only
            before = client.connection.execute("select pg_stat_get_xact_tuples_returned(%s::oid)",
                                               (index,)).fetchone()[0]
            claim = client.claim_task(["k"])
            walked = client.connection.execute("select pg_stat_get_xact_tuples_returned(%s::oid)",
                                               (index,)).fetchone()[0] - before
        assert claim.code == "claimed"
        assert walked <= WALK + 1, walked  # 3 * WALK from the front


def test_without_a_held_snapshot_the_floor_row_is_not_written(committed_db) -> None:
    # The walked entries of finished claims are pruned as the count passes them: nothing to skip.
    with committed_db.connect() as admin:
        agent = make_principal(admin, "quiet", tenant="claimant-quiet")
    with Client(committed_db.client_dsn, agent.token) as client, committed_db.connect() as admin:
        cycle(client, 2 * WALK)
        assert claimant_floor(admin, agent) is None


def test_a_long_held_claim_is_counted_against_the_limit_after_the_floor_moves(committed_db) -> None:
    with held_snapshot(committed_db, "holder", "claimant-held", limit=2) as (agent, [client], admin):
        cycle(client, WALK + 2)  # the floor moves past these
        client.submit_task("held")
        held = client.claim_task(["held"], lease="1 hour")
        cycle(client, 2 * WALK)  # the floor moves up to the held claim, not past it
        assert claimant_floor(admin, agent) == held.claim
        client.submit_task("k")
        client.submit_task("k")
        assert client.claim_task(["k"]).code == "claimed"
        over = client.claim_task(["k"])
        assert (over.code, over.details["held"]) == ("at_limit", 2)
        assert check_count(admin, agent) == 2


def test_the_count_stays_exact_as_claims_below_the_floor_expire_requeue_fail_and_complete(committed_db) -> None:
    with held_snapshot(committed_db, "many", "claimant-exact") as (agent, [client], admin):
        for name in ("short", "failing", "long", "doomed"):
            client.submit_task(name, max_attempts=3)
        short = client.claim_task(["short"], lease="1 minute")
        failing = client.claim_task(["failing"], lease="1 hour")
        long = client.claim_task(["long"], lease="1 hour")
        assert client.claim_task(["doomed"], lease="1 hour").code == "claimed"
        cycle(client, 2 * WALK)
        assert claimant_floor(admin, agent) == short.claim
        assert check_count(admin, agent) == 4
        advance_clock(admin, "2 minutes")  # short expires, still claimed
        assert check_count(admin, agent) == 3
        admin.execute("select coord.sweep(%s, 100, false)", (agent.tenant_id,))  # short goes back
        assert check_count(admin, agent) == 3
        assert client.fail_task(failing.task_id, failing.claim, "again").code == "requeued"
        assert check_count(admin, agent) == 2
        cycle(client, 2 * WALK)  # the floor moves up to long's claim, past short's and failing's
        assert claimant_floor(admin, agent) == long.claim
        advance_clock(admin, "2 hours")  # past both backoffs (and every lease but the new ones)
        again = [client.claim_task(["short"], lease="3 hours"), client.claim_task(["failing"], lease="3 hours")]
        assert [c.task_id for c in again] == [short.task_id, failing.task_id]
        assert check_count(admin, agent) == 2  # the two claimed again; long and doomed expired
        assert client.claim_task(["long"]).code == "empty"
        admin.execute("select coord.sweep(%s, 100, false)", (agent.tenant_id,))
        cycle(client, 2 * WALK)
        assert check_count(admin, agent) == 2
        assert client.complete_task(again[0].task_id, again[0].claim).code == "completed"
        assert client.fail_task(again[1].task_id, again[1].claim, "no", retryable=False).code == "failed"
        assert check_count(admin, agent) == 0
        cycle(client, 2 * WALK)
        assert check_count(admin, agent) == 0


def test_a_claim_made_by_hand_below_the_floor_is_counted(committed_db) -> None:
    with held_snapshot(committed_db, "by-hand", "claimant-hand") as (agent, [client], admin):
        token = admin.execute("select nextval('coord.lock_fence_seq')").fetchone()[0]  # drawn, unused
        cycle(client, 2 * WALK)
        assert (claimant_floor(admin, agent) or 0) > token
        task = client.submit_task("by-hand").task_id
        claim_by_hand(admin, task, agent, token)
        assert claimant_floor(admin, agent) == token
        assert check_count(admin, agent) == 1


def test_a_claim_with_a_token_below_the_floor_is_counted(committed_db) -> None:
    # Tokens are drawn in claim order under the claimant's lock; a sequence set back by hand
    # breaks that order, and the trigger still keeps the floor below the new claim.
    with held_snapshot(committed_db, "reset", "claimant-reset") as (agent, [client], admin):
        reserved = admin.execute("select max(nextval('coord.lock_fence_seq')) from generate_series(1, 3)").fetchone()[0]
        cycle(client, 2 * WALK)
        assert (claimant_floor(admin, agent) or 0) > reserved
        admin.execute("select setval('coord.lock_fence_seq', %s)", (reserved - 1,))  # set back by hand
        client.submit_task("k")
        claim = client.claim_task(["k"], lease="1 hour")
        assert claim.claim == reserved
        assert check_count(admin, agent) == 1


def test_a_claim_by_hand_in_a_repeatable_read_transaction_is_counted_or_refused(committed_db) -> None:
    # Its snapshot predates the floor row: the trigger cannot see the floor it must lower.
    with committed_db.connect() as admin:
        agent = make_principal(admin, "rr", tenant="claimant-rr")
    with Client(committed_db.client_dsn, agent.token) as client, \
            committed_db.connect(autocommit=False) as rr, committed_db.connect() as admin:
        task = client.submit_task("by-hand").task_id
        token = admin.execute("select nextval('coord.lock_fence_seq')").fetchone()[0]
        hold_snapshot(rr)  # also keeps the entries: the floor moves
        cycle(client, 2 * WALK)
        assert (claimant_floor(admin, agent) or 0) > token
        with pytest.raises(psycopg.errors.SerializationFailure):
            claim_by_hand(rr, task, agent, token)
        rr.rollback()
        assert check_count(admin, agent) == 0


def test_a_claim_by_hand_in_flight_while_a_claim_moves_the_floor_is_counted(committed_db) -> None:
    # The hand-made claim is not visible to the claim that moves the floor; the claimant's claims
    # lock, taken by the trigger, makes that claim wait for it to commit.
    with committed_db.connect() as admin:
        agent = make_principal(admin, "race", tenant="claimant-race")
        set_limit(admin, agent, 2)
    with Client(committed_db.client_dsn, agent.token) as client, \
            committed_db.connect(autocommit=False) as report, committed_db.connect(autocommit=False) as hand, \
            committed_db.connect() as admin:
        hold_snapshot(report)
        cycle(client, 2 * WALK)  # the next claim's count walks enough to move the floor
        task = client.submit_task("by-hand").task_id
        client.submit_task("k")
        client.submit_task("k")
        claim_by_hand(hand, task, agent, "nextval('coord.lock_fence_seq')")
        pid = client.connection.info.backend_pid
        thread, out = in_thread(lambda: client.claim_task(["k"]))
        wait_for_backend(committed_db, pid, "wait_event = 'advisory'")
        hand.commit()
        thread.join()
        assert "error" not in out, out
        assert out["result"].code == "claimed"
        assert claimant_floor(admin, agent) is not None
        over = client.claim_task(["k"])
        assert (over.code, over.details["held"]) == ("at_limit", 2)
        assert check_count(admin, agent) == 2
        report.rollback()


def test_a_claimed_task_does_not_move_to_another_tenant(committed_db) -> None:
    with committed_db.connect() as admin:
        agent = make_principal(admin, "mover", tenant="claimant-move")
        other = make_principal(admin, "elsewhere", tenant="claimant-elsewhere")
    with Client(committed_db.client_dsn, agent.token) as client, committed_db.connect() as admin:
        client.submit_task("k")
        claim = client.claim_task(["k"], lease="1 hour")
        with pytest.raises(psycopg.Error) as refused:
            admin.execute("update coord.tasks set tenant_id = %s where id = %s", (other.tenant_id, claim.task_id))
        assert refused.value.sqlstate == "CO411"


def test_a_rolled_back_claim_takes_its_floor_move_back(committed_db) -> None:
    # In one transaction the claimant completes its held claim and claims again: the count reads
    # the held claim as done and moves the floor past it. The rollback undoes both.
    with held_snapshot(committed_db, "undo", "claimant-undo", limit=2) as (agent, [client], admin):
        client.submit_task("held")
        held = client.claim_task(["held"], lease="1 hour")
        cycle(client, 2 * WALK)
        assert claimant_floor(admin, agent) == held.claim
        client.submit_task("k")
        client.submit_task("k")
        client.connection.execute("begin")
        assert client.complete_task(held.task_id, held.claim).code == "completed"
        assert client.claim_task(["k"]).code == "claimed"
        assert (claimant_floor(admin, agent) or 0) <= held.claim  # not committed yet
        client.connection.execute("rollback")
        assert claimant_floor(admin, agent) == held.claim
        assert client.claim_task(["k"]).code == "claimed"
        over = client.claim_task(["k"])
        assert (over.code, over.details["held"]) == ("at_limit", 2)
        assert check_count(admin, agent) == 2


def test_concurrent_claims_of_one_claimant_stay_within_its_limit(committed_db) -> None:
    # Real connections claiming at once, while a snapshot is held and the floor moves: exactly
    # the limit's room is claimed, the long-held claim below the floor counted.
    with held_snapshot(committed_db, "crowd", "claimant-crowd", limit=3, clients=6) as (agent, clients, admin):
        client = clients[0]
        client.submit_task("held")
        held = client.claim_task(["held"], lease="1 hour")
        cycle(client, 2 * WALK)
        assert claimant_floor(admin, agent) == held.claim
        for _ in range(len(clients)):
            client.submit_task("k")
        pids = [c.connection.info.backend_pid for c in clients]
        admin.execute("select pg_advisory_lock(hashtextextended('coord.claims/' || %s::text, 0))",
                      (agent.principal_id,))
        runs = [in_thread(lambda c=c: c.claim_task(["k"])) for c in clients]  # all wait for the lock
        for pid in pids:
            wait_for_backend(committed_db, pid, "wait_event = 'advisory'")
        admin.execute("select pg_advisory_unlock(hashtextextended('coord.claims/' || %s::text, 0))",
                      (agent.principal_id,))
        for thread, _ in runs:
            thread.join()
        assert all("error" not in out for _, out in runs), runs
        codes = sorted(out["result"].code for _, out in runs)
        assert codes == ["at_limit"] * 4 + ["claimed"] * 2
        assert check_count(admin, agent) == 3


def test_a_count_in_a_repeatable_read_transaction_does_not_move_the_floor_past_a_later_claim(committed_db) -> None:
    # The api refuses calls outside read committed (CO213), but the count is reached by hand too.
    # Its snapshot predates another claim of the claimant, committed since: the count cannot see
    # it, so it must not move the floor past it (the floor row itself did not change since).
    with committed_db.connect() as admin:
        agent = make_principal(admin, "stale", tenant="claimant-stale")
    with Client(committed_db.client_dsn, agent.token) as client, \
            committed_db.connect(autocommit=False) as rr, \
            committed_db.connect(autocommit=False) as report, committed_db.connect() as admin:
        hold_snapshot(report)
        client.submit_task("held")
        held = client.claim_task(["held"], lease="1 hour")
        cycle(client, 2 * WALK)
        assert claimant_floor(admin, agent) == held.claim  # held there while the held claim lives
        client.submit_task("later")
        hold_snapshot(rr)
        later = client.claim_task(["later"], lease="1 hour")  # committed after rr's snapshot
        assert later.code == "claimed"
        rr.execute("update coord.tasks set state = 'completed', result = '{}', last_event = 'completed', "
                   "finished_at = coord.clock_now(), lease_expires_at = null "
                   "where id = %s", (held.task_id,))
        assert counted_claims(rr, agent) == 0  # neither the held claim (done here) nor the later one
        rr.commit()
        assert claimant_floor(admin, agent) == held.claim
        assert check_count(admin, agent) == 1
        report.rollback()
