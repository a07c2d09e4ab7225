"""What the Hypothesis state machines over real connections share (tests/test_*_state_machine.py):
clients of a tenant on a committed database, calls raced on their own connections, and runs that
go on until they reached the outcomes their invariants speak about."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import psycopg
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, run_state_machine_as_test

from coordinator.client import Client
from tests.conftest import Database, make_principal

T = TypeVar("T")

# The approval and action machines' cast: requesters r0, r1 and boss (a trust-4 agent, which
# approves others and may not approve itself), and two racing operators.
APPROVAL_CAST: dict[str, dict[str, Any]] = {"r0": {}, "r1": {}, "boss": {}, "op1": {"role": "operator"},
                                            "op2": {"role": "operator"}}


@contextmanager
def machine_clients(database: Database, tenant: str,
                    cast: Mapping[str, Mapping[str, Any]]) -> Iterator[tuple[psycopg.Connection, dict[str, Client]]]:
    """A superuser connection (autocommit) and a client per principal of cast (name -> the
    keyword arguments of make_principal) in tenant. Clients the test adds to the dict are
    closed with the others."""
    admin = psycopg.connect(database.admin_dsn, autocommit=True)
    clients: dict[str, Client] = {}
    try:
        for name, options in cast.items():
            clients[name] = Client(database.client_dsn, make_principal(admin, name, tenant=tenant, **options).token)
        yield admin, clients
    finally:
        for client in clients.values():
            client.close()
        admin.close()


@contextmanager
def approval_clients(database: Database, tenant: str) -> Iterator[tuple[psycopg.Connection, dict[str, Client]]]:
    """machine_clients of APPROVAL_CAST, boss at trust 4 (its own profile)."""
    with machine_clients(database, tenant, APPROVAL_CAST) as (admin, clients):
        op1 = clients["op1"]
        assert op1.create_profile("approver", 4).ok and op1.assign_profile("boss", "approver").ok
        yield admin, clients


def race(clients: Mapping[str, Client], calls: Sequence[tuple[str, Callable[[Client], T]]]) -> dict[str, T]:
    """Each call with its named client on a thread of its own, let go at once (a barrier): the
    results by name. An exception in any call fails the step."""
    barrier = threading.Barrier(len(calls))
    results: dict[str, T] = {}
    failures: list[BaseException] = []

    def run(name: str, call: Callable[[Client], T]) -> None:
        try:
            client = clients[name]
            barrier.wait()
            results[name] = call(client)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=run, args=pair) for pair in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures
    return results


class WorldMachine(RuleBasedStateMachine):
    """A machine whose world (set by the test) has admin (a superuser connection), steps (the
    steps taken, for run_until_reached), ids (the rows the rules made, to pick from), seen
    (the state each row was last seen in) and reached (the states and codes met)."""

    world: Any
    audit_mark: int

    def _reset(self, *tables: str) -> None:
        """An example starts from empty tables, the test clock at rest, and the audit events
        after audit_mark are its own."""
        admin = self.world.admin
        for table in tables:
            admin.execute(f"delete from {table}")  # test-owned names
        admin.execute("update coord.clock set offset_by = interval '0'")
        self.audit_mark = admin.execute("select coalesce(max(id), 0) from audit.events").fetchone()[0]
        self.world.ids.clear()
        self.world.seen.clear()

    def _step(self) -> None:
        self.world.steps += 1

    def _time_passes(self, by: str, sweep: bool, sweeper: str = "op1") -> None:
        """The test clock moves on by; with sweep, an operator's coord maintain runs."""
        self._step()
        self.world.admin.execute("update coord.clock set offset_by = offset_by + %s::interval", (by,))
        if sweep:
            result = self.world.clients[sweeper].maintain()
            assert result.ok, result

    def _states_move_only_forward(self, rows: str, initial: str, terminal: set[str],
                                  legal: Mapping[str, set[str]]) -> None:
        """Each (id, state) of the rows query moved from the state seen last (initial for a new
        row) along legal, never out of terminal; the states are noted as reached."""
        w = self.world
        for row, state in w.admin.execute(rows):
            previous = w.seen.get(row, initial)
            if previous != state:
                assert previous not in terminal, f"{row}: {previous} -> {state} left a terminal state"
                assert state in legal[previous], f"{row}: {previous} -> {state}"
            w.seen[row] = state
            w.reached.add(state)

    def _pick(self, pick: int) -> int | None:
        ids = self.world.ids
        return ids[pick % len(ids)] if ids else None


def run_machine(machine: type[RuleBasedStateMachine], max_examples: int, step_count: int) -> None:
    """One Hypothesis run of machine: random (not derandomized), no deadline (real connections
    under load), no health checks (the world is shared across examples on purpose)."""
    run_state_machine_as_test(machine, settings=settings(
        max_examples=max_examples, stateful_step_count=step_count, deadline=None, derandomize=False,
        suppress_health_check=list(HealthCheck)))


def run_until_reached(machine: type[RuleBasedStateMachine], steps: Callable[[], int], minimum: int,
                      max_examples: int, step_count: int, wanted: frozenset[str] = frozenset(),
                      reached: Callable[[], set[str]] = set) -> None:
    """Runs of machine until it took at least minimum steps, and more (up to four times as
    many) while an outcome in wanted is still missing from reached(), since a random run can
    miss a rare one. The caller asserts what was reached."""
    while steps() < minimum or (wanted - reached() and steps() < 4 * minimum):
        run_machine(machine, max_examples, step_count)
