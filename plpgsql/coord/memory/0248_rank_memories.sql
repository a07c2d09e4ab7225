-- Recall: the memories p_me may see in its repository, ranked. The candidates come from the
-- indexes, a bounded number from each (coord.memory_candidates), so a recall costs about the
-- same at a million memories; each candidate is then scored at most once, and its trigram part
-- (word_similarity, the costly part: tens of microseconds a row) only where it can change the
-- result (below). One query ranks for every kind of recall:
--   relevance  query only: 0.3 text_rank + 0.7 trigram; vector only: vector_similarity;
--              both: 0.7 text + 0.3 vector; neither: 1
--   text_rank  ts_rank_cd of the content against the query's words (any of them), capped at 1
--   trigram    pg_trgm word_similarity of the query within the content (identifiers, paths)
--   recency    0.5 ^ (time since last remembered / the tier's half-life)
--   score      relevance x (0.3 + 0.7 recency) x (0.3 + 0.7 importance)
-- so an old or unimportant memory that matches well still beats a fresh one that does not.
-- The weights were chosen on the tuning half of bench/data/memory_quality.json only (bin/bench
-- memory --tune; docs/benchmarks.md). Read-only: recalling changes nothing.
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
  v_tsq_all tsquery;
  v_tsq_ident tsquery;
  v_ident text;
  v_vectors boolean := p_embedding is not null and coord.vectors_available();
  v_ids bigint[];
  v_ranking text;
  v_note text;
  v_vec_ids bigint[];
  v_vec_sims double precision[];
  v_w_text double precision;
  v_w_vec double precision;
  v_w_none double precision;
begin
  if v_query is not null then
    -- Any of the query's words: recall wants the memories that share some, ranked, not only
    -- those that contain all of them.
    v_tsq_all := pg_catalog.websearch_to_tsquery('english'::regconfig, v_query);
    v_tsq := pg_catalog.replace(v_tsq_all::text, ' & ', ' | ')::tsquery;
    if pg_catalog.numnode(v_tsq) = 0 then
      v_tsq := null;
      v_tsq_all := null;
    end if;
    -- Identifiers and paths in the query (a token with _ . / : - or an inner capital), as the
    -- parts coord.memories.search holds for them: all parts of one of them.
    select pg_catalog.string_agg('(' || q::text || ')', ' | ') into v_ident
    from (select pg_catalog.plainto_tsquery('simple'::regconfig,
                   pg_catalog.regexp_replace(pg_catalog.regexp_replace(t[1], '([[:lower:]])([[:upper:]])', '\1 \2', 'g'),
                                             '[/._:-]+', ' ', 'g')) as q
          from pg_catalog.regexp_matches(v_query, '([[:alnum:]]*([_./:-]|[[:lower:]][[:upper:]])[[:alnum:]_./:-]*)', 'g')
               as t) as i
    where pg_catalog.numnode(i.q) > 0;
    v_tsq_ident := v_ident::tsquery;
    v_tsq := case when v_tsq_ident is null then v_tsq when v_tsq is null then v_tsq_ident else v_tsq || v_tsq_ident end;
  end if;
  v_ranking := case when v_query is not null and v_vectors then 'hybrid'
                    when v_query is not null then 'text'
                    when v_vectors then 'vector'
                    else 'recency' end;
  if p_embedding is not null and not v_vectors then
    v_note := 'pgvector is not installed on this server: the embedding was not used';
  end if;
  v_ids := array(select coord.memory_candidates(p_me.tenant_id, p_me.repository, p_me.principal_id, v_team,
                                                p_me.role <> 'agent', p_tiers, p_tags, v_now,
                                                coord.each_word_once(v_tsq_all), v_tsq,
                                                coord.each_word_once(v_tsq_ident), case when v_vectors then p_embedding end,
                                                v_query is null and not v_vectors));

  -- The cosine similarity of each candidate, read apart so that the ranking below names no
  -- column that exists only with pgvector.
  if v_vectors then
    select pg_catalog.array_agg(m.id),
           pg_catalog.array_agg(greatest(0.0, 1.0 - (m.embedding operator(vector.<=>) p_embedding::vector.vector)))
      into v_vec_ids, v_vec_sims
    from coord.memories as m
    where m.tenant_id = p_me.tenant_id and m.id = any (v_ids) and m.embedding is not null;
  end if;
  v_w_text := case v_ranking when 'hybrid' then 0.7 when 'text' then 1.0 else 0.0 end;
  v_w_vec := case v_ranking when 'hybrid' then 0.3 when 'vector' then 1.0 else 0.0 end;
  v_w_none := case v_ranking when 'recency' then 1.0 else 0.0 end;

  -- word_similarity is the costly part (tens of microseconds a row), so it is computed for as
  -- few candidates as the result allows, without changing the result: bound is each score with
  -- trigram = 1 (its largest value, so bound >= score). The 3 x p_limit best bounds are scored
  -- first; the p_limit-th best of their scores is at most the p_limit-th best score overall, so
  -- a candidate whose bound is below it cannot be in the result and is never scored. Three
  -- times the limit, not the limit: with an embedding the best bounds are mostly vector
  -- neighbours without the query's words (a bound near a text match's, a score far below), and
  -- the lowest of p_limit scores let nearly every candidate through (docs/benchmarks.md,
  -- "Hybrid recall: the threshold from three times the limit").
  return query
  with parts as materialized (
    select m.id, m.tenant_id, m.tier, m.visibility, m.author_id, m.content, m.tags, m.importance, m.metadata,
           m.seen_count, m.created_at, m.last_seen_at, m.expires_at,
           least(1.0, coalesce(pg_catalog.ts_rank_cd(m.search, v_tsq), 0))::double precision as p_text,
           case when v_vectors then coalesce(vs.sim, 0) end::double precision as p_vec,
           -- In double precision: extract() returns numeric, and numeric power() cost about 20 us a
           -- candidate, the largest part of scoring them (docs/benchmarks.md, "Recall's recency in
           -- double precision"); date_part() gives the same seconds as a double, within an ulp.
           pg_catalog.power(0.5::double precision,
                            pg_catalog.date_part('epoch', greatest(interval '0', v_now - m.last_seen_at))
                            / pg_catalog.date_part('epoch', t.half_life)) as p_recency
    from coord.memories as m
    join coord.memory_tiers as t on t.tier = m.tier
    left join unnest(v_vec_ids, v_vec_sims) as vs (id, sim) on vs.id = m.id
    where m.tenant_id = p_me.tenant_id and m.id = any (v_ids)
  ), bounded as materialized (
    select p.*,
           (v_w_text * (0.3 * p.p_text + 0.7 * (case when v_query is null then 0 else 1 end)::double precision)
            + v_w_vec * coalesce(p.p_vec, 0) + v_w_none)
           * (0.3 + 0.7 * p.p_recency) * (0.3 + 0.7 * p.importance) as p_bound
    from parts as p
  ), best_bounds as materialized (
    select b.*, (case when v_query is null then 0 else trgm.word_similarity(v_query, b.content) end)::double precision as p_trgm
    from (select * from bounded as b order by b.p_bound desc, b.id desc limit 3 * p_limit) as b
  ), scored_first as (
    select b.*, (v_w_text * (0.3 * b.p_text + 0.7 * b.p_trgm) + v_w_vec * coalesce(b.p_vec, 0) + v_w_none)
                  as p_relevance
    from best_bounds as b
  ), threshold as (
    select min(k.score) as score
    from (select s.p_relevance * (0.3 + 0.7 * s.p_recency) * (0.3 + 0.7 * s.importance) as score
          from scored_first as s order by 1 desc limit p_limit) as k
  ), rest as materialized (
    -- Materialized: as a subquery it was flattened into the select below, and word_similarity
    -- ran twice for each of these candidates (for p_trgm and again inside the relevance).
    select b.*, (case when v_query is null then 0 else trgm.word_similarity(v_query, b.content) end)::double precision as p_trgm
    from bounded as b
    where b.p_bound >= (select h.score from threshold as h)
      and b.id not in (select f.id from best_bounds as f)
  ), scored as (
    select s.* from scored_first as s
    union all
    select r.*, (v_w_text * (0.3 * r.p_text + 0.7 * r.p_trgm) + v_w_vec * coalesce(r.p_vec, 0) + v_w_none)
    from rest as r
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
end;
$$;

comment on function coord.rank_memories(coord.caller, text, real[], text[], text[], integer) is 'The memories p_me may see in its repository (its own, its team''s, the tenant''s; not expired; of p_tiers, carrying all p_tags), ranked by score = relevance x (0.3 + 0.7 recency) x (0.3 + 0.7 importance) with the parts; relevance from full text and trigram similarity to p_query and, where pgvector is installed, cosine similarity to p_embedding (ranking says which: text, vector, hybrid, or recency when neither is given; note says when an embedding could not be used).';
revoke all on function coord.rank_memories(coord.caller, text, real[], text[], text[], integer) from public;
