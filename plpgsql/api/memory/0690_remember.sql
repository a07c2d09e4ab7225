create or replace function api.remember(
  p_tier text,
  p_content text,
  p_tags text[] default '{}',
  p_importance real default 0.5,
  p_ttl interval default null,
  p_metadata jsonb default '{}',
  p_embedding real[] default null,
  p_visibility text default 'private'
)
returns api.result
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := coord.principal();
  v_tier coord.memory_tiers := coord.check_memory_tier(p_tier);
  v_tags text[] := coord.check_memory_tags(p_tags);
  v_now timestamptz := coord.now();
  v_ttl interval := coalesce(p_ttl, v_tier.default_ttl);
  v_expires timestamptz;
  v_hash bytea;
  v_team uuid;
  v_decision authz.decision;
  v_existing coord.memories;
  v_id bigint;
  v_code text;
  v_vectors boolean := coord.vectors_available();
begin
  if p_content is null or char_length(p_content) not between 1 and 10000 or btrim(p_content) = '' then
    perform coord.fail('CO443', format('content of %s characters', coalesce(char_length(p_content), 0)));
  end if;
  if p_importance is null or not (p_importance between 0 and 1) then
    perform coord.fail('CO444', format('importance %s', coalesce(p_importance::text, 'null')));
  end if;
  if v_ttl is not null then
    perform coord.check_interval(v_ttl, 'CO445', format('ttl of a %s memory', v_tier.tier), interval '1 second',
                                 v_tier.max_ttl);
    v_expires := v_now + v_ttl;
  end if;
  if p_metadata is null or jsonb_typeof(p_metadata) <> 'object' then
    perform coord.fail('CO440', 'metadata must be a JSON object');
  end if;
  perform coord.check_json(p_metadata, 'metadata', 16384);
  perform coord.check_embedding(p_embedding);
  if p_visibility is null or p_visibility not in ('private', 'team', 'tenant') then
    perform coord.fail('CO449', format('visibility %s', coalesce(pg_catalog.quote_literal(left(p_visibility, 100)), 'null')));
  end if;
  if p_visibility = 'team' then
    v_team := coord.memory_team(v_me);
    if v_team is null then
      perform coord.fail('CO449', format('a %s has no team: only agents share with their team (their profile)', v_me.role));
    end if;
  end if;
  v_hash := pg_catalog.sha256(pg_catalog.convert_to(p_content, 'UTF8'));

  v_decision := authz.gate('memory.remember', 'memory', null,
    jsonb_build_object('tier', v_tier.tier, 'visibility', p_visibility));
  if not v_decision.allowed then
    return coord.result(p_refusal => v_decision);
  end if;

  -- The same content from the same author within the tier's dedup window reinforces the memory
  -- it already is. Serialized per author and content, so two concurrent calls add one row.
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended(
    'coord.memories:' || v_me.tenant_id::text || ':' || v_me.principal_id::text || ':' || pg_catalog.encode(v_hash, 'hex'), 0));
  select m.* into v_existing from coord.memories as m
  where m.tenant_id = v_me.tenant_id and m.author_id = v_me.principal_id and m.content_hash = v_hash
    and m.repository = v_me.repository and m.tier = v_tier.tier
    and m.last_seen_at > v_now - v_tier.dedup_window
    and (m.expires_at is null or m.expires_at > v_now)
  order by m.id desc
  limit 1
  for update;

  if found then
    -- The merged metadata is held to the same 16 KiB as one call's: reinforcing with new keys
    -- again and again must not grow it past the limit (the table's check would say 23514).
    perform coord.check_json(v_existing.metadata || p_metadata, 'metadata merged with that of the memory reinforced',
                             16384);
    update coord.memories as m
    set importance = greatest(m.importance, p_importance),
        last_seen_at = v_now,
        seen_count = m.seen_count + 1,
        tags = array(select distinct t from unnest(m.tags || v_tags) as t order by t limit 32),
        metadata = m.metadata || p_metadata,
        expires_at = case when m.expires_at is null or v_expires is null then null
                          else greatest(m.expires_at, v_expires) end,
        visibility = p_visibility,
        team_id = v_team
    where m.id = v_existing.id;
    v_id := v_existing.id;
    v_code := 'reinforced';
  else
    insert into coord.memories (tenant_id, author_id, session_id, repository, tier, visibility, team_id, content,
                                content_hash, tags, importance, metadata, created_at, last_seen_at, expires_at)
    values (v_me.tenant_id, v_me.principal_id, v_me.session_id, v_me.repository, v_tier.tier, p_visibility, v_team,
            p_content, v_hash, v_tags, p_importance, p_metadata, v_now, v_now, v_expires)
    returning id into v_id;
    v_code := 'remembered';
  end if;
  if p_embedding is not null and v_vectors then
    -- Dynamic only because the column exists only where pgvector is installed.
    execute 'update coord.memories set embedding = $1::vector.vector where id = $2' using p_embedding, v_id;
  end if;
  -- The place for the memory.new event of the event stream, once it exists.
  perform audit.record('memory.remember', v_code, 'memory', v_id::text, null,
    jsonb_strip_nulls(jsonb_build_object('tier', v_tier.tier, 'visibility', p_visibility, 'repository', v_me.repository,
      'characters', char_length(p_content), 'tags', cardinality(v_tags), 'importance', p_importance,
      'expires_at', v_expires, 'embedding', p_embedding is not null and v_vectors)), v_decision);
  return coord.result(v_code, p_details => jsonb_strip_nulls(jsonb_build_object(
    'memory_id', v_id, 'tier', v_tier.tier, 'visibility', p_visibility, 'expires_at', v_expires,
    'seen_count', case when v_code = 'reinforced' then v_existing.seen_count + 1 else 1 end,
    'embedding_stored', p_embedding is not null and v_vectors,
    'note', case when p_embedding is not null and not v_vectors
                 then 'pgvector is not installed on this server: the embedding was not stored' end)));
end;
$$;

comment on function api.remember(text, text, text[], real, interval, jsonb, real[], text) is
'Remembers content (1-10000 characters) in your repository, in a tier: working (scratch; expires, ttl default 1 hour, at most 7 days), episodic (what happened; removed 180 days after last remembered), procedural (how-to) or semantic (facts); tags (at most 32), importance 0-1, ttl (at most 10 years), metadata (a JSON object, 16 KiB), an optional embedding of 384 numbers (stored where pgvector is installed; details.note says when not) and visibility: private (default), team (the agents of your profile) or tenant. The same content from you in the same tier within its dedup window (working 1 hour, episodic 1 day, others 30 days) is reinforced instead: code reinforced (importance the higher of the two, seen_count + 1, last seen now, tags and metadata merged); else code remembered. details.memory_id; denied when the policy refuses (details.rule). Errors: CO442 tier, CO443 content, CO444 importance, CO445 ttl, CO446 tags, CO447 embedding, CO440 metadata, CO449 visibility, CO241, CO242, CO404 (metadata over 16 KiB, also once merged with the reinforced memory''s).';
revoke all on function api.remember(text, text, text[], real, interval, jsonb, real[], text) from public;
grant execute on function api.remember(text, text, text[], real, interval, jsonb, real[], text) to coord_agent, coord_operator;
