-- Recall: the memories p_me may see in its repository, ranked. Candidates come from the
-- indexes (full text, trigram, and the HNSW index of embeddings when a vector is given; the
-- most recently remembered when neither query nor vector is), at most 200 from each; each
-- candidate is then scored:
--   relevance  query only: 0.6 text_rank + 0.4 trigram; vector only: vector_similarity;
--              both: 0.5 text + 0.5 vector; neither: 1
--   text_rank  ts_rank_cd of the content against the query's words (any of them), capped at 1
--   trigram    pg_trgm word_similarity of the query within the content (identifiers, paths)
--   recency    0.5 ^ (time since last remembered / the tier's half-life)
--   score      relevance x (0.3 + 0.7 recency) x (0.3 + 0.7 importance)
-- so an old or unimportant memory that matches well still beats a fresh one that does not.
-- The weights were tuned on the tuning half of bench/data/memory_quality.json only
-- (docs/benchmarks.md). Read-only: recalling changes nothing.
create or replace function coord.rank_memories(
  p_me coord.caller,
  p_query text,
  p_embedding real[],
  p_tiers text[],
  p_tags text[],
  p_limit integer
)
returns table (
  memory_id bigint,
  tier text,
  visibility text,
  author text,
  content text,
  tags text[],
  importance real,
  metadata jsonb,
  seen_count integer,
  created_at timestamptz,
  last_seen_at timestamptz,
  expires_at timestamptz,
  score double precision,
  relevance double precision,
  text_rank double precision,
  trigram double precision,
  vector_similarity double precision,
  recency double precision,
  ranking text,
  note text
)
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_now timestamptz := coord.now();
  v_team uuid := coord.memory_team(p_me);
  v_query text := nullif(btrim(p_query), '');
  v_tsq tsquery;
  v_vectors boolean := p_embedding is not null and coord.vectors_available();
  v_ranking text;
  v_note text;
begin
  if v_query is not null then
    -- Any of the query's words: recall wants the memories that share some, ranked, not only
    -- those that contain all of them.
    v_tsq := pg_catalog.replace(pg_catalog.websearch_to_tsquery('english'::regconfig, v_query)::text, ' & ', ' | ')::tsquery;
    if pg_catalog.numnode(v_tsq) = 0 then
      v_tsq := null;
    end if;
    perform pg_catalog.set_config('pg_trgm.word_similarity_threshold', '0.5', true);
  end if;
  v_ranking := case when v_query is not null and v_vectors then 'hybrid'
                    when v_query is not null then 'text'
                    when v_vectors then 'vector'
                    else 'recency' end;
  if p_embedding is not null and not v_vectors then
    v_note := 'pgvector is not installed on this server: the embedding was not used';
  end if;

  if v_vectors then
    perform pg_catalog.set_config('hnsw.ef_search', '200', true);
    perform pg_catalog.set_config('hnsw.iterative_scan', 'relaxed_order', true);
    return query
    with visible as not materialized (
      select m.* from coord.memories as m
      where m.tenant_id = p_me.tenant_id and m.repository = p_me.repository
        and (m.expires_at is null or m.expires_at > v_now)
        and (p_tiers is null or m.tier = any (p_tiers))
        and (p_tags is null or m.tags @> p_tags)
        and (m.visibility = 'tenant' or m.author_id = p_me.principal_id
             or m.visibility = 'team' and (m.team_id = v_team or p_me.role <> 'agent'))
    ), candidates as (
      (select v.id from visible as v where v.search @@ v_tsq
       order by pg_catalog.ts_rank_cd(v.search, v_tsq) desc limit 200)
      union
      (select v.id from visible as v where v_query is not null and v_query operator(trgm.<%) v.content
       order by trgm.word_similarity(v_query, v.content) desc limit 200)
      union
      (select v.id from visible as v where v.embedding is not null
       order by v.embedding operator(vector.<=>) p_embedding::vector.vector limit 200)
    ), parts as (
      select m.*,
             least(1.0, coalesce(pg_catalog.ts_rank_cd(m.search, v_tsq), 0))::double precision as p_text,
             case when v_query is null then 0 else trgm.word_similarity(v_query, m.content) end::double precision as p_trgm,
             greatest(0.0, 1.0 - (m.embedding operator(vector.<=>) p_embedding::vector.vector))::double precision as p_vec,
             pg_catalog.power(0.5, extract(epoch from greatest(interval '0', v_now - m.last_seen_at))
                                   / extract(epoch from t.half_life))::double precision as p_recency
      from candidates as c
      join coord.memories as m on m.id = c.id
      join coord.memory_tiers as t on t.tier = m.tier
    ), scored as (
      select p.*,
             case when v_query is null then coalesce(p.p_vec, 0)
                  else 0.5 * (0.6 * p.p_text + 0.4 * p.p_trgm) + 0.5 * coalesce(p.p_vec, 0) end as p_relevance
      from parts as p
    )
    select s.id, s.tier, s.visibility, a.name, s.content, s.tags, s.importance, s.metadata, s.seen_count,
           s.created_at, s.last_seen_at, s.expires_at,
           s.p_relevance * (0.3 + 0.7 * s.p_recency) * (0.3 + 0.7 * s.importance),
           s.p_relevance, case when v_query is null then null else s.p_text end,
           case when v_query is null then null else s.p_trgm end, s.p_vec, s.p_recency, v_ranking, v_note
    from scored as s
    join coord.principals as a on a.tenant_id = s.tenant_id and a.id = s.author_id
    order by 13 desc, s.id desc
    limit p_limit;
    return;
  end if;

  return query
  with visible as not materialized (
    select m.* from coord.memories as m
    where m.tenant_id = p_me.tenant_id and m.repository = p_me.repository
      and (m.expires_at is null or m.expires_at > v_now)
      and (p_tiers is null or m.tier = any (p_tiers))
      and (p_tags is null or m.tags @> p_tags)
      and (m.visibility = 'tenant' or m.author_id = p_me.principal_id
           or m.visibility = 'team' and (m.team_id = v_team or p_me.role <> 'agent'))
  ), candidates as (
    (select v.id from visible as v where v.search @@ v_tsq
     order by pg_catalog.ts_rank_cd(v.search, v_tsq) desc limit 200)
    union
    (select v.id from visible as v where v_query is not null and v_query operator(trgm.<%) v.content
     order by trgm.word_similarity(v_query, v.content) desc limit 200)
    union
    (select v.id from visible as v where v_query is null
     order by v.last_seen_at desc limit 200)
  ), parts as (
    select m.*,
           least(1.0, coalesce(pg_catalog.ts_rank_cd(m.search, v_tsq), 0))::double precision as p_text,
           case when v_query is null then 0 else trgm.word_similarity(v_query, m.content) end::double precision as p_trgm,
           pg_catalog.power(0.5, extract(epoch from greatest(interval '0', v_now - m.last_seen_at))
                                 / extract(epoch from t.half_life))::double precision as p_recency
    from candidates as c
    join coord.memories as m on m.id = c.id
    join coord.memory_tiers as t on t.tier = m.tier
  ), scored as (
    select p.*,
           case when v_query is null then 1.0 else 0.6 * p.p_text + 0.4 * p.p_trgm end::double precision as p_relevance
    from parts as p
  )
  select s.id, s.tier, s.visibility, a.name, s.content, s.tags, s.importance, s.metadata, s.seen_count,
         s.created_at, s.last_seen_at, s.expires_at,
         s.p_relevance * (0.3 + 0.7 * s.p_recency) * (0.3 + 0.7 * s.importance),
         s.p_relevance, case when v_query is null then null else s.p_text end,
         case when v_query is null then null else s.p_trgm end, null::double precision, s.p_recency,
         v_ranking, v_note
  from scored as s
  join coord.principals as a on a.tenant_id = s.tenant_id and a.id = s.author_id
  order by 13 desc, s.id desc
  limit p_limit;
end;
$$;

comment on function coord.rank_memories(coord.caller, text, real[], text[], text[], integer) is 'The memories p_me may see in its repository (its own, its team''s, the tenant''s; not expired; of p_tiers, carrying all p_tags), ranked by score = relevance x (0.3 + 0.7 recency) x (0.3 + 0.7 importance) with the parts; relevance from full text and trigram similarity to p_query and, where pgvector is installed, cosine similarity to p_embedding (ranking says which: text, vector, hybrid, or recency when neither is given; note says when an embedding could not be used).';
revoke all on function coord.rank_memories(coord.caller, text, real[], text[], text[], integer) from public;
