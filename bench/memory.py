"""Agents' memory: recall latency at scale, remember throughput, and recall quality.

* quality   bench/data/memory_quality.json (320 memories, 80 labelled queries; see
            bench/memory_quality_data.py) remembered through the api, then recall@5 of the live
            api.recall for text only, vector only and hybrid, on the tuning half and the held-back
            half of the queries. The embedding is NOT a model: hashed character 3-grams of the
            words into 384 dimensions (signed feature hashing, L2-normalised), computable here
            without downloads; it measures the plumbing of hybrid ranking, not semantic recall.
            --tune also searches the text and hybrid weights on the tuning half only (offline,
            from the parts recall returns) and prints the best ones.
* scale     N memories generated server-side with generate_series (12 words each from a
            20,000-word synthetic vocabulary drawn log-uniformly, a path in one of four, four
            tiers, random importance and age within 30 days), the search indexes built after the
            load (the build time is reported), then recall p50/p95/p99 through the Python client
            (authentication, gate and ranking included) for text queries of 1-3 vocabulary words,
            and the server backend's CPU time per recall (/proc/PID/schedstat: stable under load);
            the first V carry random 384-dimension vectors, loaded with their rows as remember
            stores them (--vectors-by-update: added by an UPDATE after the load, the old shape;
            --text-vectors: embed() of their content instead, computed server-side, so the HNSW
            read has neighbourhoods to find); then the HNSW index, and hybrid recall (the same
            queries plus a random vector, or with --text-vectors embed() of the query) is
            measured the same way.
* remember  api.remember throughput (new content each call, and the same content: reinforced),
            1 and 2 clients.

Usage: bin/bench memory [--memories 1000000] [--vector-memories 100000] [--queries 300]
                        [--seconds 5] [--skip-scale] [--skip-quality] [--tune] [--vectors-by-update]
                        [--text-vectors]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import sys
import time
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import harness
import psycopg
from harness import Tally, Workload

from coordinator import admin
from coordinator.client import Client

DATA = Path(__file__).parent / "data" / "memory_quality.json"
DIMENSIONS = 384

# --- the deterministic stand-in for an embedding model ----------------------------------------


def embed(text: str) -> list[float]:
    """Hashed character 3-grams of the lower-cased words ('^' and '$' mark word edges), each
    adding +1 or -1 to one of 384 dimensions chosen by its MD5; L2-normalised."""
    vector = [0.0] * DIMENSIONS
    for word in "".join(c if c.isalnum() else " " for c in text.lower()).split():
        padded = f"^{word}$"
        for i in range(len(padded) - 2):
            digest = hashlib.md5(padded[i:i + 3].encode()).digest()
            index = int.from_bytes(digest[:4], "little") % DIMENSIONS
            vector[index] += 1.0 if digest[4] & 1 else -1.0
    norm = math.sqrt(sum(x * x for x in vector)) or 1.0
    return [x / norm for x in vector]


# --- quality ------------------------------------------------------------------------------------

MODES = ("text", "vector", "hybrid")


def load_quality(client: Client) -> tuple[dict[int, int], list[dict[str, Any]]]:
    data = json.loads(DATA.read_text())
    ids = {}
    for memory in data["memories"]:
        result = client.remember("semantic", memory["content"], embedding=embed(memory["content"]))
        assert result.ok, result
        ids[memory["id"]] = result.details["memory_id"]
    return ids, data["queries"]


def recall_rows(client: Client, mode: str, query: str, limit: int) -> list[Any]:
    return client.recall(query if mode != "vector" else None, limit=limit,
                         embedding=embed(query) if mode != "text" else None)


def quality(client: Client, ids: dict[int, int], queries: list[dict[str, Any]]) -> dict[tuple[str, str], float]:
    """recall@5 per (mode, split) of the live api.recall."""
    hits: dict[tuple[str, str], list[bool]] = {}
    for q in queries:
        relevant = {ids[r] for r in q["relevant"]}
        for mode in MODES:
            top = [r.memory_id for r in recall_rows(client, mode, q["query"], 5)]
            hits.setdefault((mode, q["split"]), []).append(bool(relevant & set(top)))
            hits.setdefault((mode, "all"), []).append(bool(relevant & set(top)))
    return {k: sum(v) / len(v) for k, v in hits.items()}


def tune(client: Client, ids: dict[int, int], queries: list[dict[str, Any]]) -> list[str]:
    """Grid over the text weight a (text = a text_rank + (1 - a) trigram) and the hybrid weight b
    (relevance = b text + (1 - b) vector), scored offline from the parts of every candidate,
    chosen on the tuning half only; recency and importance are equal across this set."""
    candidates = []
    for q in queries:
        rows = recall_rows(client, "hybrid", q["query"], 1000)
        candidates.append((q, {ids[r] for r in q["relevant"]},
                           [(r.memory_id, r.text_rank or 0.0, r.trigram or 0.0, r.vector_similarity or 0.0)
                            for r in rows]))

    def at5(a: float, b: float, split: str) -> float:
        found = []
        for q, relevant, rows in candidates:
            if split != "all" and q["split"] != split:
                continue
            ranked = sorted(rows, key=lambda r: (-(b * (a * r[1] + (1 - a) * r[2]) + (1 - b) * r[3]), -r[0]))
            found.append(bool(relevant & {r[0] for r in ranked[:5]}))
        return sum(found) / len(found)

    grid = [round(x * 0.1, 1) for x in range(11)]
    best = max(((at5(a, b, "tune"), a, b) for a in grid for b in grid), key=lambda t: (t[0], -abs(t[1] - 0.5)))
    _, a, b = best
    return [f"best on the tuning half: text = {a} text_rank + {1 - a:.1f} trigram, "
            f"hybrid = {b} text + {1 - b:.1f} vector: recall@5 tune {at5(a, b, 'tune'):.3f}, "
            f"held out {at5(a, b, 'held_out'):.3f}",
            f"text only with that a (b = 1): tune {at5(a, 1.0, 'tune'):.3f}, held out {at5(a, 1.0, 'held_out'):.3f}"]


# --- scale --------------------------------------------------------------------------------------

VOCABULARY = """
create unlogged table if not exists public.bench_vocab as
select i, (select string_agg(substr('bcdfghklmnprstvz', 1 + ((i * 7919 %% 512000) / p) %% 80 %% 16, 1)
                             || substr('aeiou', 1 + ((i * 7919 %% 512000) / p) %% 80 / 16, 1), '' order by p)
           from unnest(array[1, 80, 6400]) as p) as w
from generate_series(1, 20000) as i;
create unique index if not exists bench_vocab_i on public.bench_vocab (i);
"""

# Deterministic draws: U(g, s) in [0, 1) from a hash; a word index log-uniform in 1..20000 (frequent
# words are frequent, as in text).
U = "((hashint8(g::bigint * 16 + {s}) & 2147483647)::float8 / 2147483648.0)"
DRAW = f"1 + least(19999, floor(exp({U.format(s='s')} * ln(20000)))::int - 1)"

GENERATE = f"""
insert into coord.memories (tenant_id, author_id, repository, tier, visibility, content, content_hash, tags,
                            importance, created_at, last_seen_at, expires_at{{embedding}})
select %(tenant)s, %(author)s, 'default', x.tier, 'tenant', x.content, sha256(convert_to(x.content, 'UTF8')), '{{}}',
       x.importance, x.at, x.at, case when x.tier = 'working' then now() + interval '7 days' end{{vector}}
from (
  select (array['episodic', 'procedural', 'semantic', 'working'])[1 + g %% 4] as tier,
         (select string_agg(v.w, ' ' order by r.s) from (select s, {DRAW} as k from generate_series(1, 12) as s) as r
          join public.bench_vocab as v on v.i = r.k)
         || case when g %% 4 = 0 then ' src/' || (select w from public.bench_vocab where i = 1 + g %% 20000) || '/'
                                      || (select w from public.bench_vocab where i = 1 + (g * 7) %% 20000) || '.py'
                 else '' end as content,
         round({U.format(s=13)}::numeric, 2)::real as importance,
         now() - {U.format(s=14)} * interval '30 days' as at, g
  from generate_series(%(first)s::integer, %(last)s::integer) as g
) as x
"""

# With its row, as remember stores it: a random 384-dimension vector on the first v memories.
GENERATE_VECTOR = (", case when x.g <= %(vectors)s then (select array_agg(random() - 0.5) from generate_series(1, 384)"
                   " where x.g > 0)::vector.vector end")

# embed() in SQL, for --text-vectors: the same hashed 3-grams (the first 4 bytes of each MD5,
# little-endian, modulo 384; the sign from the low bit of the 5th byte), L2-normalised. It agrees
# with embed() to about 1e-8 per dimension (float4).
EMBED_SQL = """
create or replace function public.bench_embed(t text) returns vector.vector language sql immutable parallel safe as $$
  select vector.l2_normalize(pg_catalog.array_agg(coalesce(s.v, 0) order by d.i)::real[]::vector.vector)
  from generate_series(0, 383) as d(i)
  left join (
    select (('x' || lpad(substr(h, 7, 2) || substr(h, 5, 2) || substr(h, 3, 2) || substr(h, 1, 2), 16, '0'))
            ::bit(64)::bigint %% 384)::int as i,
           sum(case when (('x' || substr(h, 10, 1))::bit(4)::int & 1) = 1 then 1 else -1 end) as v
    from (select md5(substr(ws.p, k, 3)) as h
          from (select '^' || w || '$' as p from regexp_split_to_table(lower(t), '[^a-z0-9]+') as w
                where w <> '') as ws,
               generate_series(1, length(ws.p) - 2) as k) as tri
    group by 1
  ) as s on s.i = d.i
$$
"""
GENERATE_TEXT_VECTOR = ", case when x.g <= %(vectors)s then public.bench_embed(x.content) end"

SEARCH_INDEXES = ("memories_search_idx", "memories_trgm_idx", "memories_tags_idx", "memories_embedding_idx")


def build_scale(admin_dsn: str, tenant_id: uuid.UUID, author_id: uuid.UUID, n: int, v: int = 0,
                text_vectors: bool = False) -> dict[str, float]:
    """n memories, the first v with a random 384-dimension vector in the row (with text_vectors:
    embed() of the content), loaded without the search indexes, which are then built again (the
    HNSW index by build_vectors); seconds each."""
    seconds: dict[str, float] = {}
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute("set maintenance_work_mem = '512MB'")
        conn.execute(VOCABULARY.replace('%%', '%'))
        if text_vectors:
            conn.execute(EMBED_SQL.replace('%%', '%'))
        definitions = conn.execute("select indexname, indexdef from pg_indexes where schemaname = 'coord' "
                                   "and tablename = 'memories' and indexname = any(%s)",
                                   (list(SEARCH_INDEXES),)).fetchall()
        for name, _ in definitions:
            conn.execute(f"drop index coord.{name}")
        generate = (GENERATE.replace("{embedding}", ", embedding" if v else "")
                    .replace("{vector}", (GENERATE_TEXT_VECTOR if text_vectors else GENERATE_VECTOR) if v else ""))
        started = time.perf_counter()
        for done in range(0, n, 100_000):
            conn.execute(generate, {"tenant": tenant_id, "author": author_id, "first": done + 1,
                                    "last": done + min(100_000, n - done), "vectors": v})
            print(f"scale: {done + min(100_000, n - done):,} memories loaded", file=sys.stderr)
        seconds["load"] = time.perf_counter() - started
        for name, definition in definitions:
            if name == "memories_embedding_idx":
                continue  # built after the vectors (build_vectors)
            started = time.perf_counter()
            conn.execute(definition)
            seconds[name] = time.perf_counter() - started
            print(f"scale: {name} built in {seconds[name]:.1f}s", file=sys.stderr)
        conn.execute("vacuum analyze coord.memories")
    return seconds


def build_vectors(admin_dsn: str, v: int, by_update: bool = False) -> dict[str, float]:
    """The HNSW index on the vectors build_scale loaded; with by_update, first random 384-dimension
    vectors on the oldest v memories by an UPDATE (this bench's shape before 2026-12-06 evening:
    it moves those rows to the end of the heap and leaves the full-text GIN index, maintained
    through the update and the vacuum after it, several times slower for an AND with a frequent
    word than the index built after the load; docs/benchmarks.md "Hybrid recall: the bench's
    vectors"); seconds each."""
    seconds: dict[str, float] = {}
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute("set maintenance_work_mem = '1GB'")
        definition = ("create index memories_embedding_idx on coord.memories "
                      "using hnsw (embedding vector.vector_cosine_ops)")
        conn.execute("drop index if exists coord.memories_embedding_idx")
        if by_update:
            started = time.perf_counter()
            conn.execute("""update coord.memories set embedding =
                              (select array_agg(random() - 0.5) from generate_series(1, 384)
                               where id > 0)::vector.vector
                            where id in (select id from coord.memories order by id limit %s)""", (v,))
            seconds["vectors by update"] = time.perf_counter() - started
        started = time.perf_counter()
        conn.execute(definition)
        seconds["memories_embedding_idx"] = time.perf_counter() - started
        conn.execute("vacuum analyze coord.memories")
    return seconds


def queries(admin_dsn: str, count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        words = [r[0] for r in conn.execute("select w from public.bench_vocab order by i").fetchall()]
    draw = lambda: words[min(len(words) - 1, int(math.exp(rng.random() * math.log(len(words)))) - 1)]  # noqa: E731
    found = []
    for i in range(count):
        if i % 10 == 9:  # an identifier-like query: a path of the generated kind
            found.append(f"src/{words[rng.randrange(len(words))]}")
        else:
            found.append(" ".join(draw() for _ in range(1 + i % 3)))
    return found


def server_clock(client: Client) -> Path | None:
    """/proc/PID/schedstat of the client's server backend (its first field: nanoseconds on a CPU),
    when this process may read it (the embedded server runs here)."""
    pid = client.connection.execute("select pg_backend_pid()").fetchone()[0]  # type: ignore[index]
    path = Path(f"/proc/{pid}/schedstat")
    try:
        path.read_text()
    except OSError:
        return None
    return path


def latency(client: Client, texts: list[str], vectors: bool, seed: int, text_vectors: bool = False) -> dict[str, float]:
    """Client-side ms per recall, and the server backend's CPU ms per recall: on a machine shared
    with other work the first measures the machine as much as recall, the second hardly moves.
    With vectors, each query carries a random vector, or with text_vectors embed() of its text."""
    rng = random.Random(seed)
    clock = server_clock(client)
    timings, cpu, rows = [], [], 0
    for text in texts:
        vector = None
        if vectors:
            vector = embed(text) if text_vectors else [rng.random() - 0.5 for _ in range(DIMENSIONS)]
        before = int(clock.read_text().split()[0]) if clock else 0
        started = time.perf_counter()
        found = client.recall(text, limit=10, embedding=vector)
        timings.append((time.perf_counter() - started) * 1000)
        if clock:
            cpu.append((int(clock.read_text().split()[0]) - before) / 1e6)
        rows += len(found)
    result = {"p50": harness.percentile(timings, 50), "p95": harness.percentile(timings, 95),
              "p99": harness.percentile(timings, 99), "mean rows": rows / len(texts)}
    if cpu:
        result.update({"cpu p50": harness.percentile(cpu, 50), "cpu p95": harness.percentile(cpu, 95),
                       "cpu p99": harness.percentile(cpu, 99)})
    return result


# --- remember throughput ------------------------------------------------------------------------

def remember_workload(name: str, dsn: str, tokens: list[str], same: bool) -> Workload:
    def make_op(i: int, stack: ExitStack) -> Any:
        client = stack.enter_context(Client(dsn, tokens[i]))
        counter = iter(range(10**9))

        def op() -> Tally:
            content = f"worker {i} noted that the build of module {0 if same else next(counter)} passed"
            result = client.remember("episodic", content, importance=0.5)
            assert result.ok, result
            return Tally(calls=1)
        return op
    return Workload(name, make_op)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--memories", type=int, default=1_000_000)
    parser.add_argument("--vector-memories", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--tune", action="store_true", help="search the ranking weights on the tuning half")
    parser.add_argument("--vectors-by-update", action="store_true",
                        help="the old shape: load without vectors, then UPDATE the oldest rows to add them")
    parser.add_argument("--text-vectors", action="store_true",
                        help="vectors from embed() of the content (and of each query), not random ones")
    args = parser.parse_args()
    if args.text_vectors and args.vectors_by_update:
        parser.error("--text-vectors loads the vectors with their rows; --vectors-by-update adds random ones")

    with harness.bench_server() as up:
        assert up.dsn is not None
        print(harness.header(up, args.rounds, args.seconds)
              + f" | load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        if not args.skip_quality:
            token = admin.add_principal(up.admin_dsn, "quality", tenant="quality").token
            with Client(up.dsn, token) as client:
                ids, labelled = load_quality(client)
                scores = quality(client, ids, labelled)
                print(f"\n## Recall quality: recall@5 on {len(ids)} memories, {len(labelled)} queries\n")
                print("| ranking | tuning half | held-back half | all |\n|---|---|---|---|")
                for mode in MODES:
                    print(f"| {mode} | {scores[(mode, 'tune')]:.3f} | {scores[(mode, 'held_out')]:.3f} | "
                          f"{scores[(mode, 'all')]:.3f} |")
                if args.tune:
                    print("\n" + "\n".join(tune(client, ids, labelled)))

        tokens = [admin.add_principal(up.admin_dsn, f"writer-{i}", tenant="writers").token for i in range(2)]
        workloads = [remember_workload("remember_new", up.dsn, tokens, same=False),
                     remember_workload("remember_same", up.dsn, tokens, same=True)]
        results = harness.run(workloads, [1, 2], args.rounds, args.seconds)
        print("\n## remember throughput\n")
        print("\n".join(harness.render(workloads, [1, 2], results, floor=None)))

        if args.skip_scale:
            return
        agent = admin.add_principal(up.admin_dsn, "recaller", tenant="bench")
        with psycopg.connect(up.admin_dsn, autocommit=True) as conn:
            tenant_id, author_id = conn.execute("select tenant_id, id from coord.principals where name = 'recaller'"
                                                ).fetchone()  # type: ignore[misc]
        built = build_scale(up.admin_dsn, tenant_id, author_id, args.memories,
                            0 if args.vectors_by_update else args.vector_memories,
                            text_vectors=args.text_vectors)
        texts = queries(up.admin_dsn, args.queries, seed=1)
        with Client(up.dsn, agent.token) as client:
            latency(client, texts[:20], False, seed=0)  # warm the caches and the plans
            text = latency(client, texts, False, seed=2)
        vectors = build_vectors(up.admin_dsn, args.vector_memories, by_update=args.vectors_by_update)
        with Client(up.dsn, agent.token) as client:
            latency(client, texts[:20], True, seed=0, text_vectors=args.text_vectors)
            hybrid = latency(client, texts, True, seed=3, text_vectors=args.text_vectors)
            after = latency(client, texts, False, seed=2)
        print(f"\n## recall latency: {args.memories:,} memories, {args.vector_memories:,} with vectors "
              f"({'added by an update after the load' if args.vectors_by_update else 'loaded with their rows'}"
              f"{', embed() of their content' if args.text_vectors else ', random'}), "
              f"{len(texts)} queries through the Python client (ms)\n")
        print("| recall | p50 | p95 | p99 | server CPU p50 | p95 | p99 | rows per query |\n"
              "|---|---|---|---|---|---|---|---|")
        for name, m in (("text only", text), ("hybrid (text + 384-d vector)", hybrid),
                        ("text only, vectors present", after)):
            server = " | ".join(f"{m[k]:.1f}" if k in m else "–" for k in ("cpu p50", "cpu p95", "cpu p99"))
            print(f"| {name} | {m['p50']:.1f} | {m['p95']:.1f} | {m['p99']:.1f} | {server} | {m['mean rows']:.1f} |")
        print("\nbuild (s): " + ", ".join(f"{k} {v:.1f}" for k, v in {**built, **vectors}.items()))
        print(f"total build: {sum(built.values()) + sum(vectors.values()):.0f}s; load average at the end "
              f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
