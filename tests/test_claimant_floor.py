"""The claimant floor: a claim counts its claimant's live claims (max_concurrent_tasks) from a
claim token no claimed task of the claimant lies below (coord.count_live_claims), so a held
snapshot's dead entries of the claims it finished are not walked again; every way a task enters
claimed keeps the floor at or below it (coord.keep_claimant_floor), so the count stays exact."""

from __future__ import annotations

import psycopg
import pytest

from coordinator.client import Client
from tests.conftest import Principal, advance_clock, in_thread, make_principal, wait_for_backend

WALK = 32  # finished claims the count walks before it moves the floor (coord.count_live_claims)


def _floor(conn: psycopg.Connection, who: Principal) -> int | None:
    row = conn.execute("select floor from coord.claimant_floors where tenant_id = %s and principal_id = %s",
                       (who.tenant_id, who.principal_id)).fetchone()
    return None if row is None else row[0]


def _live(conn: psycopg.Connection, who: Principal) -> int:
    """The live claims, counted from the front (no floor)."""
    return conn.execute("select count(*) from coord.tasks where tenant_id = %s and claimed_by = %s "
                        "and state = 'claimed' and lease_expires_at > coord.clock_now()",
                        (who.tenant_id, who.principal_id)).fetchone()[0]


def _counted(conn: psycopg.Connection, who: Principal) -> int:
    """What the claim counts (from the floor; it may move the floor as a claim would)."""
    return conn.execute("select coord.count_live_claims(%s, %s, coord.clock_now())",
                        (who.tenant_id, who.principal_id)).fetchone()[0]


def _check(conn: psycopg.Connection, who: Principal) -> int:
    """The count is exact and no claimed task of who lies below its floor."""
    lowest = conn.execute("select min(claim) from coord.tasks where tenant_id = %s and claimed_by = %s "
                          "and state = 'claimed'", (who.tenant_id, who.principal_id)).fetchone()[0]
    floor = _floor(conn, who)  # no row: the count starts at the smallest token
    assert lowest is None or floor is None or floor <= lowest, (lowest, floor)
    live = _live(conn, who)
    assert _counted(conn, who) == live
    return live


def _cycle(client: Client, n: int, kind: str = "k") -> None:
    """n tasks submitted, claimed and completed one by one (each call its own transaction)."""
    for _ in range(n):
        client.submit_task(kind)
        claim = client.claim_task([kind])
        assert claim.code == "claimed", claim
        assert client.complete_task(claim.task_id, claim.claim).code == "completed"


def _hold_snapshot(conn: psycopg.Connection) -> None:
    conn.execute("set transaction isolation level repeatable read")
    conn.execute("select count(*) from coord.tasks").fetchone()


def _limit(conn: psycopg.Connection, who: Principal, limit: int) -> None:
    conn.execute("update coord.profiles set max_concurrent_tasks = %s where tenant_id = %s", (limit, who.tenant_id))


def _claim_by_hand(conn: psycopg.Connection, task_id: int, who: Principal, claim: int | str) -> None:
    """A superuser's UPDATE into claimed, bypassing coord.claim_tasks_as (the trigger still runs)."""
    conn.execute(f"update coord.tasks set state = 'claimed', claim = {claim}, claimed_by = %s, "
                 "claimed_at = coord.clock_now(), lease_expires_at = coord.clock_now() + interval '1 hour', "
                 "attempts = attempts + 1 where id = %s", (who.principal_id, task_id))


def test_a_count_under_a_held_snapshot_walks_at_most_the_claims_finished_since_its_floor(committed_db) -> None:
    with committed_db.connect() as admin:
        agent = make_principal(admin, "walker", tenant="claimant-walk")
    with Client(committed_db.client_dsn, agent.token) as client, \
            committed_db.connect(autocommit=False) as report, committed_db.connect() as admin:
        index = admin.execute("select 'coord.tasks_claimant_idx'::regclass::oid").fetchone()[0]
        _hold_snapshot(report)
        _cycle(client, 3 * WALK)
        assert _floor(admin, agent) is not None  # moved while the snapshot keeps the entries
        client.submit_task("k")
        with client.connection.transaction():  # counts are flushed between transactions only
            before = client.connection.execute("select pg_stat_get_xact_tuples_returned(%s::oid)",
                                               (index,)).fetchone()[0]
            claim = client.claim_task(["k"])
            walked = client.connection.execute("select pg_stat_get_xact_tuples_returned(%s::oid)",
                                               (index,)).fetchone()[0] - before
        assert claim.code == "claimed"
        assert walked <= WALK + 1, walked  # 3 * WALK from the front
        report.rollback()


def test_without_a_held_snapshot_the_floor_row_is_not_written(committed_db) -> None:
    # The walked entries of finished claims are pruned as the count passes them: nothing to skip.
    with committed_db.connect() as admin:
        agent = make_principal(admin, "quiet", tenant="claimant-quiet")
    with Client(committed_db.client_dsn, agent.token) as client, committed_db.connect() as admin:
        _cycle(client, 2 * WALK)
        assert _floor(admin, agent) is None


def test_a_long_held_claim_is_counted_against_the_limit_after_the_floor_moves(committed_db) -> None:
    with committed_db.connect() as admin:
        agent = make_principal(admin, "holder", tenant="claimant-held")
        _limit(admin, agent, 2)
    with Client(committed_db.client_dsn, agent.token) as client, \
            committed_db.connect(autocommit=False) as report, committed_db.connect() as admin:
        _hold_snapshot(report)
        _cycle(client, WALK + 2)  # the floor moves past these
        client.submit_task("held")
        held = client.claim_task(["held"], lease="1 hour")
        _cycle(client, 2 * WALK)  # the floor moves up to the held claim, not past it
        assert _floor(admin, agent) == held.claim
        client.submit_task("k")
        client.submit_task("k")
        assert client.claim_task(["k"]).code == "claimed"
        over = client.claim_task(["k"])
        assert (over.code, over.details["held"]) == ("at_limit", 2)
        assert _check(admin, agent) == 2
        report.rollback()


def test_the_count_stays_exact_as_claims_below_the_floor_expire_requeue_fail_and_complete(committed_db) -> None:
    with committed_db.connect() as admin:
        agent = make_principal(admin, "many", tenant="claimant-exact")
    with Client(committed_db.client_dsn, agent.token) as client, \
            committed_db.connect(autocommit=False) as report, committed_db.connect() as admin:
        _hold_snapshot(report)
        for name in ("short", "failing", "long", "doomed"):
            client.submit_task(name, max_attempts=3)
        short = client.claim_task(["short"], lease="1 minute")
        failing = client.claim_task(["failing"], lease="1 hour")
        long = client.claim_task(["long"], lease="1 hour")
        assert client.claim_task(["doomed"], lease="1 hour").code == "claimed"
        _cycle(client, 2 * WALK)
        assert _floor(admin, agent) == short.claim
        assert _check(admin, agent) == 4
        advance_clock(admin, "2 minutes")  # short expires, still claimed
        assert _check(admin, agent) == 3
        admin.execute("select coord.sweep(%s, 100, false)", (agent.tenant_id,))  # short goes back
        assert _check(admin, agent) == 3
        assert client.fail_task(failing.task_id, failing.claim, "again").code == "requeued"
        assert _check(admin, agent) == 2
        _cycle(client, 2 * WALK)  # the floor moves up to long's claim, past short's and failing's
        assert _floor(admin, agent) == long.claim
        advance_clock(admin, "2 hours")  # past both backoffs (and every lease but the new ones)
        again = [client.claim_task(["short"], lease="3 hours"), client.claim_task(["failing"], lease="3 hours")]
        assert [c.task_id for c in again] == [short.task_id, failing.task_id]
        assert _check(admin, agent) == 2  # the two claimed again; long and doomed expired
        assert client.claim_task(["long"]).code == "empty"
        admin.execute("select coord.sweep(%s, 100, false)", (agent.tenant_id,))
        _cycle(client, 2 * WALK)
        assert _check(admin, agent) == 2
        assert client.complete_task(again[0].task_id, again[0].claim).code == "completed"
        assert client.fail_task(again[1].task_id, again[1].claim, "no", retryable=False).code == "failed"
        assert _check(admin, agent) == 0
        _cycle(client, 2 * WALK)
        assert _check(admin, agent) == 0
        report.rollback()


def test_a_claim_made_by_hand_below_the_floor_is_counted(committed_db) -> None:
    with committed_db.connect() as admin:
        agent = make_principal(admin, "by-hand", tenant="claimant-hand")
    with Client(committed_db.client_dsn, agent.token) as client, \
            committed_db.connect(autocommit=False) as report, committed_db.connect() as admin:
        token = admin.execute("select nextval('coord.lock_fence_seq')").fetchone()[0]  # drawn, unused
        _hold_snapshot(report)
        _cycle(client, 2 * WALK)
        assert (_floor(admin, agent) or 0) > token
        task = client.submit_task("by-hand").task_id
        _claim_by_hand(admin, task, agent, token)
        assert _floor(admin, agent) == token
        assert _check(admin, agent) == 1
        report.rollback()


def test_a_claim_with_a_token_below_the_floor_is_counted(committed_db) -> None:
    # Tokens are drawn in claim order under the claimant's lock; a sequence set back by hand
    # breaks that order, and the trigger still keeps the floor below the new claim.
    with committed_db.connect() as admin:
        agent = make_principal(admin, "reset", tenant="claimant-reset")
    with Client(committed_db.client_dsn, agent.token) as client, \
            committed_db.connect(autocommit=False) as report, committed_db.connect() as admin:
        reserved = admin.execute("select max(nextval('coord.lock_fence_seq')) from generate_series(1, 3)").fetchone()[0]
        _hold_snapshot(report)
        _cycle(client, 2 * WALK)
        assert (_floor(admin, agent) or 0) > reserved
        admin.execute("select setval('coord.lock_fence_seq', %s)", (reserved - 1,))  # set back by hand
        client.submit_task("k")
        claim = client.claim_task(["k"], lease="1 hour")
        assert claim.claim == reserved
        assert _check(admin, agent) == 1
        report.rollback()


def test_a_claim_by_hand_in_a_repeatable_read_transaction_is_counted_or_refused(committed_db) -> None:
    # Its snapshot predates the floor row: the trigger cannot see the floor it must lower.
    with committed_db.connect() as admin:
        agent = make_principal(admin, "rr", tenant="claimant-rr")
    with Client(committed_db.client_dsn, agent.token) as client, \
            committed_db.connect(autocommit=False) as rr, committed_db.connect() as admin:
        task = client.submit_task("by-hand").task_id
        token = admin.execute("select nextval('coord.lock_fence_seq')").fetchone()[0]
        _hold_snapshot(rr)  # also keeps the entries: the floor moves
        _cycle(client, 2 * WALK)
        assert (_floor(admin, agent) or 0) > token
        with pytest.raises(psycopg.errors.SerializationFailure):
            _claim_by_hand(rr, task, agent, token)
        rr.rollback()
        assert _check(admin, agent) == 0


def test_a_claim_by_hand_in_flight_while_a_claim_moves_the_floor_is_counted(committed_db) -> None:
    # The hand-made claim is not visible to the claim that moves the floor; the claimant's claims
    # lock, taken by the trigger, makes that claim wait for it to commit.
    with committed_db.connect() as admin:
        agent = make_principal(admin, "race", tenant="claimant-race")
        _limit(admin, agent, 2)
    with Client(committed_db.client_dsn, agent.token) as client, \
            committed_db.connect(autocommit=False) as report, committed_db.connect(autocommit=False) as hand, \
            committed_db.connect() as admin:
        _hold_snapshot(report)
        _cycle(client, 2 * WALK)  # the next claim's count walks enough to move the floor
        task = client.submit_task("by-hand").task_id
        client.submit_task("k")
        client.submit_task("k")
        _claim_by_hand(hand, task, agent, "nextval('coord.lock_fence_seq')")
        pid = client.connection.info.backend_pid
        thread, out = in_thread(lambda: client.claim_task(["k"]))
        wait_for_backend(committed_db, pid, "wait_event = 'advisory'")
        hand.commit()
        thread.join()
        assert "error" not in out, out
        assert out["result"].code == "claimed"
        assert _floor(admin, agent) is not None
        over = client.claim_task(["k"])
        assert (over.code, over.details["held"]) == ("at_limit", 2)
        assert _check(admin, agent) == 2
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
    with committed_db.connect() as admin:
        agent = make_principal(admin, "undo", tenant="claimant-undo")
        _limit(admin, agent, 2)
    with Client(committed_db.client_dsn, agent.token) as client, \
            committed_db.connect(autocommit=False) as report, committed_db.connect() as admin:
        _hold_snapshot(report)
        client.submit_task("held")
        held = client.claim_task(["held"], lease="1 hour")
        _cycle(client, 2 * WALK)
        assert _floor(admin, agent) == held.claim
        client.submit_task("k")
        client.submit_task("k")
        client.connection.execute("begin")
        assert client.complete_task(held.task_id, held.claim).code == "completed"
        assert client.claim_task(["k"]).code == "claimed"
        assert (_floor(admin, agent) or 0) <= held.claim  # not committed yet
        client.connection.execute("rollback")
        assert _floor(admin, agent) == held.claim
        assert client.claim_task(["k"]).code == "claimed"
        over = client.claim_task(["k"])
        assert (over.code, over.details["held"]) == ("at_limit", 2)
        assert _check(admin, agent) == 2
        report.rollback()


def test_concurrent_claims_of_one_claimant_stay_within_its_limit(committed_db) -> None:
    # Real connections claiming at once, while a snapshot is held and the floor moves: exactly
    # the limit's room is claimed, the long-held claim below the floor counted.
    with committed_db.connect() as admin:
        agent = make_principal(admin, "crowd", tenant="claimant-crowd")
        _limit(admin, agent, 3)
    clients = [Client(committed_db.client_dsn, agent.token) for _ in range(6)]
    try:
        with committed_db.connect(autocommit=False) as report, committed_db.connect() as admin:
            _hold_snapshot(report)
            client = clients[0]
            client.submit_task("held")
            held = client.claim_task(["held"], lease="1 hour")
            _cycle(client, 2 * WALK)
            assert _floor(admin, agent) == held.claim
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
            assert _check(admin, agent) == 3
            report.rollback()
    finally:
        for c in clients:
            c.close()


def test_a_count_in_a_repeatable_read_transaction_does_not_move_the_floor_past_a_later_claim(committed_db) -> None:
    # The api refuses calls outside read committed (CO213), but the count is reached by hand too.
    # Its snapshot predates another claim of the claimant, committed since: the count cannot see
    # it, so it must not move the floor past it (the floor row itself did not change since).
    with committed_db.connect() as admin:
        agent = make_principal(admin, "stale", tenant="claimant-stale")
    with Client(committed_db.client_dsn, agent.token) as client, \
            committed_db.connect(autocommit=False) as rr, \
            committed_db.connect(autocommit=False) as report, committed_db.connect() as admin:
        _hold_snapshot(report)
        client.submit_task("held")
        held = client.claim_task(["held"], lease="1 hour")
        _cycle(client, 2 * WALK)
        assert _floor(admin, agent) == held.claim  # held there while the held claim lives
        client.submit_task("later")
        _hold_snapshot(rr)
        later = client.claim_task(["later"], lease="1 hour")  # committed after rr's snapshot
        assert later.code == "claimed"
        rr.execute("update coord.tasks set state = 'completed', result = '{}', last_event = 'completed', "
                   "finished_at = coord.clock_now(), lease_expires_at = null "
                   "where id = %s", (held.task_id,))
        assert _counted(rr, agent) == 0  # neither the held claim (done here) nor the later one
        rr.commit()
        assert _floor(admin, agent) == held.claim
        assert _check(admin, agent) == 1
        report.rollback()
