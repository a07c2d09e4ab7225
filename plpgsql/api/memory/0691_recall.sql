create or replace function api.recall(
  p_query text default null,
  p_tiers text[] default null,
  p_tags text[] default null,
  p_limit integer default 10,
  p_embedding real[] default null
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
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := authz.require_read('memory.read');
  v_tags text[];
begin
  perform coord.check_limit(p_limit);
  if char_length(p_query) > 1000 then
    perform coord.fail('CO439', format('query of %s characters', char_length(p_query)));
  end if;
  if p_tiers is not null then
    perform coord.check_list(p_tiers, 'tiers');
    perform coord.check_memory_tier(t) from unnest(p_tiers) as t;
  end if;
  if p_tags is not null then
    v_tags := coord.check_memory_tags(p_tags);
  end if;
  perform coord.check_embedding(p_embedding);
  return query select * from coord.rank_memories(v_me, p_query, p_embedding, p_tiers, v_tags, p_limit);
end;
$$;

comment on function api.recall(text, text[], text[], integer, real[]) is
'The memories you may see in your repository (yours, your team''s, the tenant''s; not expired), best first: of p_tiers, carrying all p_tags, at most p_limit (1-1000). Each row has its score and the parts of it: score = relevance x (0.3 + 0.7 recency) x (0.3 + 0.7 importance); relevance from text_rank (full text, any word of p_query) and trigram (pg_trgm word similarity, for identifiers and paths), and with p_embedding (384 numbers) vector_similarity (cosine) where pgvector is installed; recency halves every half-life of the tier (coord.memory_tiers). ranking says how rows were ranked (text, vector, hybrid, or recency when neither query nor embedding is given); note says when the embedding could not be used (no pgvector). Read-only. Errors: CO439 query over 1000 characters, CO442 tier, CO446 tags, CO447 embedding, CO224 limit, PT403.';
revoke all on function api.recall(text, text[], text[], integer, real[]) from public;
grant execute on function api.recall(text, text[], text[], integer, real[]) to coord_agent, coord_operator, coord_auditor;
