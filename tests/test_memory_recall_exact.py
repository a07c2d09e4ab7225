"""Recall returns exactly what its definition says, on a generated corpus: the candidates are the
100 latest visible memories with all the query's words, the 100 latest with any of them or all
the parts of one of its identifiers, the 50
latest with all the parts of one of its identifiers, and with an embedding the 50 nearest visible;
every candidate is scored (score = relevance x (0.3 + 0.7 recency) x (0.3 + 0.7 importance)) and
the best come first. The reference below reads and scores every candidate the plain way, so
every shortcut of coord.memory_candidates and coord.rank_memories (reads skipped because another
read covers them, trigram scored only where it can change the result, the read plans) must give
the same rows, scores and parts. The corpus makes the limits bite: frequent words are in a third
of its 1,500 memories, rare ones in a few.

The queries come from two seeds: the first were used while the code was written, the second
(held back) were not looked at before the code was final."""

from __future__ import annotations

import math
import random
import re
from typing import Any

import psycopg
import pytest

from coordinator.client import Client
from tests.conftest import make_principal, requires_18

WORDS = [f"{c}{v}{d}{w}" for c, v, d, w in zip("bdfgklmnprstvzbdfgklmnprstvzbdfgklmnprs",
                                                 "aeiouaeiouaeiouaeiouaeiouaeiouaeiouaeio",
                                                 "mnprstvzbdfgklmnprstvzbdfgklmnprstvzbdf",
                                                 "oaeiuoaeiuoaeiuoaeiuoaeiuoaeiuoaeiuoaei", strict=True)]
DIMENSIONS = 384
# Tags and how often they are carried (every n-th memory; 0: by none).
TAGS = {"half": 2, "rare": 97, "absent": 0}
TIERS = ("episodic", "procedural", "semantic", "working")


def _word(rng: random.Random) -> str:
    """Log-uniform over the vocabulary: a few words are in many memories, most in few."""
    return WORDS[min(len(WORDS) - 1, int(math.exp(rng.random() * math.log(len(WORDS)))) - 1)]


def _vector(rng: random.Random) -> str:
    return "[" + ",".join(f"{rng.random() - 0.5:.4f}" for _ in range(DIMENSIONS)) + "]"


def _corpus(db: psycopg.Connection, me: Any, other: Any, vectors: bool) -> None:
    """1,500 memories of the caller's tenant and repository: the caller's own (private or tenant),
    another agent's (tenant, or private: never seen), some expired, in four tiers, with importance
    and ages spread over 60 days (working ones: 6), an identifier or path in one in four; half with an embedding."""
    rng = random.Random(7)
    rows = []
    for i in range(1500):
        words = [_word(rng) for _ in range(8)]
        if i % 4 == 0:
            words.append(f"src/{rng.choice(WORDS)}/{rng.choice(WORDS)}_{rng.choice(WORDS)}.py")
        author = me if i % 3 else other
        visibility = "private" if i % 5 == 0 else "tenant"
        tier = TIERS[rng.randrange(4)]
        # A working memory lives at most 7 days from its last remember (its ttl's bound).
        age_hours = rng.random() * (6 if tier == "working" else 60) * 24
        expires = -1.0 if i % 11 == 0 else (24 * 7.0 if tier == "working" else None)
        tags = [tag for tag, every in TAGS.items() if every and i % every == 0]
        rows.append((author.tenant_id, author.principal_id, tier, visibility, " ".join(words),
                     round(rng.random(), 2), age_hours, expires, _vector(rng) if vectors and i % 2 else None, tags))
    db.cursor().executemany(
        "insert into coord.memories (tenant_id, author_id, tier, visibility, content, content_hash, importance,"
        " created_at, last_seen_at, expires_at, tags) "
        "select %s, %s, %s, %s, %s, sha256(convert_to(%s, 'UTF8')), %s,"
        " coord.now() - %s * interval '1 hour', coord.now() - %s * interval '1 hour',"
        " coord.now() + %s * interval '1 hour', %s",
        [(t, a, tier, vis, content, content, imp, age, age, exp, tags)
         for t, a, tier, vis, content, imp, age, exp, _, tags in rows])
    if vectors:
        db.execute("create temporary table corpus_vectors (content text primary key, v text)")
        db.cursor().executemany("insert into corpus_vectors values (%s, %s) on conflict do nothing",
                       [(r[4], r[8]) for r in rows if r[8] is not None])
        db.execute("update coord.memories as m set embedding = c.v::vector.vector"
                   " from corpus_vectors as c where c.content = m.content")
    db.execute("analyze coord.memories")


def _queries(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    found = []
    for i in range(count):
        if i % 6 == 5:  # an identifier, as an agent names it
            found.append(f"{rng.choice(WORDS)}_{rng.choice(WORDS)}.py {_word(rng)}")
        elif i % 6 == 4:
            found.append(f"src/{rng.choice(WORDS)}")
        else:
            found.append(" ".join(_word(rng) for _ in range(1 + i % 3)))
    return found


# The definition of a recall, the plain way: each read made, every candidate scored in full.
REFERENCE = """
with q as (
  select x.q_all, x.q_any, i.q_ident,
         case when i.q_ident is null then x.q_any when x.q_any is null then i.q_ident
              else x.q_any || i.q_ident end as q_rank
  from (select case when pg_catalog.numnode(a) = 0 then null else a end as q_all,
               case when pg_catalog.numnode(a) = 0 then null else replace(a::text, ' & ', ' | ')::tsquery end as q_any
        from (select websearch_to_tsquery('english', %(query)s) as a) as w) as x,
       (select string_agg('(' || q::text || ')', ' | ')::tsquery as q_ident
        from (select plainto_tsquery('simple',
                       regexp_replace(regexp_replace(t[1], '([[:lower:]])([[:upper:]])', '\\1 \\2', 'g'),
                                      '[/._:-]+', ' ', 'g')) as q
              from regexp_matches(%(query)s, '([[:alnum:]]*([_./:-]|[[:lower:]][[:upper:]])[[:alnum:]_./:-]*)', 'g')
                   as t) as s
        where numnode(s.q) > 0) as i
), visible as (
  select m.* from coord.memories as m
  where m.tenant_id = %(tenant)s and m.repository = 'default'
    and (m.expires_at is null or m.expires_at > coord.now())
    and (m.visibility = 'tenant' or m.author_id = %(me)s)
    and (%(tags)s::text[] is null or m.tags @> %(tags)s::text[])
), candidates as (
  (select v.id from visible as v, q where v.search @@ q.q_all order by v.id desc limit 100)
  union
  (select v.id from visible as v, q where v.search @@ q.q_rank order by v.id desc limit 100)
  union
  (select v.id from visible as v, q where v.search @@ q.q_ident order by v.id desc limit 50)
  VECTOR_READ
), parts as (
  select m.id, m.importance,
         least(1.0, coalesce(ts_rank_cd(m.search, q.q_rank), 0))::float8 as text_rank,
         trgm.word_similarity(%(query)s, m.content)::float8 as trigram,
         VECTOR_SIMILARITY as vector_similarity,
         power(0.5, extract(epoch from greatest(interval '0', coord.now() - m.last_seen_at))
                    / extract(epoch from t.half_life))::float8 as recency
  from coord.memories as m join coord.memory_tiers as t on t.tier = m.tier, q
  where m.id in (select c.id from candidates as c)
), relevance as (
  select p.*, case when %(vector)s::text is null then 0.3 * p.text_rank + 0.7 * p.trigram
                   else 0.7 * (0.3 * p.text_rank + 0.7 * p.trigram) + 0.3 * p.vector_similarity end as relevance
  from parts as p
)
select r.id, r.relevance * (0.3 + 0.7 * r.recency) * (0.3 + 0.7 * r.importance) as score,
       r.relevance, r.text_rank, r.trigram, r.vector_similarity, r.recency
from relevance as r
order by 2 desc, 1 desc
limit %(limit)s
"""

# Without pgvector (Debian's 15 here) coord.memories has no embedding column: the reference
# names it only where a query carries a vector.
VECTOR_READ = """union
  (select v.id from visible as v where v.embedding is not null
   order by v.embedding operator(vector.<=>) %(vector)s::vector.vector limit 50)"""
VECTOR_SIMILARITY = ("coalesce(greatest(0.0, 1.0 - (m.embedding operator(vector.<=>) %(vector)s::vector.vector)), 0)"
                     "::float8")


def _reference(vectors: bool) -> str:
    return (REFERENCE.replace("VECTOR_READ", VECTOR_READ if vectors else "")
            .replace("VECTOR_SIMILARITY", VECTOR_SIMILARITY if vectors else "null::float8"))


COLUMNS = ("memory_id", "score", "relevance", "text_rank", "trigram", "vector_similarity", "recency")


def _compare(db: psycopg.Connection, agent: Client, me: Any, queries: list[str], vectors: bool,
             tags: list[str] | None = None) -> int:
    """Recall against the reference for each query and limit; the number of candidates the reads
    had to cut (a read reaching its limit), so the test knows that the limits did bite."""
    rng = random.Random(11)
    bitten = 0
    for query in queries:
        vector = _vector(rng) if vectors else None
        for limit in (10, 37):
            want = db.execute(_reference(vector is not None),
                              {"query": query, "tenant": me.tenant_id, "me": me.principal_id,
                               "vector": vector, "limit": limit, "tags": tags}).fetchall()
            got = agent.call("recall", {"p_query": query, "p_limit": limit, "p_tags": tags,
                                        "p_embedding": [float(x) for x in vector[1:-1].split(",")] if vector else None})
            assert [r["memory_id"] for r in got] == [w[0] for w in want], (query, limit)
            for row, expected in zip(got, want, strict=True):
                for name, value in zip(COLUMNS[1:], expected[1:], strict=True):
                    if value is None:
                        assert row[name] is None, (query, limit, name)
                    else:
                        assert row[name] == pytest.approx(value, rel=1e-9, abs=1e-12), (query, limit, name)
        bitten += db.execute("select count(*) >= 100 from coord.memories where search @@ "
                             "replace(websearch_to_tsquery('english', %s)::text, ' & ', ' | ')::tsquery",
                             (query,)).fetchone()[0]
    return bitten


def _setup(db: psycopg.Connection, vectors: bool) -> tuple[Client, Any]:
    me = make_principal(db, "exact-me", tenant="exact")
    other = make_principal(db, "exact-other", tenant="exact")
    _corpus(db, me, other, vectors)
    return Client(connection=db, token=me.token), me


@pytest.mark.parametrize("seed", [1, 2], ids=["tuning-queries", "held-back-queries"])
def test_text_recall_is_its_definition_on_a_generated_corpus(db: psycopg.Connection, seed: int) -> None:
    agent, me = _setup(db, vectors=False)
    queries = _queries(seed, 30)
    assert _compare(db, agent, me, queries, vectors=False) >= 10, "the corpus must make the reads' limits bite"


@requires_18("pgvector (the embedded 18 ships it; Debian's 15 here has no postgresql-15-pgvector)")
@pytest.mark.parametrize("seed", [1, 2], ids=["tuning-queries", "held-back-queries"])
def test_hybrid_recall_is_its_definition_on_a_generated_corpus(db: psycopg.Connection, seed: int) -> None:
    agent, me = _setup(db, vectors=True)
    queries = _queries(seed, 12)
    assert _compare(db, agent, me, queries, vectors=True) >= 4, "the corpus must make the reads' limits bite"


def test_the_candidate_reads_run_without_parallel_workers(db: psycopg.Connection) -> None:
    """Each read stops after 50-100 rows: starting workers for it cost more than the read."""
    config = db.execute("select proconfig from pg_proc where oid = 'coord.memory_candidates'::regproc").fetchone()[0]
    assert "max_parallel_workers_per_gather=0" in config


def test_a_one_word_query_reads_its_word_once(db: psycopg.Connection) -> None:
    """For one word the read of all the query's words and the read of any of them are the same
    query: made twice, it walked the same tens of thousands of rows twice at a million memories."""
    agent, _ = _setup(db, vectors=False)
    plans: list[str] = []
    db.add_notice_handler(lambda notice: plans.append(notice.message_primary or ""))
    db.execute("load 'auto_explain'")
    for setting in ("log_min_duration = 0", "log_nested_statements = on", "log_level = notice"):
        db.execute(f"set local auto_explain.{setting}")
    agent.call("recall", {"p_query": WORDS[3], "p_limit": 10})
    reads = [p for p in plans if "union" in p and "@@" in p]
    assert len(reads) == 1, plans
    assert reads[0].count(f"'{WORDS[3]}'") == 1, reads[0]


def test_the_text_reads_are_planned_for_cached_pages_and_the_setting_is_put_back(db: psycopg.Connection) -> None:
    """At random_page_cost 4 the planner walked tens of thousands of memories back from the
    newest for the latest matches of a word in 0.1-0.5% of them, where the GIN index's matches,
    in the buffers, cost less (docs/benchmarks.md, "Recall after writes"). Only the text reads get 1.1,
    and the caller's own setting comes back after them."""
    agent, _ = _setup(db, vectors=False)
    db.execute("set local random_page_cost = 3")
    plans: list[str] = []
    db.add_notice_handler(lambda notice: plans.append(notice.message_primary or ""))
    db.execute("load 'auto_explain'")
    for setting in ("log_min_duration = 0", "log_nested_statements = on", "log_level = notice", "log_settings = on"):
        db.execute(f"set local auto_explain.{setting}")
    agent.call("recall", {"p_query": f"{WORDS[3]} {WORDS[5]}", "p_limit": 10})
    reads = [p for p in plans if "union" in p and "@@" in p]
    assert len(reads) == 1, plans
    assert "random_page_cost = '1.1'" in reads[0], reads[0]
    assert db.execute("select current_setting('random_page_cost')").fetchone()[0] == "3"


def _bulk(db: psycopg.Connection, me: Any, count: int, tags: list[str] | None = None) -> None:
    """count more of the caller's memories, each with the corpus's most frequent word, tagged bulk."""
    db.execute("insert into coord.memories (tenant_id, author_id, tier, visibility, content, content_hash, tags,"
               " created_at, last_seen_at)"
               " select %s, %s, 'semantic', 'tenant', c, sha256(convert_to(c, 'UTF8')), %s,"
               " coord.now() - interval '1 day', coord.now() - interval '1 day'"
               " from (select concat_ws(' ', %s::text, 'bulk', g) as c from generate_series(1, %s) as g) as s",
               (me.tenant_id, me.principal_id, ["bulk"] if tags is None else tags, WORDS[0], count))
    db.execute("analyze coord.memories")


@pytest.mark.parametrize("seed", [1, 2], ids=["tuning-queries", "held-back-queries"])
@pytest.mark.parametrize("tags", [["half"], ["rare"], ["half", "rare"], ["absent"], ["bulk"], ["bulk", "rare"]])
def test_recall_with_tags_is_its_definition(db: psycopg.Connection, seed: int, tags: list[str]) -> None:
    """With p_tags the tagged memories are looked up first when they are few (up to 2,000) and
    taken by id; else the reads filter as they walk. Both give the definition's rows: "bulk" is
    carried by 2,100 more memories (over the bound), the others by 0-750 of the corpus."""
    agent, me = _setup(db, vectors=False)
    _bulk(db, me, 2100)
    _compare(db, agent, me, [*_queries(seed, 8), WORDS[0]], vectors=False, tags=tags)


def test_a_rare_tag_is_read_from_the_tags_index_not_by_walking_the_memories(db: psycopg.Connection) -> None:
    """A tag the planner has no statistics for looked common to it at a million memories: the
    reads walked the memories from the newest, testing each, through all of them when none
    carried the tag (p95 187 ms, docs/benchmarks.md). At this test's scale the planner already
    prefers the tags index, so what is checked is that the tagged memories are looked up first
    and taken by id, whatever the plan, and that no read tests a memory it then drops."""
    me = make_principal(db, "exact-me", tenant="exact")
    agent = Client(connection=db, token=me.token)
    _bulk(db, me, 30000, tags=[])  # no memory carries a tag: the planner has no statistics of any
    plans: list[str] = []
    db.add_notice_handler(lambda notice: plans.append(notice.message_primary or ""))
    db.execute("load 'auto_explain'")
    for setting in ("log_min_duration = 0", "log_nested_statements = on", "log_level = notice",
                    "log_analyze = on", "log_timing = off", "log_format = json"):
        db.execute(f"set local auto_explain.{setting}")
    agent.call("recall", {"p_query": WORDS[0], "p_limit": 10, "p_tags": ["absent"]})
    reads = [p for p in plans if "union" in p and "@@" in p]
    assert len(reads) == 1, plans
    examined = [int(n) for n in re.findall(r'"Rows Removed by Filter": (\d+)', reads[0])]
    assert "(id = ANY (" in reads[0], reads[0]
    assert max(examined, default=0) == 0, reads[0]


def _trigram_calls(db: psycopg.Connection) -> int:
    row = db.execute("select calls from pg_stat_xact_user_functions where funcname = 'word_similarity'").fetchone()
    return row[0] if row else 0


@pytest.mark.parametrize("vectors", [
    pytest.param(False, id="text"),
    pytest.param(True, id="hybrid", marks=requires_18("pgvector (Debian's 15 here has none)")),
])
def test_each_candidate_is_scored_by_trigram_at_most_once(db: psycopg.Connection, vectors: bool) -> None:
    """word_similarity is the costly part of ranking. With a limit above the number of candidates
    every candidate is scored once; a short limit scores fewer. The subquery of the candidates
    scored after the first batch was flattened into the select over it, and word_similarity ran
    twice for each of them (for the trigram part and inside the relevance): at a million
    memories a hybrid recall made 265 calls for 166 candidates (docs/benchmarks.md)."""
    agent, _ = _setup(db, vectors=vectors)
    db.execute("set local track_functions = 'all'")
    rng = random.Random(5)
    over = 0
    for query in _queries(1, 12):
        vector = [float(x) for x in _vector(rng)[1:-1].split(",")] if vectors else None
        before = _trigram_calls(db)
        agent.call("recall", {"p_query": query, "p_limit": 1000, "p_embedding": vector})
        candidates = _trigram_calls(db) - before
        before = _trigram_calls(db)
        agent.call("recall", {"p_query": query, "p_limit": 10, "p_embedding": vector})
        scored = _trigram_calls(db) - before
        assert scored <= candidates, (query, scored, candidates)
        over += scored > min(candidates, 3 * 10)
    assert over >= 1, "some query must score candidates past the first 3 x limit, or the test checks nothing"


def _scored_by_rule(rows: list[dict[str, Any]], limit: int, first: int, vectors: bool) -> int:
    """How many candidates rank_memories passes to word_similarity for this limit, from the full
    ranking (every candidate with its parts): the `first` best bounds (score with trigram 1),
    then every other candidate whose bound reaches the limit-th best of their scores."""
    w_text, w_vec = (0.7, 0.3) if vectors else (1.0, 0.0)
    bound = {r["memory_id"]: (w_text * (0.3 * r["text_rank"] + 0.7) + w_vec * (r["vector_similarity"] or 0.0))
             * (0.3 + 0.7 * r["recency"]) * (0.3 + 0.7 * r["importance"]) for r in rows}
    order = sorted(rows, key=lambda r: (bound[r["memory_id"]], r["memory_id"]), reverse=True)
    head = order[:first]
    threshold = sorted((r["score"] for r in head), reverse=True)[:limit][-1]
    return len(head) + sum(bound[r["memory_id"]] >= threshold for r in order[first:])


@pytest.mark.parametrize("vectors", [
    pytest.param(False, id="text"),
    pytest.param(True, id="hybrid", marks=requires_18("pgvector (Debian's 15 here has none)")),
])
def test_the_trigram_threshold_comes_from_three_times_the_limit(db: psycopg.Connection, vectors: bool) -> None:
    """The 3 x limit best bounds are scored first and the limit-th best of those scores is the
    threshold: with an embedding the best bounds are mostly vector neighbours without the query's
    words, and the lowest of only `limit` scores let nearly every candidate through to
    word_similarity (docs/benchmarks.md, "Hybrid recall: the threshold from three times the
    limit"). Counted against the rule applied to the full ranking; the old rule (the lowest of
    the limit best bounds' scores) scores more."""
    agent, _ = _setup(db, vectors=vectors)
    db.execute("set local track_functions = 'all'")
    rng = random.Random(5)
    fewer = 0
    for query in _queries(1, 12):
        vector = [float(x) for x in _vector(rng)[1:-1].split(",")] if vectors else None
        rows = agent.call("recall", {"p_query": query, "p_limit": 1000, "p_embedding": vector})
        before = _trigram_calls(db)
        agent.call("recall", {"p_query": query, "p_limit": 5, "p_embedding": vector})
        scored = _trigram_calls(db) - before
        assert scored == _scored_by_rule(rows, 5, 15, vectors), (query, scored)
        fewer += scored < _scored_by_rule(rows, 5, 5, vectors)
    assert fewer >= 1, "the old rule must score more for some query, or the test checks nothing"
