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
