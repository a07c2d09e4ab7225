"""The claim floor moves only once it lags (coord.task_floor_lag, default 32): a claim of one kind
tries coord.advance_task_floor only when the floor lies more than that many ids below the first
candidate its scan found (none: past the last id given out). A move would set the floor to the
smallest ready id, at most that candidate, so a floor left where it is costs a scan at most that
many entries more than one moved on every claim. These tests run with the default lag; the
floor's safety tests (test_task_floor*.py) run with every claim trying the move."""

from __future__ import annotations

import itertools
import threading

import psycopg

from coordinator.client import Client
from tests.conftest import in_thread, make_principal, wait_for_backends
from tests.test_task_floor import _cycle, _floor, _ready_index_reads, walking_under_a_held_snapshot

LAG = 32  # coord.task_floor_lag's default


def test_under_a_held_snapshot_the_floor_lags_by_at_most_the_bound_and_moves_once_per_bound(committed_db) -> None:
    with walking_under_a_held_snapshot(committed_db, "lagger", "floor-lag") as (client, admin, index, agent):
        reads, floors, done = [], [], []
        for _ in range(6 * LAG):
            client.submit_task("walk")
            with client.connection.transaction():  # counts are flushed between transactions only
                before = _ready_index_reads(client.connection, index)
                claim = client.claim_task(["walk"])
                reads.append(_ready_index_reads(client.connection, index) - before)
            assert claim.code == "claimed"
            client.complete_task(claim.task_id, claim.claim)
            done.append(claim.task_id)
            floors.append(_floor(admin, agent.tenant_id, "walk"))
            # The only ready task was the claimed one: a move sets the floor to it.
            assert 0 <= done[-1] - floors[-1] <= LAG, (done[-1], floors[-1])
        # Every dead entry the snapshot keeps lies at or after the floor's lag: the scan reads at
        # most the lag's ids and the claimed task, and the move (when it runs) walks them once
        # more. Without the floor in the scan the last claims read ~190 entries.
        assert max(reads) <= 2 * (LAG + 2) + 2, reads
        # The move is paid once per lag's claims, not on every claim (192 values when it is).
        moves = sum(1 for a, b in itertools.pairwise(floors) if a != b)
        assert 0 < moves <= len(floors) // LAG + 1, (moves, floors)


def test_without_a_held_snapshot_claims_move_the_floor_once_per_bound(committed_db) -> None:
    with committed_db.connect() as admin:
        agent = make_principal(admin, "quiet", tenant="floor-lag-quiet")
    with Client(committed_db.client_dsn, agent.token) as client, committed_db.connect() as admin:
        _cycle(client, "k", 2)
        floors = []
        for _ in range(4 * LAG):
            task = _cycle(client, "k", 1)[0]
            floors.append(_floor(admin, agent.tenant_id, "k"))
            assert 0 <= task - floors[-1] <= LAG, (task, floors[-1])
        assert sum(1 for a, b in itertools.pairwise(floors) if a != b) <= len(floors) // LAG + 1, floors
        # An empty claim lagging past the last id given out moves it there once, then not again.
        for _ in range(LAG + 2):
            client.submit_task("other")
        assert client.claim_task(["k"]).code == "empty"
        top = admin.execute("select pg_sequence_last_value('coord.tasks_id_seq')").fetchone()[0]
        assert _floor(admin, agent.tenant_id, "k") == top + 1


def test_a_lag_set_to_zero_moves_the_floor_on_every_claim_and_a_malformed_one_is_the_default(committed_db) -> None:
    with committed_db.connect() as admin:
        agent = make_principal(admin, "tuned", tenant="floor-lag-tuned")
    with Client(committed_db.client_dsn, agent.token) as client, committed_db.connect() as admin:
        _cycle(client, "k", 2)
        client.connection.execute("set coord.task_floor_lag = 0")
        for _ in range(3):
            task = _cycle(client, "k", 1)[0]
            assert _floor(admin, agent.tenant_id, "k") == task
        for value in ("-1", "lots", "1e3", "99999999999999999999"):  # not a count: the default
            client.connection.execute("select set_config('coord.task_floor_lag', %s, false)", (value,))
            floor = _floor(admin, agent.tenant_id, "k")
            task = _cycle(client, "k", 1)[0]
            assert _floor(admin, agent.tenant_id, "k") == floor < task


def submit_stuck_after_drawing_its_id(committed_db, admin: psycopg.Connection, hand: psycopg.Connection,
                                      claimer: Client, submitter: Client,
                                      key: str) -> tuple[threading.Thread, dict[str, object], int]:
    """A submit of kind k that draws its id, then waits before its row exists: on the unique key
    ``key``, which ``hand``'s open transaction gives an earlier task of the kind (claimed by
    ``claimer``, so not ready). Returns the submit's thread, its outcome and the id it drew;
    ``hand.rollback()`` lets it commit."""
    holder = claimer.submit_task("k").task_id
    assert claimer.claim_task(["k"]).task_id == holder
    hand.execute("update coord.tasks set unique_key = %s where id = %s", (key, holder))  # left open
    thread, out = in_thread(lambda: submitter.submit_task("k", unique_key=key).task_id)
    wait_for_backends(committed_db, "wait_event_type = 'Lock' and wait_event = 'transactionid'", 1)
    drawn = admin.execute("select pg_sequence_last_value('coord.tasks_id_seq')").fetchone()[0]
    return thread, out, drawn


def test_a_submit_whose_id_was_drawn_below_a_lagging_floor_that_moves_past_it_is_claimed(committed_db) -> None:
    # The race the floor's lock settles, with the default lag: a submit draws its id, then waits
    # (here on a unique key another transaction holds) before its row exists; the claims of
    # later tasks pass it and, once the floor lags by more than the bound, move it past its id.
    # When the submit commits, its trigger finds the floor above the task and resets it.
    with committed_db.connect() as admin:
        agent = make_principal(admin, "racer", tenant="floor-lag-race")
    with Client(committed_db.client_dsn, agent.token) as client, \
            Client(committed_db.client_dsn, agent.token) as submitter, committed_db.connect() as admin, \
            committed_db.connect(autocommit=False) as hand:
        _cycle(client, "k", 2)
        thread, out, drawn = submit_stuck_after_drawing_its_id(committed_db, admin, hand, client, submitter, "race")
        try:
            later = _cycle(client, "k", LAG + 4)
            assert min(later) > drawn
            assert _floor(admin, agent.tenant_id, "k") > drawn  # moved past the id in flight
        finally:
            hand.rollback()
            thread.join()
        assert out.get("result") == drawn, out
        claim = client.claim_task(["k"])
        assert (claim.code, claim.task_id) == ("claimed", drawn)


def test_claims_racing_submits_under_a_held_snapshot_take_every_task_once(committed_db) -> None:
    # Real concurrency: submitters (some in transactions that commit after later ids) and
    # claimers at the default lag, while a snapshot is held; every task is claimed exactly once
    # and none is left ready below its floor.
    with committed_db.connect() as admin:
        agents = [make_principal(admin, f"w{i}", tenant="floor-lag-stress") for i in range(4)]
    per_submitter, batch = 60, 3
    with committed_db.connect(autocommit=False) as report, committed_db.connect() as admin:
        with Client(committed_db.client_dsn, agents[0].token) as first:
            _cycle(first, "k", 2)
        report.execute("set transaction isolation level repeatable read")
        report.execute("select count(*) from coord.tasks").fetchone()
        submitted: list[int] = []
        claimed: list[int] = []
        stop = {"submitting": 2}

        def submit(agent) -> None:
            with Client(committed_db.client_dsn, agent.token) as c:
                for i in range(per_submitter // batch):
                    with c.connection.transaction():  # ids drawn first, committed together
                        ids = [c.submit_task("k").task_id for _ in range(batch)]
                        if i % 2:
                            c.claim_task(["other"])  # a little more time between draw and commit
                    submitted.extend(ids)
            stop["submitting"] -= 1

        def claim(agent) -> None:
            with Client(committed_db.client_dsn, agent.token) as c:
                idle = 0
                while idle < 3:
                    r = c.claim_task(["k"])
                    if r.code == "claimed":
                        claimed.append(r.task_id)
                        c.complete_task(r.task_id, r.claim)
                        idle = 0
                    elif stop["submitting"] == 0:
                        idle += 1
        threads = [in_thread(lambda a=a: submit(a)) for a in agents[:2]]
        threads += [in_thread(lambda a=a: claim(a)) for a in agents[2:]]
        for thread, out in threads:
            thread.join()
            assert "error" not in out, out
        report.rollback()
        assert len(submitted) == 2 * per_submitter
        assert sorted(claimed) == sorted(submitted)
        left = admin.execute("select count(*) from coord.tasks where tenant_id = %s and kind = 'k' "
                             "and state = 'queued'", (agents[0].tenant_id,)).fetchone()[0]
        assert left == 0
