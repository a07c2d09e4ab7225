"""Attacks on the fast path and the newest code: the per-call caches, the batch endpoints, the
task events written per statement, the event horizon. Each test is a fault found (its fix is in
the database) or a rule that held (kept so that it keeps holding)."""

from __future__ import annotations

import pytest

from coordinator.errors import CoordError
from tests.conftest import Database
from tests.event_streams import stream_cast


@pytest.mark.parametrize("isolation", ["repeatable read", "serializable"])
def test_another_tenants_open_transaction_outside_read_committed_does_not_hold_my_stream(
        committed_db: Database, isolation: str) -> None:
    """Tenant A's agent opens a REPEATABLE READ (or SERIALIZABLE) transaction, makes one audited
    call (remember: allowed at those levels) and leaves the transaction open. Its events are its
    own tenant's; my tenant's stream must not wait for it (the common writer key, which every
    tenant's horizon waits for, is for a superuser's maintenance, not for a client's call)."""
    with stream_cast(committed_db) as cast:
        cast.other.connection.execute(f"set transaction isolation level {isolation}")
        assert cast.other.call("remember", {"p_tier": "semantic", "p_content": "kept open"})[0]["code"] == "remembered"
        assert cast.writer.acquire_lock("mine.py").ok
        assert [r.target_id for r in cast.reader.events_since(0, ["lease.*"])] == ["mine.py"]
        # and turning to my tenant in the same transaction is refused, so it can never need that key
        with pytest.raises(CoordError) as caught:
            cast.turned.call("remember", {"p_tier": "semantic", "p_content": "turned"})
        assert caught.value.code == "CO213"
        cast.other.connection.rollback()
