"""Shared setup of the claimant floor tests (tests/test_claimant_floor*.py): the counts and checks
they read, the claims they make by hand, and the world most of them run in, a claimant whose
finished claims a held REPEATABLE READ snapshot keeps in the index (held_snapshot)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from coordinator.client import Client
from tests.conftest import Database, Principal, make_principal

WALK = 32  # finished claims the count walks before it moves the floor (coord.count_live_claims)


def claimant_floor(conn: psycopg.Connection, who: Principal) -> int | None:
    row = conn.execute("select floor from coord.claimant_floors where tenant_id = %s and principal_id = %s",
                       (who.tenant_id, who.principal_id)).fetchone()
    return None if row is None else row[0]


def live_claims(conn: psycopg.Connection, who: Principal) -> int:
    """The live claims, counted from the front (no floor)."""
    return conn.execute("select count(*) from coord.tasks where tenant_id = %s and claimed_by = %s "
                        "and state = 'claimed' and lease_expires_at > coord.clock_now()",
                        (who.tenant_id, who.principal_id)).fetchone()[0]


def counted_claims(conn: psycopg.Connection, who: Principal) -> int:
    """What the claim counts (from the floor; it may move the floor as a claim would)."""
    return conn.execute("select coord.count_live_claims(%s, %s, coord.clock_now())",
                        (who.tenant_id, who.principal_id)).fetchone()[0]


def check_count(conn: psycopg.Connection, who: Principal) -> int:
    """The count is exact and no claimed task of who lies below its floor."""
    lowest = conn.execute("select min(claim) from coord.tasks where tenant_id = %s and claimed_by = %s "
                          "and state = 'claimed'", (who.tenant_id, who.principal_id)).fetchone()[0]
    floor = claimant_floor(conn, who)  # no row: the count starts at the smallest token
    assert lowest is None or floor is None or floor <= lowest, (lowest, floor)
    live = live_claims(conn, who)
    assert counted_claims(conn, who) == live
    return live


def cycle(client: Client, n: int, kind: str = "k") -> None:
    """n tasks submitted, claimed and completed one by one (each call its own transaction)."""
    for _ in range(n):
        client.submit_task(kind)
        claim = client.claim_task([kind])
        assert claim.code == "claimed", claim
        assert client.complete_task(claim.task_id, claim.claim).code == "completed"


def hold_snapshot(conn: psycopg.Connection) -> None:
    conn.execute("set transaction isolation level repeatable read")
    conn.execute("select count(*) from coord.tasks").fetchone()


def set_limit(conn: psycopg.Connection, who: Principal, limit: int) -> None:
    conn.execute("update coord.profiles set max_concurrent_tasks = %s where tenant_id = %s", (limit, who.tenant_id))


def claim_by_hand(conn: psycopg.Connection, task_id: int, who: Principal, claim: int | str) -> None:
    """A superuser's UPDATE into claimed, bypassing coord.claim_tasks_as (the trigger still runs)."""
    conn.execute(f"update coord.tasks set state = 'claimed', claim = {claim}, claimed_by = %s, "
                 "claimed_at = coord.clock_now(), lease_expires_at = coord.clock_now() + interval '1 hour', "
                 "attempts = attempts + 1 where id = %s", (who.principal_id, task_id))


def burn(admin: psycopg.Connection, client: Client, agent: Principal) -> None:
    """WALK claims of the claimant made and finished by hand: dead entries the next count walks."""
    ids = [r.task_id for r in client.submit_tasks([{"kind": "burn"}] * WALK)]
    admin.execute("update coord.tasks set state = 'claimed', claim = nextval('coord.lock_fence_seq'), claimed_by = %s, "
                  "claimed_at = coord.clock_now(), lease_expires_at = coord.clock_now() + interval '1 hour', "
                  "attempts = 1 where id = any (%s)", (agent.principal_id, ids))
    admin.execute("update coord.tasks set state = 'completed', result = '{}', finished_at = coord.clock_now(), "
                  "lease_expires_at = null where id = any (%s)", (ids,))


@contextmanager
def held_snapshot(committed_db: Database, name: str, tenant: str, *, limit: int | None = None,
                  clients: int = 1) -> Iterator[tuple[Principal, list[Client], psycopg.Connection]]:
    """A claimant (name in tenant, max_concurrent_tasks limit when given), clients connections of
    its own, and an admin connection, while another connection holds a REPEATABLE READ snapshot
    from the start (the entries of every claim finished meanwhile stay in the index). Yields
    (claimant, clients, admin); the snapshot is let go and every connection closed after."""
    with committed_db.connect() as admin:
        agent = make_principal(admin, name, tenant=tenant)
        if limit is not None:
            set_limit(admin, agent, limit)
    opened = [Client(committed_db.client_dsn, agent.token) for _ in range(clients)]
    try:
        with committed_db.connect(autocommit=False) as report, committed_db.connect() as admin:
            hold_snapshot(report)
            yield agent, opened, admin
            report.rollback()
    finally:
        for client in opened:
            client.close()
