"""Agents' memory: remember (dedup, expiry, retention), recall (ranking and its parts, text-only
path), visibility (private, team, tenant; never across tenants), forget, malformed input and the
session context. Real PostgreSQL; the clock moves with advance_clock, never with sleeps."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from coordinator.client import Client
from coordinator.errors import CoordError
from tests.conftest import advance_clock, make_principal, requires_18


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



def test_the_retention_sweep_reads_only_the_memories_past_retention(db: psycopg.Connection) -> None:
    # As a join with coord.memory_tiers the retention read compared every memory of the tenant
    # with its tier's cutoff (a sequential scan: 2 s at a million with none to delete); per tier,
    # the cutoff is a range of memories_tier_seen_idx and a sweep with nothing to do reads nothing.
    principal = make_principal(db, tenant="memsweep")
    db.execute("""insert into coord.memories (tenant_id, author_id, repository, tier, visibility, content,
                                              content_hash, importance, created_at, last_seen_at)
                  select %s, %s, 'default', (array['episodic', 'semantic'])[1 + g %% 2], 'tenant', 'note ' || g,
                         sha256(convert_to('note ' || g, 'UTF8')), 0.5, coord.now() - g * interval '1 second',
                         coord.now() - g * interval '1 second'
                  from generate_series(1, 3000) as g""", (principal.tenant_id, principal.principal_id))
    db.execute("analyze coord.memories")
    read = ("select seq_tup_read + coalesce(idx_tup_fetch, 0) from pg_stat_xact_user_tables "
            "where relid = 'coord.memories'::regclass")
    advance_clock(db, "179 days")
    before = db.execute(read).fetchone()[0]
    swept = db.execute("select coord.sweep_memories(%s, 1000)", (principal.tenant_id,)).fetchone()[0]
    assert swept == {"memories_expired": 0, "memories_retired": 0}
    # (The delete's own plan at this size may start a scan of the table and stop at its first row.)
    assert db.execute(read).fetchone()[0] - before < 10
    advance_clock(db, "1 day")  # now every episodic one (1,500), at most 1,000 a sweep; semantic has none
    retired = [db.execute("select coord.sweep_memories(%s, 1000)", (principal.tenant_id,)).fetchone()[0]
               ["memories_retired"] for _ in range(3)]
    assert retired == [1000, 500, 0]

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


def test_remember_and_reinforce_leave_no_pending_gin_entries(db: psycopg.Connection) -> None:
    # Every recall's GIN read scans a GIN pending list in full (about 5 ms of a recall at 4 MB,
    # docs/benchmarks.md "Recall after writes"): remember enters its words into the indexes at once.
    agent = _agent(db)
    content = "the pending list of a GIN index slows every search"
    _remember(agent, content, tags=["gin"])
    assert _remember(agent, content, tags=["vacuum"])["code"] == "reinforced"
    for index in ("coord.memories_search_idx", "coord.memories_tags_idx"):
        merged = db.execute("select pg_catalog.gin_clean_pending_list(%s::regclass)", (index,)).fetchone()[0]
        assert merged == 0, index


# --- recall: each part of the score, isolated ---------------------------------------------------

def test_a_better_match_ranks_higher(db: psycopg.Connection) -> None:
    agent = _agent(db)
    weak = _remember(agent, "the scheduler runs nightly and cleans caches")["details"]["memory_id"]
    strong = _remember(agent, "the scheduler retries failed webhooks with exponential backoff")["details"]["memory_id"]
    rows = _recall(agent, "webhook retries backoff")
    relevance = {r["memory_id"]: r["relevance"] for r in rows}
    assert _ids(rows)[0] == strong and relevance[strong] > relevance.get(weak, 0)


def test_trigram_finds_identifiers_and_paths(db: psycopg.Connection) -> None:
    agent = _agent(db)
    path = _remember(agent, "coordinator/mcp_server.py starts sessions lazily")["details"]["memory_id"]
    _remember(agent, "sessions start when the first tool is called")
    rows = _recall(agent, "mcp_server.py")
    assert _ids(rows)[0] == path and rows[0]["trigram"] > 0.5


def test_a_short_limit_is_the_head_of_a_long_one(db: psycopg.Connection) -> None:
    """coord.rank_memories scores the trigram part only for the candidates whose bound can still
    reach the result; what it returns must be exactly the head of the full ranking, for every
    limit, with the same parts."""
    agent = _agent(db)
    words = ["queue", "lease", "fence", "webhook", "sweeper", "backoff"]
    for i in range(24):
        content = (f"{words[i % 6]} {words[(i * 5) % 6]} note {i} in coordinator/{words[(i + 1) % 6]}_{i % 4}.py")
        _remember(agent, content, tier=("episodic", "semantic")[i % 2], importance=round((i * 7 % 10) / 10, 1))
        advance_clock(db, "9 hours")
    for query in ("queue lease", "fence", "webhook_2.py backoff", "sweeper coordinator/lease_1.py", None):
        full = _recall(agent, query, limit=1000)
        assert len(full) >= 8, query
        for limit in (1, 2, 3, 5, 8, len(full) - 1):
            assert _recall(agent, query, limit=limit) == full[:limit], (query, limit)


@pytest.mark.parametrize(("query", "once"), [
    ("'queue' & 'lease' & 'queue'", "'lease' & 'queue'"),
    ("'src' & 'claim' & 'src'", "'claim' & 'src'"),
    ("'queue' <-> 'lease' & 'queue'", "'queue' <-> 'lease' & 'queue'"),  # a phrase: as it is
    ("!'queue' & 'queue'", "!'queue' & 'queue'"),
    ("'queue' | 'queue'", "'queue' | 'queue'"),
])
def test_the_candidates_of_all_words_ask_for_each_word_once(db: psycopg.Connection, query: str, once: str) -> None:
    """The planner multiplies the frequencies of an AND's words: a repeated frequent word made a
    common combination look rare, and its index plan read every memory holding the words."""
    assert db.execute("select coord.each_word_once(%s::tsquery)::text", (query,)).fetchone()[0] == once


def test_a_more_recent_memory_ranks_higher(db: psycopg.Connection) -> None:
    agent = _agent(db)
    old = _remember(agent, "tests use the embedded server", tier="episodic")["details"]["memory_id"]
    advance_clock(db, "14 days")  # two half-lives of an episodic memory
    new = _remember(agent, "tests use the embedded server on port zero", tier="episodic")["details"]["memory_id"]
    rows = {r["memory_id"]: r for r in _recall(agent, "tests use the embedded server")}
    assert rows[old]["recency"] == pytest.approx(0.25, rel=1e-3) and rows[new]["recency"] == pytest.approx(1)
    assert rows[new]["score"] > rows[old]["score"]


def test_a_more_important_memory_ranks_higher(db: psycopg.Connection) -> None:
    agent = _agent(db)
    low = _remember(agent, "run ruff before committing", importance=0.1)["details"]["memory_id"]
    high = _remember(agent, "run ruff before you commit", importance=0.9)["details"]["memory_id"]
    rows = _recall(agent, "ruff committing")
    by_id = {r["memory_id"]: r for r in rows}
    assert by_id[low]["relevance"] >= by_id[high]["relevance"]  # the text favours the unimportant one
    assert _ids(rows)[0] == high


def test_without_a_query_recall_ranks_by_recency_and_importance(db: psycopg.Connection) -> None:
    agent = _agent(db)
    a = _remember(agent, "first", importance=0.5)["details"]["memory_id"]
    b = _remember(agent, "second", importance=0.9)["details"]["memory_id"]
    rows = _recall(agent)
    assert _ids(rows) == [b, a] and {r["ranking"] for r in rows} == {"recency"}
    assert rows[0]["relevance"] == 1 and rows[0]["text_rank"] is None


def test_filters_by_tier_and_tags(db: psycopg.Connection) -> None:
    agent = _agent(db)
    fact = _remember(agent, "locks have fences", tags=["locks", "fence"])["details"]["memory_id"]
    _remember(agent, "locks were slow yesterday", tier="episodic", tags=["locks"])
    assert _ids(_recall(agent, "locks", tiers=["semantic"])) == [fact]
    assert _ids(_recall(agent, "locks", tags=["fence"])) == [fact]
    assert len(_recall(agent, "locks", tags=["locks"])) == 2


@requires_18("pgvector (the embedded 18 ships it; Debian's 15 here has no postgresql-15-pgvector)")
def test_vectors_join_the_ranking_where_pgvector_is_installed(db: psycopg.Connection) -> None:
    assert db.execute("select coord.vectors_available()").fetchone()[0], "the embedded server ships pgvector"
    agent = _agent(db)
    near = _remember(agent, "alpha", embedding=_vector(3))["details"]["memory_id"]
    far = _remember(agent, "beta", embedding=_vector(5))["details"]["memory_id"]
    rows = _recall(agent, embedding=_vector(3))
    assert _ids(rows)[0] == near and rows[0]["ranking"] == "vector"
    assert rows[0]["vector_similarity"] == pytest.approx(1, abs=1e-5)
    hybrid = _recall(agent, "beta", embedding=_vector(3))
    assert {r["ranking"] for r in hybrid} == {"hybrid"} and set(_ids(hybrid)) == {near, far}
    parts = {r["memory_id"]: r for r in hybrid}
    assert parts[far]["text_rank"] > 0 and parts[near]["vector_similarity"] > parts[far]["vector_similarity"]


def test_the_text_path_says_that_no_vectors_were_used(db: psycopg.Connection) -> None:
    """What a server without pgvector does, simulated by removing the column: recall still works
    on text and says that the embedding was not used; remember says it was not stored."""
    agent = _agent(db)
    _remember(agent, "hybrid ranking needs pgvector")
    db.execute("alter table coord.memories drop column if exists embedding")  # none on a server without pgvector
    assert db.execute("select coord.vectors_available()").fetchone()[0] is False
    stored = _remember(agent, "a second memory", embedding=_vector(2))
    assert stored["details"]["embedding_stored"] is False and "not stored" in stored["details"]["note"]
    rows = _recall(agent, "pgvector ranking", embedding=_vector(2))
    assert len(rows) == 1 and rows[0]["ranking"] == "text" and rows[0]["vector_similarity"] is None
    assert "pgvector is not installed" in rows[0]["note"]
    plain = _recall(agent, "pgvector ranking")
    assert plain[0]["ranking"] == "text" and plain[0]["note"] is None and plain[0]["vector_similarity"] is None


# --- visibility ---------------------------------------------------------------------------------

def test_visibility_private_team_tenant(db: psycopg.Connection) -> None:
    tenant = "memvis"
    operator = Client(connection=db, token=make_principal(db, tenant=tenant, role="operator").token)
    auditor = Client(connection=db, token=make_principal(db, tenant=tenant, role="auditor").token)
    author_p = make_principal(db, tenant=tenant)
    mate_p = make_principal(db, tenant=tenant)
    stranger = _agent(db, tenant)
    assert operator.call("create_profile", {"p_name": "builders", "p_trust_level": 2})[0]["ok"]
    for p in (author_p, mate_p):
        assert operator.call("assign_profile", {"p_agent": p.name, "p_profile": "builders"})[0]["ok"]
    author, mate = Client(connection=db, token=author_p.token), Client(connection=db, token=mate_p.token)
    private = _remember(author, "zebra private note")["details"]["memory_id"]
    team = _remember(author, "zebra team note", visibility="team")["details"]["memory_id"]
    shared = _remember(author, "zebra tenant note", visibility="tenant")["details"]["memory_id"]
    seen = {name: set(_ids(_recall(c, "zebra note"))) for name, c in
            (("author", author), ("mate", mate), ("stranger", stranger), ("operator", operator), ("auditor", auditor))}
    assert seen == {"author": {private, team, shared}, "mate": {team, shared}, "stranger": {shared},
                    "operator": {team, shared}, "auditor": {team, shared}}
    assert {r["memory_id"] for r in stranger.call("list_memories", {})} == {shared}
    assert {r["memory_id"] for r in author.call("list_memories", {"p_mine": True})} == {private, team, shared}
    with pytest.raises(CoordError) as caught:  # invisible is unknown
        stranger.call("forget", {"p_memory_id": private})
    assert caught.value.code == "CO448"
    assert operator.call("forget", {"p_memory_id": private})[0]["code"] == "forgotten"
    with pytest.raises(CoordError) as caught:
        operator.call("remember", {"p_tier": "semantic", "p_content": "x", "p_visibility": "team"})
    assert caught.value.code == "CO449"


def test_memories_never_cross_tenants(db: psycopg.Connection) -> None:
    mine, theirs = _agent(db, "mema"), _agent(db, "memb")
    secret = _remember(theirs, "tenant b secret zebra", visibility="tenant",
                       embedding=_vector(4))["details"]["memory_id"]
    assert _recall(mine, "tenant b secret zebra") == []
    assert _recall(mine, embedding=_vector(4)) == []
    assert mine.call("list_memories", {}) == []
    with pytest.raises(CoordError) as caught:
        mine.call("forget", {"p_memory_id": secret})
    assert caught.value.code == "CO448"


def test_memories_stay_in_their_repository(db: psycopg.Connection) -> None:
    agent_p = make_principal(db, tenant="memrepo")
    one = Client(connection=db, token=agent_p.token)
    in_other = Client(connection=db, token=agent_p.token)
    assert in_other.start_session("t", [], "1 hour", "other-repo").ok  # the client keeps the session
    _remember(one, "default repository fact")
    assert _recall(in_other, "repository fact") == []
    assert len(_recall(one, "repository fact")) == 1


# --- malformed input ----------------------------------------------------------------------------

@pytest.mark.parametrize(("arguments", "code"), [
    ({"p_tier": "long-term"}, "CO442"),
    ({"p_tier": None}, "CO442"),
    ({"p_content": ""}, "CO443"),
    ({"p_content": "   "}, "CO443"),
    ({"p_content": "x" * 10001}, "CO443"),
    ({"p_importance": 1.5}, "CO444"),
    ({"p_importance": -0.1}, "CO444"),
    ({"p_tier": "working", "p_ttl": "8 days"}, "CO445"),
    ({"p_ttl": "0 seconds"}, "CO445"),
    ({"p_tags": ["has space"]}, "CO446"),
    ({"p_tags": [f"t{i}" for i in range(33)]}, "CO446"),
    ({"p_embedding": [0.1] * 383}, "CO447"),
    ({"p_embedding": [0.0] * 384}, "CO447"),
    ({"p_metadata": []}, "CO440"),
    ({"p_metadata": {"x": "y" * 17000}}, "CO404"),
    ({"p_visibility": "world"}, "CO449"),
])
def test_malformed_remember_is_an_error_and_writes_nothing(db: psycopg.Connection, arguments: dict[str, Any],
                                                           code: str) -> None:
    agent = _agent(db)
    with pytest.raises(CoordError) as caught:
        agent.call("remember", {"p_tier": "semantic", "p_content": "fine", **arguments})
    assert caught.value.code == code
    assert db.execute("select count(*) from coord.memories").fetchone()[0] == 0


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "-Infinity"])
def test_an_embedding_is_finite(db: psycopg.Connection, bad: str) -> None:
    """JSON has no NaN, so this is what a psql or PostgREST caller could send."""
    with pytest.raises(psycopg.Error) as caught:
        db.execute("select coord.check_embedding(array[%s::real] || array_fill(0.5::real, array[383]))", (bad,))
    assert caught.value.sqlstate == "CO447"


@pytest.mark.parametrize(("arguments", "code"), [
    ({"p_query": "x" * 1001}, "CO439"),
    ({"p_tiers": ["nope"]}, "CO442"),
    ({"p_tags": ["a b"]}, "CO446"),
    ({"p_limit": 0}, "CO224"),
    ({"p_embedding": [1.0] * 10}, "CO447"),
])
def test_malformed_recall_is_an_error(db: psycopg.Connection, arguments: dict[str, Any], code: str) -> None:
    with pytest.raises(CoordError) as caught:
        _agent(db).call("recall", arguments)
    assert caught.value.code == code


# --- the start of a session ---------------------------------------------------------------------

def test_session_context_has_handoff_leases_memories_and_work(db: psycopg.Connection) -> None:
    tenant = "memctx"
    agent_p = make_principal(db, tenant=tenant)
    operator = Client(connection=db, token=make_principal(db, tenant=tenant, role="operator").token)
    agent = Client(connection=db, token=agent_p.token)
    agent.session_id = agent.start_session("t", [], "1 hour").session_id
    assert agent.call("write_handoff", {"p_summary": "half done", "p_next_steps": ["finish"]})[0]["ok"]
    assert agent.acquire_lock("src/app.py").ok
    fact = _remember(agent, "the app starts in main()", importance=0.9)["details"]["memory_id"]
    task = operator.submit_task("build").task_id
    context = agent.call("session_context", {})[0]["pgrst_call"]
    assert context["handoff"]["summary"] == "half done" and context["handoff"]["next_steps"] == ["finish"]
    assert [lease["path"] for lease in context["leases"]] == ["src/app.py"]
    assert [m["memory_id"] for m in context["memories"]] == [fact]
    assert [t["task_id"] for t in context["ready_tasks"]] == [task]
    assert context["session_id"] == str(agent.session_id) and context["messages"] == {"unread": 0, "latest": []}
