"""Agents' memory: remember (dedup, expiry, retention), recall (ranking and its parts, text-only
path), visibility (private, team, tenant; never across tenants), forget, malformed input and the
session context. Real PostgreSQL; the clock moves with advance_clock, never with sleeps."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from coordinator.client import Client
from coordinator.errors import CoordError
from tests.conftest import advance_clock, make_principal


def _agent(db: psycopg.Connection, tenant: str = "mem", name: str | None = None) -> Client:
    return Client(connection=db, token=make_principal(db, name, tenant=tenant).token)


def _remember(client: Client, content: str, tier: str = "semantic", **kw: Any) -> dict[str, Any]:
    args = {"p_tier": tier, "p_content": content, **{f"p_{k}": v for k, v in kw.items()}}
    row = client.call("remember", args)[0]
    assert row["ok"], row
    return row


def _recall(client: Client, query: str | None = None, **kw: Any) -> list[dict[str, Any]]:
    return client.call("recall", {"p_query": query, **{f"p_{k}": v for k, v in kw.items()}})


def _ids(rows: list[dict[str, Any]]) -> list[int]:
    return [r["memory_id"] for r in rows]


def _vector(seed: int) -> list[float]:
    return [float((i * seed) % 7 - 3) + 0.5 for i in range(384)]


# --- remember: dedup, expiry, retention ---------------------------------------------------------

def test_remember_then_recall_with_score_and_parts(db: psycopg.Connection) -> None:
    agent = _agent(db)
    row = _remember(agent, "The queue sweeper requeues expired claims with backoff", tags=["queue"], importance=0.8)
    assert row["code"] == "remembered" and row["details"]["memory_id"] > 0
    found = _recall(agent, "expired claims backoff")
    assert _ids(found) == [row["details"]["memory_id"]]
    hit = found[0]
    assert hit["ranking"] == "text" and hit["note"] is None and hit["vector_similarity"] is None
    assert 0 < hit["score"] <= 1 and hit["text_rank"] > 0 and hit["trigram"] > 0 and hit["recency"] == pytest.approx(1)
    assert hit["score"] == pytest.approx(hit["relevance"] * (0.3 + 0.7 * hit["recency"]) * (0.3 + 0.7 * 0.8), rel=1e-5)


def test_the_same_content_within_the_window_is_reinforced_not_added(db: psycopg.Connection) -> None:
    agent = _agent(db)
    first = _remember(agent, "api.acquire_lock takes a fence", importance=0.3, tags=["locks"])
    advance_clock(db, "2 hours")
    again = _remember(agent, "api.acquire_lock takes a fence", importance=0.9, tags=["fence"])
    assert again["code"] == "reinforced"
    assert again["details"]["memory_id"] == first["details"]["memory_id"] and again["details"]["seen_count"] == 2
    rows = agent.call("list_memories", {})
    assert len(rows) == 1 and rows[0]["importance"] == pytest.approx(0.9) and rows[0]["tags"] == ["fence", "locks"]
    assert rows[0]["last_seen_at"] > rows[0]["created_at"]
    # Another agent remembering the same content adds its own memory.
    other = Client(connection=db, token=make_principal(db, tenant="mem").token)
    assert _remember(other, "api.acquire_lock takes a fence")["code"] == "remembered"


def test_outside_the_window_the_same_content_is_a_new_memory(db: psycopg.Connection) -> None:
    agent = _agent(db)
    first = _remember(agent, "deploy went fine", tier="episodic")
    advance_clock(db, "25 hours")  # episodic dedup window: 1 day
    second = _remember(agent, "deploy went fine", tier="episodic")
    assert second["code"] == "remembered" and second["details"]["memory_id"] != first["details"]["memory_id"]


def test_working_memories_expire_and_maintain_removes_them(db: psycopg.Connection) -> None:
    tenant = "memexp"
    agent = _agent(db, tenant)
    operator = Client(connection=db, token=make_principal(db, tenant=tenant, role="operator").token)
    scratch = _remember(agent, "scratch: trying the second approach", tier="working")
    assert scratch["details"]["expires_at"] is not None  # ttl defaulted (1 hour)
    kept = _remember(agent, "the second approach works", tier="procedural")
    assert len(_recall(agent, "second approach")) == 2
    advance_clock(db, "61 minutes")
    assert _ids(_recall(agent, "second approach")) == [kept["details"]["memory_id"]]
    swept = operator.call("maintain", {})[0]
    assert swept["details"]["memories_expired"] == 1
    assert db.execute("select count(*) from coord.memories where id = %s",
                      (scratch["details"]["memory_id"],)).fetchone()[0] == 0


def test_episodic_retention_removes_what_nobody_remembered_again(db: psycopg.Connection) -> None:
    tenant = "memret"
    agent = _agent(db, tenant)
    operator = Client(connection=db, token=make_principal(db, tenant=tenant, role="operator").token)
    _remember(agent, "an old episode", tier="episodic")
    _remember(agent, "a fact that stays", tier="semantic")
    advance_clock(db, "181 days")
    swept = operator.call("maintain", {})[0]["details"]
    assert swept["memories_retired"] == 1 and swept["memories_expired"] == 0
    assert [r["content"] for r in agent.call("list_memories", {})] == ["a fact that stays"]


def test_forget(db: psycopg.Connection) -> None:
    agent, other = _agent(db), _agent(db)
    mine = _remember(agent, "shared fact", visibility="tenant")["details"]["memory_id"]
    refused = other.call("forget", {"p_memory_id": mine})[0]
    assert (refused["ok"], refused["code"]) == (False, "not_author")
    assert agent.call("forget", {"p_memory_id": mine})[0]["code"] == "forgotten"
    with pytest.raises(CoordError) as caught:
        agent.call("forget", {"p_memory_id": mine})
    assert caught.value.code == "CO448"
    audit = db.execute("select decision from audit.events where action = 'memory.forget' and target_id = %s "
                       "order by id", (str(mine),)).fetchall()
    assert [a[0] for a in audit] == ["not_author", "forgotten"]
