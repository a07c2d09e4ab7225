"""Vector recall where the filters come after the approximate (HNSW) read: memories of another
tenant, repository, tier or tag, someone else's private ones and expired ones can be nearer to the
query than everything the caller may see, and fill the index's answer. The caller still recalls
its own nearest (coord.memory_candidates: exact for few vectors, else HNSW with an iterative
scan, and exact again when that finds too few).

A million memories is not built here: the crowd is 2,200 rows, the planner is steered to the
HNSW index (enable_sort off), as it goes wherever it expects many rows to pass the filters, and
the index scan reads at most 1,000 tuples (hnsw.max_scan_tuples, which the function leaves to the
server; 20,000 by default, fewer than a big tenant's near vectors)."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from coordinator.client import Client
from tests.conftest import make_principal, requires_18

DIM = 384
CROWD = 2200  # more than the 2,000 vectors a repository may have for the exact scan alone


def _unit(v: list[float]) -> list[float]:
    n = sum(x * x for x in v) ** 0.5
    return [x / n for x in v]


QUERY = _unit([1.0 + (i % 5) * 0.1 for i in range(DIM)])


def _crowd(db: psycopg.Connection, tenant_id: Any, author_id: Any, *, repository: str = "default",
           tier: str = "semantic", visibility: str = "tenant", expired: bool = False) -> None:
    """CROWD memories, every one nearer to QUERY than any of the caller's (cosine distance < 0.01)."""
    db.execute(
        "insert into coord.memories (tenant_id, author_id, repository, tier, visibility, content, content_hash,"
        " created_at, last_seen_at, expires_at, embedding)"
        " select %s, %s, %s, %s, %s, 'crowd ' || g, sha256(('crowd ' || g)::bytea), coord.now(), coord.now(),"
        "   case when %s then coord.now() - interval '1 day' end,"
        "   (select array_agg(q + (random() - 0.5) * 0.02 order by i)"
        "    from unnest(%s::real[]) with ordinality as u (q, i))::vector.vector"
        " from generate_series(1, %s) as g",
        (tenant_id, author_id, repository, tier, visibility, expired, QUERY, CROWD))


CASES = {
    # name: (where the crowd is, the recall's filters, how the caller's memories are remembered)
    "another tenant": ({"tenant": "memcrowd"}, {}, {}),
    "another repository": ({"repository": "other-repo"}, {}, {}),
    "another tag": ({}, {"tags": ["mine"]}, {"tags": ["mine"]}),
    "another tier": ({}, {"tiers": ["procedural"]}, {"tier": "procedural"}),
    "another author's private": ({"visibility": "private"}, {}, {}),
    "expired": ({"expired": True}, {}, {}),
}


@requires_18("pgvector (the embedded 18 ships it; Debian's 15 here has no postgresql-15-pgvector)")
@pytest.mark.parametrize("case", list(CASES))
def test_the_callers_nearest_are_recalled_past_nearer_vectors_it_may_not_see(db: psycopg.Connection,
                                                                             case: str) -> None:
    crowd, filters, mine_kw = CASES[case]
    me = make_principal(db, tenant="memsmall")
    other = make_principal(db, tenant=crowd.get("tenant", "memsmall"))
    _crowd(db, other.tenant_id, other.principal_id, **{k: v for k, v in crowd.items() if k != "tenant"})
    agent = Client(connection=db, token=me.token)
    mine = []
    for k, shift in enumerate((0.3, 0.6, 0.9)):  # further and further from QUERY
        vector = [x + (shift if i % 3 == k else 0.0) for i, x in enumerate(QUERY)]
        args = {"p_tier": mine_kw.get("tier", "semantic"), "p_content": f"my fact {k}", "p_embedding": vector,
                "p_tags": mine_kw.get("tags", [])}
        mine.append(agent.call("remember", args)[0]["details"]["memory_id"])
    db.execute("set local enable_sort = off")  # the planner picks the HNSW index, as at a million rows
    db.execute("set local hnsw.max_scan_tuples = 1000")  # fewer than the crowd, as 20,000 are at scale
    db.execute("set local hnsw.ef_search = 77")  # the caller's own, which the recall's read must not keep
    rows = agent.call("recall", {"p_query": None, "p_embedding": QUERY,
                                 **{f"p_{k}": v for k, v in filters.items()}})
    assert [r["memory_id"] for r in rows] == mine
    assert {r["ranking"] for r in rows} == {"vector"}
    assert db.execute("select current_setting('hnsw.ef_search'), current_setting('hnsw.iterative_scan')"
                      ).fetchone() == ("77", "off")
