"""docs/operations.md, "Claim floors after a restore or a load": tasks loaded into coord.tasks with
its triggers disabled lie below the floors (the claim floor of their kind, the claimant floor of
their claimant), and the page's statements put both floors back below them."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest

from coordinator.client import Client
from tests.claimant_floors import set_limit
from tests.conftest import make_principal
from tests.test_task_floor import _cycle, _floor

# Every claim of one kind tries to move the claim floor (coord.task_floor_lag = 0): these tests
# check what keeps a moving floor safe. The default lag is tests/test_task_floor_lag.py's.
pytestmark = pytest.mark.usefixtures("eager_task_floor")

OPERATIONS = Path(__file__).resolve().parent.parent / "docs" / "operations.md"


def _reset_statements() -> list[str]:
    """The SQL block of the section, statement by statement, as an operator would paste it."""
    text = OPERATIONS.read_text()
    section = text[text.index("### Claim floors after a restore or a load"):]
    block = re.search(r"```sql\n(.*?)```", section, re.S)
    assert block is not None
    statements = [s.strip() for s in block.group(1).split(";") if s.strip()]
    assert len(statements) == 2, statements
    return statements


def _load_without_triggers(admin: psycopg.Connection, statement: str, params: tuple) -> None:
    with admin.transaction():
        admin.execute("alter table coord.tasks disable trigger all")
        admin.execute(statement, params)
        admin.execute("alter table coord.tasks enable trigger all")


def test_the_documented_reset_brings_the_floors_below_tasks_loaded_without_triggers(committed_db) -> None:
    with committed_db.connect() as admin:
        queued = make_principal(admin, "loader", tenant="floor-reset-kind")
        claimer = make_principal(admin, "holder", tenant="floor-reset-claimant")
        set_limit(admin, claimer, 1)
    with Client(committed_db.client_dsn, queued.token) as client, \
            Client(committed_db.client_dsn, claimer.token) as holder, committed_db.connect() as admin:
        # A ready task of kind k, saved as a dump would hold it, then gone while k's floor moves on.
        _cycle(client, "k", 2)
        loaded = client.submit_task("k").task_id
        admin.execute("create temporary table dumped as select * from coord.tasks where id = %s", (loaded,))
        admin.execute("delete from coord.tasks where id = %s", (loaded,))
        _cycle(client, "k", 3)
        assert _floor(admin, queued.tenant_id, "k") > loaded
        _load_without_triggers(admin, "insert into coord.tasks overriding system value select * from dumped", ())

        # A claim of the claimant's, loaded with an old token, while its floor lies past every token.
        held = holder.submit_task("held").task_id
        token = admin.execute("select nextval('coord.lock_fence_seq')").fetchone()[0]
        admin.execute("insert into coord.claimant_floors (tenant_id, principal_id, floor) "
                      "values (%s, %s, pg_sequence_last_value('coord.lock_fence_seq') + 1)",
                      (claimer.tenant_id, claimer.principal_id))
        _load_without_triggers(admin, "update coord.tasks set state = 'claimed', claim = %s, claimed_by = %s, "
                               "claimed_at = coord.clock_now(), attempts = 1, "
                               "lease_expires_at = coord.clock_now() + interval '1 hour' where id = %s",
                               (token, claimer.principal_id, held))
        holder.submit_task("more")

        # Below the floors: the loaded task is not found, the loaded claim not counted.
        assert client.claim_task(["k"]).code == "empty"
        holder.connection.execute("begin")
        assert holder.claim_task(["more"]).code == "claimed"
        holder.connection.execute("rollback")

        for statement in _reset_statements():
            admin.execute(statement)

        claim = client.claim_task(["k"])
        assert (claim.code, claim.task_id) == ("claimed", loaded)
        over = holder.claim_task(["more"])
        assert (over.code, over.details.get("held")) == ("at_limit", 1)
