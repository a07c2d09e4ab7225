"""Third attack on the claim floor, after a claim of one kind stopped moving it on every claim: it
now looks its kind's floor up itself, scans from it, and only after the scan (round 1, before it
changes a task) calls coord.advance_task_floor, and only when the floor lags the scan's first
candidate (none: the last id given out) by more than coord.task_floor_lag ids (default 32).
These tests run at the default lag unless they set it; ids are burnt with nextval to make the
floor lag without claiming anything."""

from __future__ import annotations

import itertools
import re

import psycopg
import pytest
from psycopg import sql

from coordinator.client import Client
from coordinator.errors import CoordError
from tests.conftest import advance_clock, in_thread, make_principal, wait_for_backend
from tests.test_task_floor import _cycle, _floor
from tests.test_task_floor_lag import submit_stuck_after_drawing_its_id

LAG = 32  # coord.task_floor_lag's default


def _burn(admin: psycopg.Connection, n: int = LAG + 8) -> None:
    """Give out n task ids that no task takes: the next task lies more than the lag above the floor."""
    admin.execute("select nextval('coord.tasks_id_seq') from generate_series(1, %s)", (n,)).fetchall()


def _ready(admin: psycopg.Connection, tenant_id, kind: str) -> list[int]:
    return [r[0] for r in admin.execute(
        "select id from coord.tasks where tenant_id = %s and kind = %s and state = 'queued' and pending_deps = 0 "
        "order by id", (tenant_id, kind)).fetchall()]


def _floor_below_ready(admin: psycopg.Connection, tenant_id, kind: str) -> None:
    ready = _ready(admin, tenant_id, kind)
    floor = _floor(admin, tenant_id, kind) or 0
    assert not ready or floor <= ready[0], (floor, ready)


ODD_LAGS = ["-1", " 5", "5 ", "+5", "5\n", "1e3", "0x10", "", "abc", "\u0663", "5.0",
            "0", "00", "7", "999999999999999999", "9223372036854775807", "99999999999999999999"]


def _effective_lag(value: str) -> int | None:
    """What the claim reads: 1-18 ASCII digits, else the default (None: larger than any lag here)."""
    if re.fullmatch(r"[0-9]{1,18}", value):
        return int(value) if int(value) < 10_000 else None
    return LAG


def test_odd_lag_values_never_error_skip_a_task_or_move_the_floor_past_one(committed_db) -> None:
    # A client-settable parameter: every value must leave claims working and the floor below
    # every ready task, and only 1-18 ASCII digits change when the claim tries the move (a
    # trailing newline, a sign, an exponent, a non-ASCII digit: the default).
    with committed_db.connect() as admin:
        agent = make_principal(admin, "odd", tenant="floor-odd-lag")
    with Client(committed_db.client_dsn, agent.token) as client, committed_db.connect() as admin:
        _cycle(client, "k", 2)
        for value in ODD_LAGS:
            client.connection.execute("select set_config('coord.task_floor_lag', %s, false)", (value,))
            pinned = client.submit_task("k", priority=-1).task_id  # an old ready task the claims pass over
            floors = []
            for _ in range(36):
                task = client.submit_task("k", priority=1).task_id
                claim = client.claim_task(["k"])
                assert (claim.code, claim.task_id) == ("claimed", task), (value, claim)
                client.complete_task(claim.task_id, claim.claim)
                floors.append(_floor(admin, agent.tenant_id, "k"))
                assert floors[-1] <= pinned, (value, floors[-1], pinned)
            claim = client.claim_task(["k"])
            assert (claim.code, claim.task_id) == ("claimed", pinned), value
            client.complete_task(claim.task_id, claim.claim)
            # Now the only task each time: the floor follows at the lag the claim read.
            floors = []
            for _ in range(36):
                done = _cycle(client, "k", 1)
                floors.append(_floor(admin, agent.tenant_id, "k"))
                lag = _effective_lag(value)
                if lag is not None:
                    assert 0 <= done[0] - floors[-1] <= lag, (value, done[0], floors[-1])
                else:
                    assert floors[-1] <= done[0], value
            moves = sum(1 for a, b in itertools.pairwise(floors) if a != b)
            lag = _effective_lag(value)
            if lag is None:
                assert moves == 0, (value, floors)
            else:
                assert moves <= len(floors) // (lag + 1) + 1, (value, moves, floors)


def test_a_claim_that_moves_the_floor_and_rolls_back_leaves_its_task_at_or_above_it(committed_db) -> None:
    # The move now runs after the scan has locked the candidates (FOR UPDATE, not changed): it
    # must read them as ready, so a rollback leaves them where the floor finds them.
    with committed_db.connect() as admin:
        agent = make_principal(admin, "undo3", tenant="floor-undo-3")
    with Client(committed_db.client_dsn, agent.token) as client, committed_db.connect() as admin:
        _cycle(client, "k", 2)
        before = _floor(admin, agent.tenant_id, "k")
        _burn(admin)
        tasks = [client.submit_task("k").task_id for _ in range(3)]
        client.connection.execute("begin")
        claims = client.claim_tasks(["k"], limit=2)
        assert [c.task_id for c in claims] == tasks[:2]
        assert _floor(admin, agent.tenant_id, "k") == tasks[0] > before  # moved, to its own first candidate
        client.connection.execute("rollback")
        assert _floor(admin, agent.tenant_id, "k") == tasks[0]
        assert [client.claim_task(["k"]).task_id for _ in range(3)] == tasks


def test_a_claim_moving_the_floor_reads_another_claims_uncommitted_task_as_ready(committed_db) -> None:
    with committed_db.connect() as admin:
        agent = make_principal(admin, "mover", tenant="floor-held-3")
        other = make_principal(admin, "holder", tenant="floor-held-3")
    with Client(committed_db.client_dsn, agent.token) as client, \
            Client(committed_db.client_dsn, other.token) as holder, committed_db.connect() as admin:
        _cycle(client, "k", 2)
        held = client.submit_task("k").task_id
        holder.connection.execute("begin")
        assert holder.claim_task(["k"]).task_id == held  # claimed, not committed
        _burn(admin)
        later = [client.submit_task("k").task_id for _ in range(2)]
        assert client.claim_task(["k"]).task_id == later[0]  # lags by more than 32: tries the move
        assert _floor(admin, agent.tenant_id, "k") <= held
        holder.connection.execute("rollback")
        assert [client.claim_task(["k"]).task_id for _ in range(2)] == [held, later[1]]


def test_a_sweep_requeueing_below_a_lagging_floor_while_claims_run_is_claimed(committed_db) -> None:
    with committed_db.connect() as admin:
        agent = make_principal(admin, "swept", tenant="floor-sweep-3")
    with Client(committed_db.client_dsn, agent.token) as client, committed_db.connect() as admin, \
            committed_db.connect(autocommit=False) as sweeper:
        _cycle(client, "k", 2)
        expired = client.submit_task("k").task_id
        assert client.claim_task(["k"], lease="1 minute").task_id == expired
        _burn(admin)
        _cycle(client, "k", 3)
        assert _floor(admin, agent.tenant_id, "k") > expired
        advance_clock(admin, "10 minutes")
        # The sweep requeues it in a transaction left open: the reset is immediate (setval), the
        # task is not ready to others yet, and claims that try the move meanwhile fail the try-lock.
        sweeper.execute("select coord.sweep(%s, 100, false)", (agent.tenant_id,)).fetchall()
        assert sweeper.execute("select state from coord.tasks where id = %s", (expired,)).fetchone()[0] == "queued"
        _burn(admin)
        for task in _cycle(client, "k", 3):
            assert task != expired
        assert (_floor(admin, agent.tenant_id, "k") or 0) <= expired
        sweeper.commit()
        advance_clock(admin, "2 hours")  # past its backoff
        claim = client.claim_task(["k"])
        assert (claim.code, claim.task_id) == ("claimed", expired)


def test_a_task_skipped_for_busy_leases_in_the_round_that_moves_the_floor_stays_above_it(committed_db) -> None:
    # Round 1 tries the task's leases before the move; a task skipped there stays queued and the
    # move must read it as ready (round 2 then scans from the moved floor for the next one).
    with committed_db.connect() as admin:
        agent = make_principal(admin, "leases", tenant="floor-leases-3")
        other = make_principal(admin, "holder", tenant="floor-leases-3")
    with Client(committed_db.client_dsn, agent.token) as client, \
            Client(committed_db.client_dsn, other.token) as holder, committed_db.connect() as admin:
        _cycle(client, "edit", 2)
        _burn(admin)
        blocked = client.submit_task("edit", locks=["docs/"]).task_id
        free = client.submit_task("edit").task_id
        held = holder.acquire_lock("docs/readme.md")
        claim = client.claim_task(["edit"])
        assert claim.task_id == free
        assert _floor(admin, agent.tenant_id, "edit") == blocked  # moved, to the skipped task
        holder.release_lock("docs/readme.md", held.fence)
        claim = client.claim_task(["edit"])
        assert (claim.code, claim.task_id) == ("claimed", blocked)


def test_a_retry_and_a_run_after_waiting_below_claims_that_pass_them_are_claimed_when_due(committed_db) -> None:
    # A queued task waiting on its run_after is not a candidate, but it is ready for the floor:
    # nothing resets the floor when its time comes, so no move may pass it.
    with committed_db.connect() as admin:
        agent = make_principal(admin, "later", tenant="floor-due-3")
    with Client(committed_db.client_dsn, agent.token) as client, committed_db.connect() as admin:
        _cycle(client, "k", 2)
        retried = client.submit_task("k").task_id
        claim = client.claim_task(["k"])
        assert claim.task_id == retried
        client.fail_task(retried, claim.claim, "again")  # queued, run_after in the future
        due = admin.execute("select coord.now() + interval '1 hour'").fetchone()[0]
        scheduled = client.submit_task("k", run_after=due).task_id
        for _ in range(3):
            _burn(admin)
            done = _cycle(client, "k", 2)
            assert retried not in done and scheduled not in done
            assert (_floor(admin, agent.tenant_id, "k") or 0) <= retried
        advance_clock(admin, "3 hours")
        claims = [client.claim_task(["k"]) for _ in range(3)]
        assert [c.task_id for c in claims[:2]] == [retried, scheduled]
        assert claims[2].code == "empty"


def test_a_dependency_completed_in_an_open_transaction_while_claims_move_the_floor_is_claimed(committed_db) -> None:
    with committed_db.connect() as admin:
        agent = make_principal(admin, "deps", tenant="floor-deps-3")
        finisher = make_principal(admin, "finisher", tenant="floor-deps-3")
    with Client(committed_db.client_dsn, agent.token) as client, \
            Client(committed_db.client_dsn, finisher.token) as completer, committed_db.connect() as admin:
        _cycle(client, "k", 2)
        parent = client.submit_task("parent").task_id
        child = client.submit_task("k", depends_on=[parent]).task_id
        _burn(admin)
        _cycle(client, "k", 2)
        assert _floor(admin, agent.tenant_id, "k") > child  # not ready: the floor passes it
        claim = completer.claim_task(["parent"])
        completer.connection.execute("begin")
        completer.complete_task(parent, claim.claim)  # child ready, not committed
        _burn(admin)
        for task in _cycle(client, "k", 2):
            assert task != child
        assert (_floor(admin, agent.tenant_id, "k") or 0) <= child
        completer.connection.execute("commit")
        claim = client.claim_task(["k"])
        assert (claim.code, claim.task_id) == ("claimed", child)


def test_a_cancelled_blocker_makes_nothing_ready_and_leaves_the_floor_where_claims_put_it(committed_db) -> None:
    with committed_db.connect() as admin:
        agent = make_principal(admin, "blocked", tenant="floor-cancel-3")
    with Client(committed_db.client_dsn, agent.token) as client, committed_db.connect() as admin:
        _cycle(client, "k", 2)
        blocker = client.submit_task("parent").task_id
        child = client.submit_task("k", depends_on=[blocker]).task_id
        _burn(admin)
        _cycle(client, "k", 1)
        client.cancel_task(blocker)
        state = admin.execute("select state from coord.tasks where id = %s", (child,)).fetchone()[0]
        assert state == "cancelled"
        assert client.claim_task(["k"]).code == "empty"


def test_a_low_priority_task_below_many_high_priority_claims_keeps_the_floor_below_it(committed_db) -> None:
    with committed_db.connect() as admin:
        agent = make_principal(admin, "prio", tenant="floor-prio-3")
    with Client(committed_db.client_dsn, agent.token) as client, committed_db.connect() as admin:
        _cycle(client, "k", 2)
        low = client.submit_task("k", priority=-5).task_id
        high = client.submit_task("k", priority=5).task_id  # a higher one above it, older than the rest
        _burn(admin)
        got = []
        for _ in range(3 * LAG):
            client.submit_task("k", priority=5)
            claim = client.claim_task(["k"])
            client.complete_task(claim.task_id, claim.claim)
            got.append(claim.task_id)
            assert _floor(admin, agent.tenant_id, "k") <= low
        assert got[0] == high and low not in got
        last = client.claim_task(["k"])
        assert last.task_id > got[-1]  # the one submitted last
        assert client.claim_task(["k"]).task_id == low


def _advance_calls_per_claim(committed_db, tenant: str, lag: str | None, claims: int) -> tuple[list[int], int, int]:
    """A low-priority ready task, then claims of newer high-priority ones, each counted: how many
    times each claim called coord.advance_task_floor (track_functions), the pinned task, the floor."""
    with committed_db.connect() as admin:
        agent = make_principal(admin, "counted", tenant=tenant)
        admin.execute(sql.SQL("alter database {} set track_functions = 'pl'").format(sql.Identifier(committed_db.name)))
        advance = admin.execute(
            "select 'coord.advance_task_floor(uuid,text,regclass)'::regprocedure::oid").fetchone()[0]
    with Client(committed_db.client_dsn, agent.token) as client, committed_db.connect() as admin:
        if lag is not None:
            client.connection.execute("select set_config('coord.task_floor_lag', %s, false)", (lag,))
        _cycle(client, "k", 2)
        low = client.submit_task("k", priority=-5).task_id
        calls = []

        def counted(oid: int) -> int:
            row = client.connection.execute("select pg_stat_get_xact_function_calls(%s)", (oid,)).fetchone()
            return int(row[0] or 0)

        for _ in range(claims):
            client.submit_task("k", priority=5)
            with client.connection.transaction():  # counts not yet flushed, read before and after
                before = counted(advance)
                claim = client.claim_task(["k"])
                calls.append(counted(advance) - before)
            assert claim.code == "claimed" and claim.task_id != low
            client.complete_task(claim.task_id, claim.claim)
        return calls, low, _floor(admin, agent.tenant_id, "k")


def test_at_lag_zero_every_claim_of_one_kind_tries_the_move(committed_db) -> None:
    # The counting the next test relies on: with the lag at 0 each claim calls the move once.
    calls, low, floor = _advance_calls_per_claim(committed_db, "floor-counted-0", "0", 20)
    assert calls == [1] * 20, calls
    assert floor == low


def test_a_floor_held_down_by_a_passed_over_task_never_passes_it_and_costs_one_try_a_claim(committed_db) -> None:
    # A ready task the claims pass over (a lower priority) holds the floor at its id: once the
    # claims' first candidates lie more than the lag above it, every claim tries the move (as
    # every claim did before the lag; docs/architecture.md says so) and the floor stays at it.
    claims = 4 * LAG
    calls, low, floor = _advance_calls_per_claim(committed_db, "floor-pinned-3", None, claims)
    assert floor <= low
    assert all(c <= 1 for c in calls), calls
    assert calls[-LAG:] == [1] * LAG, calls


@pytest.mark.parametrize("isolation", ["repeatable read", "serializable"])
def test_claims_outside_read_committed_are_refused_and_a_sweep_there_resets_the_floor(committed_db, isolation) -> None:
    # The floor is moved only in read committed; an api claim in an older snapshot is refused
    # outright (CO213), writes nothing and leaves the floor. Internal callers may run there: a
    # sweep requeueing in such a transaction resets every floor of the pool above its task.
    with committed_db.connect() as admin:
        agent = make_principal(admin, "iso", tenant="floor-iso-3")
    with Client(committed_db.client_dsn, agent.token) as client, committed_db.connect() as admin, \
            committed_db.connect(autocommit=False) as hand:
        _cycle(client, "k", 2)
        _burn(admin)
        tasks = [client.submit_task("k").task_id for _ in range(2)]
        floor = _floor(admin, agent.tenant_id, "k")
        for statement in (f"begin isolation level {isolation}",
                          f"set session characteristics as transaction isolation level {isolation}"):
            client.connection.execute(statement)
            with pytest.raises(CoordError) as refused:
                client.claim_task(["k"])
            assert refused.value.code == "CO213"
            client.connection.execute("rollback")
            client.connection.execute("set session characteristics as transaction isolation level read committed")
        assert _floor(admin, agent.tenant_id, "k") == floor < tasks[0]  # lagging, left where it was
        claims = [client.claim_task(["k"])]
        assert claims[0].task_id == tasks[0]  # read committed: moved
        assert _floor(admin, agent.tenant_id, "k") == tasks[0]
        claims.append(client.claim_task(["k"]))
        assert claims[1].task_id == tasks[1]
        for claim in claims:
            client.complete_task(claim.task_id, claim.claim)
        late = client.submit_task("k").task_id
        assert client.claim_task(["k"], lease="1 minute").task_id == late
        _burn(admin)
        _cycle(client, "k", 2)
        assert _floor(admin, agent.tenant_id, "k") > late
        # Its claim expires and a sweep in such a transaction requeues it: every floor of the
        # pool above it is reset.
        advance_clock(admin, "10 minutes")
        hand.execute(f"set transaction isolation level {isolation}")
        hand.execute("select coord.sweep(%s, 100, false)", (agent.tenant_id,)).fetchall()
        hand.commit()
        assert (_floor(admin, agent.tenant_id, "k") or 0) <= late
        advance_clock(admin, "2 hours")
        assert client.claim_task(["k"]).task_id == late


def test_tenants_and_kinds_whose_ids_interleave_keep_their_own_floors(committed_db) -> None:
    with committed_db.connect() as admin:
        a = make_principal(admin, "a", tenant="floor-mix-a")
        b = make_principal(admin, "b", tenant="floor-mix-b")
    with Client(committed_db.client_dsn, a.token) as ca, Client(committed_db.client_dsn, b.token) as cb, \
            committed_db.connect() as admin:
        for c in (ca, cb):
            _cycle(c, "k", 2)
            _cycle(c, "j", 2)
        # Old tasks of each (tenant, kind) left ready while the others run far ahead.
        old = {("a", "k"): ca.submit_task("k", priority=-1).task_id,
               ("b", "k"): cb.submit_task("k", priority=-1).task_id,
               ("a", "j"): ca.submit_task("j", priority=-1).task_id}
        for i in range(3 * LAG):
            client, kind = [(ca, "k"), (cb, "k"), (ca, "j")][i % 3]
            task = client.submit_task(kind).task_id
            claim = client.claim_task([kind])
            assert claim.task_id == task
            client.complete_task(claim.task_id, claim.claim)
        for (who, kind), task in old.items():
            principal, client = (a, ca) if who == "a" else (b, cb)
            _floor_below_ready(admin, principal.tenant_id, kind)
            assert client.claim_task([kind]).task_id == task
            assert client.claim_task([kind]).code == "empty"


def test_batch_and_multi_kind_claims_take_tasks_in_order_below_a_lagging_floor(committed_db) -> None:
    with committed_db.connect() as admin:
        agent = make_principal(admin, "batch3", tenant="floor-batch-3")
    with Client(committed_db.client_dsn, agent.token) as client, committed_db.connect() as admin:
        _cycle(client, "k", 2)
        _cycle(client, "j", 2)
        tasks = []
        _burn(admin)
        for _ in range(4):
            _burn(admin, 11)
            tasks += [client.submit_task("k").task_id for _ in range(5)]
        floor = _floor(admin, agent.tenant_id, "k")
        # Several kinds: no floor is read or moved.
        assert [c.task_id for c in client.claim_tasks(["j", "k"], limit=3)] == tasks[:3]
        assert _floor(admin, agent.tenant_id, "k") == floor
        # The same kind twice is one kind: its floor is used and moved.
        assert [c.task_id for c in client.claim_tasks(["k", "k"], limit=3)] == tasks[3:6]
        assert _floor(admin, agent.tenant_id, "k") == tasks[3]
        got = []
        while (batch := client.claim_tasks(["k"], limit=4))[0].code == "claimed":
            got += [c.task_id for c in batch]
            _floor_below_ready(admin, agent.tenant_id, "k")
        assert got == tasks[6:]


def test_a_waiting_claimer_gets_a_task_submitted_below_a_lagging_floor(committed_db) -> None:
    with committed_db.connect() as admin:
        agent = make_principal(admin, "waiter", tenant="floor-wait-3")
        other = make_principal(admin, "submitter", tenant="floor-wait-3")
    with Client(committed_db.client_dsn, agent.token) as waiter, \
            Client(committed_db.client_dsn, other.token) as submitter, committed_db.connect() as admin, \
            committed_db.connect(autocommit=False) as hand:
        _cycle(submitter, "k", 2)
        thread, out, drawn = submit_stuck_after_drawing_its_id(committed_db, admin, hand, submitter, submitter,
                                                               "wait-race")
        _burn(admin)
        channel = admin.execute("select task_channel from coord.tenants where id = %s",
                                (agent.tenant_id,)).fetchone()[0]
        waiter.connection.execute(f'LISTEN "{channel}"')  # a claimer that waits listens first
        for _ in range(3):  # empty claims and waits past the lag: the floor moves past the drawn id
            assert waiter.claim_or_wait(["k"]).code == "empty"
        assert admin.execute("select count(*) from pg_locks where pid = %s and locktype = 'advisory' "
                             "and mode = 'ShareLock'", (waiter.connection.info.backend_pid,)).fetchone()[0] == 1
        assert _floor(admin, agent.tenant_id, "k") > drawn
        waiter.connection.execute("select 1")  # the wait below is recognised by its own claim_or_wait
        waited, result = in_thread(lambda: waiter.wait_for_task(["k"], wait=60, recheck=60))
        wait_for_backend(committed_db, waiter.connection.info.backend_pid,
                         "state = 'idle' and query like '%claim_or_wait%'")
        hand.rollback()
        thread.join()
        assert out.get("result") == drawn, out
        waited.join()
        claim = result.get("result")
        assert claim is not None and (claim.code, claim.task_id) == ("claimed", drawn), result


def test_claims_at_mixed_lags_racing_submits_retries_and_sweeps_take_every_task_once(committed_db) -> None:
    # Real concurrency: claimers at lag 0, the default and never, a submitter whose batches
    # commit after later ids, retries and expired claims going back; every task ends completed
    # once and none is left ready below its floor.
    with committed_db.connect() as admin:
        agents = [make_principal(admin, f"m{i}", tenant="floor-mixed-3") for i in range(4)]
    with Client(committed_db.client_dsn, agents[0].token) as first:
        _cycle(first, "k", 2)
    completed: list[int] = []
    submitted: list[int] = []
    state = {"submitting": True}

    def submit() -> None:
        with Client(committed_db.client_dsn, agents[0].token) as c:
            for i in range(30):
                with c.connection.transaction():
                    ids = [c.submit_task("k", priority=i % 3).task_id for _ in range(3)]
                    if i % 2:
                        c.claim_task(["other"])
                submitted.extend(ids)
        state["submitting"] = False

    def claim(agent, lag: str) -> None:
        with Client(committed_db.client_dsn, agent.token) as c:
            c.connection.execute("select set_config('coord.task_floor_lag', %s, false)", (lag,))
            idle = 0
            n = 0
            while idle < 3:
                r = c.claim_task(["k"])
                if r.code != "claimed":
                    if not state["submitting"]:
                        idle += 1
                    continue
                idle = 0
                n += 1
                if n % 7 == 0 and r.attempt == 1:
                    c.fail_task(r.task_id, r.claim, "retry me")  # back with a backoff
                else:
                    c.complete_task(r.task_id, r.claim)
                    completed.append(r.task_id)

    threads = [in_thread(submit)]
    threads += [in_thread(lambda a=a, lag=lag: claim(a, lag)) for a, lag in zip(agents[1:], ["0", "", "999999"],
                                                                                   strict=True)]
    for thread, out in threads:
        thread.join()
        assert "error" not in out, out
    with committed_db.connect() as admin, Client(committed_db.client_dsn, agents[1].token) as c:
        advance_clock(admin, "3 hours")  # the retries' backoffs pass
        _floor_below_ready(admin, agents[0].tenant_id, "k")
        while (r := c.claim_task(["k"])).code == "claimed":
            c.complete_task(r.task_id, r.claim)
            completed.append(r.task_id)
        assert sorted(completed) == sorted(submitted)
        left = admin.execute("select count(*) from coord.tasks where tenant_id = %s and kind = 'k' "
                             "and state <> 'completed'", (agents[0].tenant_id,)).fetchone()[0]
        assert left == 0


def test_a_floor_taken_in_an_open_transaction_is_not_moved_before_the_take_commits(committed_db) -> None:
    # A kind's floor is not used by the claim that takes it: task_became_ready cannot see a row
    # that is not committed. A second claim in the same transaction sees its own row; it must not
    # move it (the transaction changed no task, the first claim was empty, but it wrote the floor's
    # row). A prerequisite completed by another session meanwhile makes an older task ready: its
    # check reads no floor row and resets nothing, so a floor moved before the take commits would
    # lie above a ready task (found by an attack on the lagging floor; the bug predates the lag).
    with committed_db.connect() as admin:
        agent = make_principal(admin, "opener", tenant="floor-open-take")
        finisher = make_principal(admin, "finisher", tenant="floor-open-take")
    with Client(committed_db.client_dsn, agent.token) as client, \
            Client(committed_db.client_dsn, finisher.token) as completer, committed_db.connect() as admin:
        parent = completer.submit_task("parent").task_id
        child = completer.submit_task("k", depends_on=[parent]).task_id
        client.connection.execute("begin")
        assert client.claim_task(["k"]).code == "empty"  # takes k's floor, not committed
        assert _floor(admin, agent.tenant_id, "k") is None
        _burn(admin)
        assert client.claim_task(["k"]).code == "empty"  # sees its own floor row, must not move it
        claim = completer.claim_task(["parent"])
        completer.complete_task(parent, claim.claim)  # child is ready (committed)
        client.connection.execute("commit")
        assert _ready(admin, agent.tenant_id, "k") == [child]
        floor = _floor(admin, agent.tenant_id, "k")
        claims = [client.claim_task(["k"]) for _ in range(2)]
        assert [(c.code, c.task_id) for c in claims] == [("claimed", child), ("empty", None)], (floor, child, claims)
        assert floor <= child
