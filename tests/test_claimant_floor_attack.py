"""Attack on the claimant floor (coord.count_live_claims, coord.keep_claimant_floor): the count
of a claimant's live claims must stay exact whatever order claims, hand-made claims, floor moves
and rollbacks take. Real connections, transactions held open at chosen points."""

from __future__ import annotations

import psycopg
import pytest

from coordinator.client import Client
from tests.claimant_floors import (
    WALK,
    burn,
    check_count,
    claim_by_hand,
    claimant_floor,
    cycle,
    held_snapshot,
    hold_snapshot,
    live_claims,
    set_limit,
)
from tests.conftest import advance_clock, in_thread, make_principal, wait_for_backend

_LOCK = "select pg_advisory_xact_lock(hashtextextended('coord.claims/' || %s::text, 0))"


def test_a_claim_by_hand_with_a_negative_token_is_counted_without_a_floor_row(committed_db) -> None:
    # No floor row yet: the count starts at 0, and the trigger (read committed) only lowers a row
    # that exists. A claim made by hand with a token below 0 lay below the count's start and was
    # never counted; tasks_claim_check now refuses it (tests/test_tasks.py), else it is counted.
    with committed_db.connect() as admin:
        agent = make_principal(admin, "negative", tenant="claimant-negative")
        set_limit(admin, agent, 1)
    with Client(committed_db.client_dsn, agent.token) as client, committed_db.connect() as admin:
        task = client.submit_task("by-hand").task_id
        try:
            claim_by_hand(admin, task, agent, -5)
        except psycopg.errors.CheckViolation:
            return  # refused: no claim lies below the count's start
        assert claimant_floor(admin, agent) is None
        client.submit_task("k")
        over = client.claim_task(["k"])
        assert (over.code, over.details.get("held")) == ("at_limit", 1)
        assert check_count(admin, agent) == 1


def test_a_claim_by_hand_with_a_negative_token_in_repeatable_read_is_counted(committed_db) -> None:
    # Outside read committed the trigger inserts a missing floor row at 0: above a negative token.
    with committed_db.connect() as admin:
        agent = make_principal(admin, "negative-rr", tenant="claimant-negative-rr")
        set_limit(admin, agent, 1)
    with Client(committed_db.client_dsn, agent.token) as client, \
            committed_db.connect(autocommit=False) as rr, committed_db.connect() as admin:
        task = client.submit_task("by-hand").task_id
        rr.execute("set transaction isolation level repeatable read")
        try:
            claim_by_hand(rr, task, agent, -5)
        except psycopg.errors.CheckViolation:
            return  # refused (tasks_claim_check)
        rr.commit()
        client.submit_task("k")
        over = client.claim_task(["k"])
        assert (over.code, over.details.get("held")) == ("at_limit", 1)
        assert check_count(admin, agent) == 1


def _claim_waits_first(committed_db, client: Client, hand: psycopg.Connection, blocker: psycopg.Connection,
                       agent, task: int):
    """The claimant's claims lock is held (blocker); the client's claim queues for it first, then
    a claim by hand (hand) draws its token and queues behind it. Returns the claim thread, its
    output and the hand's token once the blocker let go and the client's claim committed."""
    blocker.execute(_LOCK, (agent.principal_id,))
    pid = client.connection.info.backend_pid
    thread, out = in_thread(lambda: client.claim_task(["k"], lease="1 hour"))
    wait_for_backend(committed_db, pid, "wait_event = 'advisory'")
    hand_pid = hand.info.backend_pid
    token = hand.execute("select nextval('coord.lock_fence_seq')").fetchone()[0]  # drawn before the lock
    hand_run = in_thread(lambda: claim_by_hand(hand, task, agent, token))
    wait_for_backend(committed_db, hand_pid, "wait_event = 'advisory'")
    blocker.commit()
    thread.join()
    return thread, out, token, hand_run


def test_a_claim_by_hand_drawn_before_a_floor_move_that_commits_first_is_counted(committed_db) -> None:
    # The reverse of test_claimant_floor's in-flight race: the hand-made claim drew its token
    # before the claimant's claim moved the floor past every token given out, and waited for
    # the claims lock behind it. The trigger must lower the moved floor when it gets the lock.
    with committed_db.connect() as admin:
        agent = make_principal(admin, "late-hand", tenant="claimant-late-hand")
        set_limit(admin, agent, 2)
    with Client(committed_db.client_dsn, agent.token) as client, \
            committed_db.connect(autocommit=False) as report, committed_db.connect(autocommit=False) as hand, \
            committed_db.connect(autocommit=False) as blocker, committed_db.connect() as admin:
        hold_snapshot(report)
        cycle(client, 2 * WALK)
        task = client.submit_task("by-hand").task_id
        for _ in range(2):
            client.submit_task("k")
        before = claimant_floor(admin, agent)
        _, out, token, (hand_thread, hand_out) = _claim_waits_first(committed_db, client, hand, blocker, agent, task)
        assert "error" not in out, out
        assert out["result"].code == "claimed"
        moved = claimant_floor(admin, agent)
        assert moved != before and moved > token  # the move committed past the hand's token
        hand_thread.join()
        assert "error" not in hand_out, hand_out
        hand.commit()
        assert claimant_floor(admin, agent) == token
        over = client.claim_task(["k"])
        assert (over.code, over.details.get("held")) == ("at_limit", 2)
        assert check_count(admin, agent) == 2
        report.rollback()


@pytest.mark.parametrize("first_move", [True, False], ids=["row-inserted", "row-updated"])
def test_a_repeatable_read_claim_by_hand_behind_a_floor_move_is_refused(committed_db, first_move: bool) -> None:
    # As above with the hand-made claim in REPEATABLE READ: its snapshot predates the move (an
    # update of the floor row, or the row's insert by the first move): a serialization failure.
    with committed_db.connect() as admin:
        agent = make_principal(admin, "late-rr", tenant=f"claimant-late-rr-{str(first_move).lower()}")
        set_limit(admin, agent, 2)
    with Client(committed_db.client_dsn, agent.token) as client, \
            committed_db.connect(autocommit=False) as report, committed_db.connect(autocommit=False) as hand, \
            committed_db.connect(autocommit=False) as blocker, committed_db.connect() as admin:
        hold_snapshot(report)
        cycle(client, WALK if first_move else 2 * WALK)
        assert (claimant_floor(admin, agent) is None) == first_move
        task = client.submit_task("by-hand").task_id
        for _ in range(2):
            client.submit_task("k")
        hand.execute("set transaction isolation level repeatable read")
        hand.execute("select 1 from coord.tasks limit 1").fetchone()  # the snapshot, before the move
        before = claimant_floor(admin, agent)
        _, out, _, (hand_thread, hand_out) = _claim_waits_first(committed_db, client, hand, blocker, agent, task)
        assert out["result"].code == "claimed", out
        assert claimant_floor(admin, agent) != before
        hand_thread.join()
        assert isinstance(hand_out.get("error"), psycopg.errors.SerializationFailure), hand_out
        hand.rollback()
        assert client.claim_task(["k"]).code == "claimed"
        assert check_count(admin, agent) == 2
        report.rollback()


def test_a_floor_move_in_a_rolled_back_savepoint_lets_the_next_claim_through_exactly(committed_db) -> None:
    # Rolling back to a savepoint releases the claims lock taken inside it along with the floor
    # move: another connection's claim then runs while the first transaction is still open.
    with held_snapshot(committed_db, "savepoint", "claimant-savepoint", limit=2, clients=2) as \
            (agent, [client, other], admin):
        client.submit_task("held")
        held = client.claim_task(["held"], lease="1 hour")
        cycle(client, 2 * WALK)
        for _ in range(3):
            client.submit_task("k")
        before = claimant_floor(admin, agent)
        client.connection.execute("begin")
        client.connection.execute("savepoint s")
        assert client.complete_task(held.task_id, held.claim).code == "completed"
        assert client.claim_task(["k"]).code == "claimed"
        client.connection.execute("rollback to savepoint s")
        assert other.claim_task(["k"]).code == "claimed"  # not blocked: the lock went with the savepoint
        assert claimant_floor(admin, agent) == before == held.claim
        assert client.claim_task(["k"], lease="1 hour").code == "at_limit"  # held and other's claim
        client.connection.execute("commit")
        assert check_count(admin, agent) == 2


def test_a_batch_claim_under_a_held_snapshot_takes_only_the_room_left(committed_db) -> None:
    with held_snapshot(committed_db, "batch", "claimant-batch", limit=4) as (agent, [client], admin):
        client.submit_task("held")
        held = client.claim_task(["held"], lease="1 hour")
        cycle(client, 2 * WALK)
        assert claimant_floor(admin, agent) == held.claim
        for _ in range(6):
            client.submit_task("k")
        claimed = [c for c in client.claim_tasks(["k"], limit=6, lease="1 hour") if c.code == "claimed"]
        assert len(claimed) == 3
        for c in claimed[:2]:
            assert client.complete_task(c.task_id, c.claim).code == "completed"
        cycle(client, 2 * WALK)
        assert check_count(admin, agent) == 2  # held and claimed[2]
        again = [c for c in client.claim_tasks(["k"], limit=6, lease="1 hour") if c.code == "claimed"]
        assert len(again) == 2
        assert check_count(admin, agent) == 4
        over = client.claim_tasks(["k"], limit=6, lease="1 hour")
        assert [(c.code, c.details.get("held")) for c in over] == [("at_limit", 4)]


def test_renewing_claims_below_the_floor_keeps_the_count_exact(committed_db) -> None:
    # A live claim below the floor renewed stays counted; an expired one renewed goes back to the
    # queue and leaves the count; the task claimed again with a new token counts once.
    with held_snapshot(committed_db, "renew", "claimant-renew", limit=2) as (agent, [client], admin):
        client.submit_task("short")
        client.submit_task("long")
        short = client.claim_task(["short"], lease="1 minute")
        long = client.claim_task(["long"], lease="10 minutes")
        advance_clock(admin, "2 minutes")  # short expired, still claimed (no sweep)
        cycle(client, 2 * WALK)
        assert claimant_floor(admin, agent) == short.claim
        assert check_count(admin, agent) == 1
        assert client.renew_task(long.task_id, long.claim, "1 hour").code == "renewed"
        assert client.renew_task(short.task_id, short.claim, "1 hour").code == "expired"
        assert check_count(admin, agent) == 1
        cycle(client, 2 * WALK)
        assert claimant_floor(admin, agent) == long.claim
        advance_clock(admin, "1 hour")  # past short's backoff; long renewed to 1 hour: expired too
        again = client.claim_task(["short"], lease="2 hours")
        assert (again.code, again.task_id) == ("claimed", short.task_id)
        assert again.claim > short.claim
        assert check_count(admin, agent) == 1
        client.submit_task("k")
        assert client.claim_task(["k"], lease="2 hours").code == "claimed"
        over = client.claim_task(["k"])
        assert (over.code, over.details.get("held")) == ("at_limit", 2)
        assert check_count(admin, agent) == 2


_CLIENT_ROLES = ["coord_agent", "coord_operator", "coord_auditor", "coord_anon", "coord_authenticator"]


@pytest.mark.parametrize("role", _CLIENT_ROLES)
def test_client_roles_neither_read_nor_write_claimant_floors(committed_db, role: str) -> None:
    with committed_db.connect() as admin:
        agent = make_principal(admin, "floors", tenant="claimant-roles")
    with Client(committed_db.client_dsn, agent.token) as client:
        client.submit_task("k")
        assert client.claim_task(["k"]).code == "claimed"
    statements = [
        "select * from coord.claimant_floors",
        "insert into coord.claimant_floors values (gen_random_uuid(), gen_random_uuid(), 0)",
        "update coord.claimant_floors set floor = 0",
        "delete from coord.claimant_floors",
        f"select coord.count_live_claims('{agent.tenant_id}', '{agent.principal_id}', now())",
        f"select coord.keep_claimant_floor('{agent.tenant_id}', '{agent.principal_id}', 0)",
    ]
    with committed_db.connect() as conn:
        for statement in statements:
            with conn.transaction(force_rollback=True):
                conn.execute(f"set local role {role}")
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(statement)


def test_the_owner_without_a_vouched_caller_sees_and_moves_no_floor(committed_db) -> None:
    # Row-level security on coord.claimant_floors: the owner role sees a tenant's rows only for a
    # vouched caller of that tenant.
    with committed_db.connect() as admin:
        a = make_principal(admin, "a", tenant="claimant-rls-a")
        admin.execute("insert into coord.claimant_floors values (%s, %s, 7)", (a.tenant_id, a.principal_id))
        with admin.transaction(force_rollback=True):
            admin.execute("set local role coord_owner")
            assert admin.execute("select tenant_id from coord.claimant_floors").fetchall() == []
            assert admin.execute("update coord.claimant_floors set floor = 0").rowcount == 0
            with pytest.raises(psycopg.errors.InsufficientPrivilege):  # the policy's check
                admin.execute("insert into coord.claimant_floors values (%s, gen_random_uuid(), 0)", (a.tenant_id,))
        assert claimant_floor(admin, a) == 7


@pytest.mark.parametrize("end", ["commit", "rollback"])
@pytest.mark.parametrize("how", ["complete", "fail", "sweep"])
def test_a_claim_while_the_floor_claim_is_finished_in_an_open_transaction(committed_db, how: str, end: str) -> None:
    # The claim at the floor is completed, failed or swept back by another transaction still open
    # while the claimant's claim counts and moves the floor: the count reads it as claimed (live
    # unless its lease ran out) and the floor stays at it; whichever way that transaction ends,
    # the count is exact after.
    with committed_db.connect() as admin:
        agent = make_principal(admin, "inflight", tenant=f"claimant-inflight-{how}-{end}")
        set_limit(admin, agent, 4)
    with Client(committed_db.client_dsn, agent.token) as client, \
            Client(committed_db.client_dsn, agent.token) as other, \
            committed_db.connect(autocommit=False) as report, committed_db.connect(autocommit=False) as sweeper, \
            committed_db.connect() as admin:
        hold_snapshot(report)
        client.submit_task("held")
        held = client.claim_task(["held"], lease="1 minute" if how == "sweep" else "1 hour")
        cycle(client, 2 * WALK)
        assert claimant_floor(admin, agent) == held.claim
        client.submit_task("second")
        assert client.claim_task(["second"], lease="1 hour").code == "claimed"
        for _ in range(4):
            client.submit_task("k")
        cycle(client, 2 * WALK)  # the next count walks enough to move the floor
        if how == "sweep":
            advance_clock(admin, "2 minutes")
            sweeper.execute("select coord.sweep(%s, 100, false)", (agent.tenant_id,))
        else:
            other.connection.execute("begin")
            if how == "complete":
                assert other.complete_task(held.task_id, held.claim).code == "completed"
            else:
                assert other.fail_task(held.task_id, held.claim, "no", retryable=False).code == "failed"
        first = client.claim_task(["k"], lease="1 hour")
        assert first.code == "claimed"
        assert claimant_floor(admin, agent) == held.claim  # still claimed as far as the claim could see
        (sweeper if how == "sweep" else other.connection).execute(end)
        held_live = how != "sweep" and end == "rollback"
        assert check_count(admin, agent) == 2 + held_live
        while client.claim_task(["k"], lease="1 hour").code == "claimed":
            pass
        assert check_count(admin, agent) == 4
        report.rollback()


def test_concurrent_batch_claims_and_completions_never_exceed_the_limit(committed_db) -> None:
    # Four connections of one claimant claim batches and finish them at once while a snapshot is
    # held and the floor keeps moving (finished claims burnt between rounds): after every claim
    # the claimant's live claims stay within the limit, and at the end the count is exact.
    with held_snapshot(committed_db, "stress", "claimant-stress", limit=3, clients=4) as (agent, clients, admin):
        clients[0].submit_tasks([{"kind": "k"}] * 120)
        seen: list[int] = []

        def work(client: Client) -> None:
            with committed_db.connect() as look:
                for _ in range(8):
                    got = [r for r in client.claim_tasks(["k"], limit=2, lease="1 hour") if r.code == "claimed"]
                    seen.append(len(got))
                    assert live_claims(look, agent) <= 3  # the others may have finished some since, never more
                    for r in got:
                        assert client.complete_task(r.task_id, r.claim).code == "completed"

        for _ in range(3):
            burn(admin, clients[0], agent)
            runs = [in_thread(lambda c=c: work(c)) for c in clients]
            for thread, out in runs:
                thread.join()
                assert "error" not in out, out
        assert sum(seen) > 0
        assert claimant_floor(admin, agent) is not None  # it moved under the held snapshot
        assert check_count(admin, agent) == 0


@pytest.mark.parametrize("setting", ["set transaction isolation level read uncommitted",
                                     "set transaction isolation level serializable",
                                     "set local session_replication_role = replica"])
def test_a_claim_by_hand_below_the_floor_is_counted_however_the_transaction_is_set(committed_db, setting: str) -> None:
    # READ UNCOMMITTED runs as read committed but reports its own name (the trigger's upsert path);
    # SERIALIZABLE is the upsert path proper; a replica role skips ordinary triggers, not this one.
    with committed_db.connect() as admin:
        agent = make_principal(admin, "setting", tenant=f"claimant-setting-{setting.split()[-1]}")
        set_limit(admin, agent, 1)
    with Client(committed_db.client_dsn, agent.token) as client, \
            committed_db.connect(autocommit=False) as report, committed_db.connect(autocommit=False) as hand, \
            committed_db.connect() as admin:
        token = admin.execute("select nextval('coord.lock_fence_seq')").fetchone()[0]
        hold_snapshot(report)
        cycle(client, 2 * WALK)
        assert (claimant_floor(admin, agent) or 0) > token
        task = client.submit_task("by-hand").task_id
        hand.execute(setting)
        claim_by_hand(hand, task, agent, token)
        hand.commit()
        assert claimant_floor(admin, agent) == token
        client.submit_task("k")
        over = client.claim_task(["k"])
        assert (over.code, over.details.get("held")) == ("at_limit", 1)
        assert check_count(admin, agent) == 1
        report.rollback()
