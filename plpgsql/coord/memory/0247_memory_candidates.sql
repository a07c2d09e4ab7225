-- coord:owner coord_auth
-- The candidates of a recall, read from the indexes, a bounded number from each: the 100 latest
-- memories with all the query's words (p_all), the 100 latest with any of them (p_any), the 50
-- latest with all the parts of one of its identifiers or paths (p_ident), the 50 nearest visible
-- embeddings when p_embedding is given (exact for a small set, else HNSW; below), and the 200
-- most recently remembered when p_recent. "Latest" among text matches, not best ranked: ranking
-- every match of a frequent word would read all of them.
-- Owned by coord_auth (BYPASSRLS) because under row-level security PostgreSQL may not use an
-- index for an operator that is not leakproof (full-text @@, pgvector's <=>) and would test
-- every row of the tenant instead. So this function filters on the tenant and the caller's
-- visibility itself and returns ids only; coord.rank_memories reads the rows as coord_owner,
-- under the tenant policy. Only coord_owner may call it.
create or replace function coord.memory_candidates(
  p_tenant_id uuid,
  p_repository text,
  p_principal_id uuid,
  p_team_id uuid,
  p_sees_teams boolean,
  p_tiers text[],
  p_tags text[],
  p_now timestamptz,
  p_all tsquery,
  p_any tsquery,
  p_ident tsquery,
  p_embedding real[],
  p_recent boolean
)
returns setof bigint
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
-- A generic plan cannot know whether a word is rare (an index of its matches) or frequent (the
-- latest memories, filtered): planned for each query's own words.
set plan_cache_mode = force_custom_plan
-- Each read stops at 50-100 rows; starting parallel workers for it cost more than the read (20-50
-- ms on a busy machine at a million memories, docs/benchmarks.md "Memory").
set max_parallel_workers_per_gather = 0
as $$
declare
  -- A read equal to a longer one of the same query returns a part of its rows: it is not made
  -- (a one-word query: its words all and any are the same query; the result is the same union).
  v_all tsquery := case when p_all = p_any then null else p_all end;
  v_ident tsquery := case when p_ident = p_any or p_ident = p_all then null else p_ident end;
  v_nearest bigint[];
  v_stored integer;
  v_tagged bigint[];  -- with p_tags: the ids of the memories carrying them, when few (below)
  v_ef_search text;  -- the caller's settings, put back after the read (set_config is transaction-wide)
  v_iterative_scan text;
  v_random_page_cost text;
  -- The HNSW read's search width, its one setting: 96 for the 50 nearest. Chosen on the final
  -- result, not on the read: at a million memories with text-derived vectors on 100,000, the
  -- hybrid top 10 holds 0.794-0.802 of the top 10 the same ranking gives with an exact vector
  -- read, against 0.812-0.819 with 128 (two sets of 300 queries), for about 1.5 ms less server
  -- CPU per recall; 80 loses 3-4 points, 64 five (docs/benchmarks.md, "Hybrid recall: the final
  -- result against ef_search").
  c_ef_search constant text := '96';
begin
  if p_embedding is not null then
    -- Only reached where the embedding column exists (coord.vectors_available()). An index
    -- returns the nearest vectors of every tenant and the filters come after it: where the
    -- visible ones are few among many nearer vectors (a small tenant, repository, tier or tag
    -- beside a big one, someone else's private memories, expired ones) the approximate read
    -- could return none of them. So a repository with few embeddings is scanned exactly (its
    -- vectors counted from an index, up to the bound: at most 2000 distances), a larger one
    -- through HNSW with an iterative scan that keeps reading past the filtered-out rows (up to
    -- hnsw.max_scan_tuples, the server's setting), and when that still finds fewer than 50 the
    -- visible vectors are few or far: they are scanned exactly too (the filters first).
    select pg_catalog.count(*)::integer into v_stored
    from (select from coord.memories as m
          where m.tenant_id = p_tenant_id and m.repository = p_repository and m.embedding is not null
          limit 2001) as s;
    if v_stored > 2000 then
      v_ef_search := pg_catalog.current_setting('hnsw.ef_search', true);
      v_iterative_scan := pg_catalog.current_setting('hnsw.iterative_scan', true);
      perform pg_catalog.set_config('hnsw.ef_search', c_ef_search, true);
      perform pg_catalog.set_config('hnsw.iterative_scan', 'relaxed_order', true);
      v_nearest := array(
        select m.id from coord.memories as m
        where m.tenant_id = p_tenant_id and m.repository = p_repository and m.embedding is not null
          and (m.expires_at is null or m.expires_at > p_now)
          and (p_tiers is null or m.tier = any (p_tiers))
          and (p_tags is null or m.tags @> p_tags)
          and (m.visibility = 'tenant' or m.author_id = p_principal_id
               or m.visibility = 'team' and (m.team_id = p_team_id or p_sees_teams))
        order by m.embedding operator(vector.<=>) p_embedding::vector.vector limit 50);
      perform pg_catalog.set_config('hnsw.ef_search', v_ef_search, true);
      perform pg_catalog.set_config('hnsw.iterative_scan', v_iterative_scan, true);
    end if;
    if v_nearest is null or pg_catalog.cardinality(v_nearest) < 50 then
      -- Exact: the visible vectors first (materialized, so no plan can order them by the index).
      v_nearest := array(
        with visible as materialized (
          select m.id, m.embedding from coord.memories as m
          where m.tenant_id = p_tenant_id and m.repository = p_repository and m.embedding is not null
            and (m.expires_at is null or m.expires_at > p_now)
            and (p_tiers is null or m.tier = any (p_tiers))
            and (p_tags is null or m.tags @> p_tags)
            and (m.visibility = 'tenant' or m.author_id = p_principal_id
                 or m.visibility = 'team' and (m.team_id = p_team_id or p_sees_teams))
        )
        select v.id from visible as v order by v.embedding operator(vector.<=>) p_embedding::vector.vector limit 50);
    end if;
  end if;

  if p_tags is not null then
    -- The planner has no statistics for a tag few memories carry (or none): it takes it for a
    -- common one and walks the memories from the newest, testing each, through all of them when
    -- fewer than a read's limit match (1.1 s at a million, docs/benchmarks.md "Hybrid recall at a
    -- million memories"). So the tagged memories are looked up in the tags index first, up to
    -- 2,000; when that is all of them, the reads below take them by id.
    v_tagged := array(
      select m.id from coord.memories as m
      where m.tenant_id = p_tenant_id and m.repository = p_repository and m.tags @> p_tags
      limit 2001);
    if pg_catalog.cardinality(v_tagged) > 2000 then
      v_tagged := null;
    end if;
  end if;

  -- The text reads are planned as if a page read at random cost 1.1 sequential ones (4 by
  -- default): the memories' heap and indexes are in the buffers (coord up gives the server a
  -- quarter of the memory), and at 4 the planner walked tens of thousands of memories back from
  -- the newest for the 100 latest matches of words in 0.1-0.5% of them, where reading those
  -- matches through the GIN index costs less. The same rows either way; at a million memories
  -- text recall's server CPU p95 fell by 1-3 ms and p99 by 6-24 (docs/benchmarks.md, "Recall
  -- after writes"). Only these reads: the vector read above keeps the server's setting.
  v_random_page_cost := pg_catalog.current_setting('random_page_cost');
  perform pg_catalog.set_config('random_page_cost', '1.1', true);
  return query
  with visible as not materialized (
    select m.id, m.search, m.last_seen_at from coord.memories as m
    where m.tenant_id = p_tenant_id and m.repository = p_repository
      and (m.expires_at is null or m.expires_at > p_now)
      and (p_tiers is null or m.tier = any (p_tiers))
      and (p_tags is null or m.tags @> p_tags)
      and (v_tagged is null or m.id = any (v_tagged))
      and (m.visibility = 'tenant' or m.author_id = p_principal_id
           or m.visibility = 'team' and (m.team_id = p_team_id or p_sees_teams))
  )
  (select v.id from visible as v where v.search @@ v_all order by v.id desc limit 100)
  union
  (select v.id from visible as v where v.search @@ p_any order by v.id desc limit 100)
  union
  (select v.id from visible as v where v.search @@ v_ident order by v.id desc limit 50)
  union
  (select v.id from visible as v where p_recent order by v.last_seen_at desc limit 200)
  union
  select pg_catalog.unnest(v_nearest);
  perform pg_catalog.set_config('random_page_cost', v_random_page_cost, true);
end;
$$;

comment on function coord.memory_candidates(uuid, text, uuid, uuid, boolean, text[], text[], timestamptz, tsquery, tsquery, tsquery, real[], boolean) is 'Ids of the memories a recall ranks: visible to the principal (its own, the tenant''s, its team''s or with p_sees_teams every team''s), not expired, of p_tiers with all p_tags, in the repository; at most 100 latest matching p_all, 100 latest matching p_any, 50 latest matching p_ident, 50 nearest visible to p_embedding (exact where few, else HNSW), or with p_recent the 200 latest remembered. Runs as coord_auth (indexes under RLS); coord.rank_memories only.';
revoke all on function coord.memory_candidates(uuid, text, uuid, uuid, boolean, text[], text[], timestamptz, tsquery, tsquery, tsquery, real[], boolean) from public;
grant execute on function coord.memory_candidates(uuid, text, uuid, uuid, boolean, text[], text[], timestamptz, tsquery, tsquery, tsquery, real[], boolean) to coord_owner;
