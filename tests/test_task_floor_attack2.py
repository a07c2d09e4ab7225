"""Second attack on the claim floor (coord.advance_task_floor, coord.take_task_floor,
coord.task_became_ready): real connections, transactions held open at chosen points."""

from __future__ import annotations

import psycopg

from coordinator.client import Client
from tests.conftest import make_principal


def _floor(conn: psycopg.Connection, tenant_id, kind: str) -> int | None:
    row = conn.execute("select pg_sequence_last_value(floor) from coord.task_ready_floors "
                       "where tenant_id = %s and kind = %s", (tenant_id, kind)).fetchone()
    return None if row is None else row[0]


def _cycle(client: Client, kind: str, n: int) -> list[int]:
    done = []
    for _ in range(n):
        client.submit_task(kind)
        claim = client.claim_task([kind])
        assert claim.code == "claimed"
        client.complete_task(claim.task_id, claim.claim)
        done.append(claim.task_id)
    return done


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
