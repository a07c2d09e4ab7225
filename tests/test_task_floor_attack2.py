"""Second attack on the claim floor (coord.advance_task_floor, coord.take_task_floor,
coord.task_became_ready): real connections, transactions held open at chosen points."""

from __future__ import annotations

import psycopg
import pytest

from coordinator.client import Client
from coordinator.errors import CoordError
from tests.conftest import make_principal
from tests.hurried import advisory_held, rollback, timeout_off
from tests.test_task_floor import _cycle, _floor

# Every claim of one kind tries to move the claim floor (coord.task_floor_lag = 0): these tests
# check what keeps a moving floor safe. The default lag is tests/test_task_floor_lag.py's.
pytestmark = pytest.mark.usefixtures("eager_task_floor")


def test_a_tenant_holding_a_transaction_open_does_not_keep_other_tenants_from_taking_floors(committed_db) -> None:
    # take_task_floor held one pool-wide lock to the end of the taking claim's transaction: an
    # agent that claims a new kind inside a transaction it leaves open (up to the 5 minutes of
    # idle_in_transaction_session_timeout, again and again) left every other tenant's kinds
    # without a floor for that long.
    with committed_db.connect() as admin:
        holder = make_principal(admin, "holder", tenant="floor-pool-holder")
        victim = make_principal(admin, "victim", tenant="floor-pool-victim")
    with Client(committed_db.client_dsn, holder.token) as h, Client(committed_db.client_dsn, victim.token) as v, \
            committed_db.connect() as admin:
        h.connection.execute("begin")
        assert h.claim_task(["fresh"]).code == "empty"  # takes a floor; its transaction stays open
        for _ in range(3):
            assert v.claim_task(["k"]).code == "empty"
        assert _floor(admin, victim.tenant_id, "k") is not None
        h.connection.execute("rollback")


def test_a_second_take_of_a_kinds_floor_leaves_the_floor_it_holds(committed_db) -> None:
    # Two claims of a kind without a floor both read "no row"; the first takes floor A and
    # commits, then the second reaches take_task_floor (the take lock is free again) and replaced
    # the kind's row with floor B. A claim that read A in between moves A and scans from it, while
    # a task made ready after the swap resets B only: that claim skips it. The race has no point
    # to stop at inside one call, so the second take is called as the racing claim would.
    with committed_db.connect() as admin:
        agent = make_principal(admin, "twice", tenant="floor-retake")
    with Client(committed_db.client_dsn, agent.token) as client, committed_db.connect() as admin:
        _cycle(client, "k", 2)
        before = admin.execute("select floor::text from coord.task_ready_floors where tenant_id = %s and kind = 'k'",
                               (agent.tenant_id,)).fetchone()
        admin.execute("select coord.take_task_floor(%s, 'k', coord.task_floor_incarnation())", (agent.tenant_id,))
        after = admin.execute("select floor::text from coord.task_ready_floors where tenant_id = %s and kind = 'k'",
                              (agent.tenant_id,)).fetchone()
        assert after == before


def _tenant_task_values(admin: psycopg.Connection, agent, kind: str) -> tuple:
    return (agent.tenant_id, kind, agent.principal_id)


def test_a_ready_task_inserted_by_hand_with_a_negative_id_is_claimed(committed_db) -> None:
    # A floor is a sequence with minvalue 0 and a reset sets it to 0: a task inserted by hand with
    # its id given (OVERRIDING SYSTEM VALUE, e.g. rows copied from another database) below 0 lies
    # below every floor, and a single-kind claim never reaches it.
    with committed_db.connect() as admin:
        agent = make_principal(admin, "neg", tenant="floor-negative")
    with Client(committed_db.client_dsn, agent.token) as client, committed_db.connect() as admin:
        _cycle(client, "k", 2)
        try:
            admin.execute("insert into coord.tasks (id, tenant_id, kind, submitted_by, run_after, submitted_at) "
                          "overriding system value values (-1, %s, %s, %s, coord.now(), coord.now())",
                          _tenant_task_values(admin, agent, "k"))
        except psycopg.errors.CheckViolation:
            return  # refused: no task lies below every floor
        claim = client.claim_task(["k"])
        assert (claim.code, claim.task_id) == ("claimed", -1)



def test_a_ready_task_is_not_renumbered_by_hand_below_the_floor(committed_db) -> None:
    # An owner who makes the identity BY DEFAULT and renumbers a queued task would move it below
    # the floor: the transition trigger refuses every id change (the audit pairs a task's rows by
    # id, and its trail names it by id), so the task stays where the floor finds it.
    with committed_db.connect() as admin:
        agent = make_principal(admin, "renumber", tenant="floor-renumber")
    with Client(committed_db.client_dsn, agent.token) as client, committed_db.connect() as admin:
        done = _cycle(client, "k", 3)
        moved = client.submit_task("k").task_id
        admin.execute("delete from coord.tasks where id = %s", (done[0],))  # a finished task's id is free again
        assert client.claim_task(["other"]).code == "empty"
        admin.execute("alter table coord.tasks alter column id set generated by default")
        with pytest.raises(psycopg.DatabaseError) as refused:
            admin.execute("update coord.tasks set id = %s where id = %s", (done[0], moved))
        assert refused.value.sqlstate == "CO411"
        claim = client.claim_task(["k"])
        assert (claim.code, claim.task_id) == ("claimed", moved)


def test_taking_floors_of_an_earlier_run_never_waits_on_another_tenants_open_take(committed_db) -> None:
    # After a restart every row of the pool is of an earlier run. A tenant whose take removes
    # another tenant's old row holds that floor's lock to its end; the other tenant's take of the
    # same row must pass (no floor this time), never wait on it, and take one once it ends.
    with committed_db.connect() as admin:
        first = make_principal(admin, "first", tenant="floor-rerun-a")
        second = make_principal(admin, "second", tenant="floor-rerun-b")
    with Client(committed_db.client_dsn, first.token) as a, Client(committed_db.client_dsn, second.token) as b, \
            committed_db.connect() as admin:
        assert b.claim_task(["k"]).code == "empty"  # b's k takes floor 1
        admin.execute("update coord.task_ready_floors set incarnation = 'an earlier run'")
        admin.execute("insert into coord.task_ready_floors (tenant_id, kind, floor, incarnation) "
                      "select gen_random_uuid(), 'x', ('coord.task_ready_floor_' || i)::regclass, 'an earlier run' "
                      "from generate_series(2, 64) as i")  # the rest of the pool, named by rows of that run
        b.connection.execute("set lock_timeout = '10s'")  # a take that waited would fail here, not hang
        a.connection.execute("begin")
        assert a.claim_task(["k"]).code == "empty"  # takes floor 1, removing b's old row; left open
        assert admin.execute("select floor::text from coord.task_ready_floors where tenant_id = %s",
                             (first.tenant_id,)).fetchone() is None  # not committed
        assert b.claim_task(["k"]).code == "empty"  # floor 1 is being taken: no floor, no wait
        a.connection.execute("commit")
        assert b.claim_task(["k"]).code == "empty"
        rows = admin.execute("select tenant_id, floor::text, incarnation = coord.task_floor_incarnation() "
                             "from coord.task_ready_floors where incarnation = coord.task_floor_incarnation() "
                             "order by floor::text").fetchall()
        assert rows == [(first.tenant_id, "coord.task_ready_floor_1", True),
                        (second.tenant_id, "coord.task_ready_floor_2", True)], rows


def test_a_batch_submitted_by_a_transaction_that_commits_last_is_claimed_in_order(committed_db) -> None:
    # Ids drawn by one batch (a dependency by ref, priorities) that commits after later ids were
    # submitted, claimed and completed: the floor stays at or below the batch's ready tasks.
    with committed_db.connect() as admin:
        agent = make_principal(admin, "batch", tenant="floor-batch")
    with Client(committed_db.client_dsn, agent.token) as client, \
            Client(committed_db.client_dsn, agent.token) as slow:
        _cycle(client, "k", 2)
        slow.connection.execute("begin")
        ids = [r.task_id for r in slow.submit_tasks([
            {"kind": "k", "ref": "first"}, {"kind": "k", "depends_on": ["first"]}, {"kind": "k", "priority": 3}])]
        later = _cycle(client, "k", 3)
        assert min(later) > max(ids)
        assert client.claim_task(["k"]).code == "empty"
        slow.connection.execute("commit")
        assert [client.claim_task(["k"]).task_id for _ in range(2)] == [ids[2], ids[0]]


def test_claims_and_hand_changes_rolled_back_to_a_savepoint_leave_the_floor_below_their_tasks(committed_db) -> None:
    # A rolled-back subtransaction takes its write lock on coord.tasks and its marker with it: the
    # next claim of the transaction moves the floor, and must read the undone claim as ready. A
    # SERIALIZABLE hand change made ready (and one undone to a savepoint) resets it.
    with committed_db.connect() as admin:
        agent = make_principal(admin, "sub", tenant="floor-savepoint")
    with Client(committed_db.client_dsn, agent.token) as client, committed_db.connect() as admin, \
            committed_db.connect(autocommit=False) as hand:
        parent = client.submit_task("parent").task_id
        child = client.submit_task("k", depends_on=[parent]).task_id
        hand.execute("set transaction isolation level serializable")
        hand.execute("select 1").fetchone()  # its snapshot: no floor row of k yet
        _cycle(client, "k", 2)
        first = client.submit_task("k").task_id
        client.connection.execute("begin")
        client.connection.execute("savepoint s")
        assert client.claim_task(["k"]).task_id == first
        client.connection.execute("rollback to savepoint s")
        assert client.claim_task(["k"]).task_id == first  # the floor moved, not past it
        client.connection.execute("rollback")
        assert (_floor(admin, agent.tenant_id, "k") or 0) <= first
        assert client.claim_task(["k"]).task_id == first
        assert client.claim_task(["k"]).code == "empty"
        assert _floor(admin, agent.tenant_id, "k") > child
        hand.execute("savepoint s")
        hand.execute("update coord.tasks set pending_deps = 0 where id = %s", (child,))
        hand.execute("rollback to savepoint s")
        assert client.claim_task(["k"]).code == "empty"
        hand.execute("update coord.tasks set pending_deps = 0 where id = %s", (child,))
        assert client.claim_task(["k"]).code == "empty"  # not committed yet
        hand.commit()
        claim = client.claim_task(["k"])
        assert (claim.code, claim.task_id) == ("claimed", child)


def test_a_claim_cancelled_by_its_statement_timeout_never_leaves_the_kinds_floor_lock_held(committed_db) -> None:
    # advance_task_floor takes the kind's lock at session level and releases it in an exception
    # block; a cancel (statement_timeout) handled between the try-lock and the block, or between
    # the block and the unlock, left it held by the session: every other session's task of the
    # kind becoming ready (submit, completion of a prerequisite, retry, sweep) then waits in
    # task_became_ready until that connection closes. Where the cancel lands is timing, so this
    # claims under 1-3 ms timeouts many times (the old code kept the lock within ~100 claims).
    with committed_db.connect() as admin:
        agent = make_principal(admin, "hurried", tenant="floor-cancel")
    with Client(committed_db.client_dsn, agent.token) as client, committed_db.connect() as admin:
        _cycle(client, "k", 3)
        pid = client.connection.info.backend_pid
        for i in range(3000):
            try:
                client.connection.execute(f"set statement_timeout = {1 + i % 3}")
                client.claim_task(["k"])
            except (CoordError, psycopg.Error):  # cancelled: the point of the attack
                rollback(client.connection)
            timeout_off(client.connection)
            held = advisory_held(admin, pid)
            assert held == [], (i, held)
