create or replace function api.list_memories(
  p_tiers text[] default null,
  p_tags text[] default null,
  p_mine boolean default false,
  p_limit integer default 100,
  p_before_id bigint default null
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
  expires_at timestamptz
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
  v_team uuid := coord.memory_team(v_me);
  v_tags text[];
  v_now timestamptz := coord.now();
begin
  perform coord.check_limit(p_limit);
  if p_tiers is not null then
    perform coord.check_list(p_tiers, 'tiers');
    perform coord.check_memory_tier(t) from unnest(p_tiers) as t;
  end if;
  if p_tags is not null then
    v_tags := coord.check_memory_tags(p_tags);
  end if;
  return query
  select m.id, m.tier, m.visibility, a.name, m.content, m.tags, m.importance, m.metadata, m.seen_count,
         m.created_at, m.last_seen_at, m.expires_at
  from coord.memories as m
  join coord.principals as a on a.tenant_id = m.tenant_id and a.id = m.author_id
  where m.tenant_id = v_me.tenant_id and m.repository = v_me.repository
    and (m.expires_at is null or m.expires_at > v_now)
    and (p_tiers is null or m.tier = any (p_tiers))
    and (v_tags is null or m.tags @> v_tags)
    and (p_before_id is null or m.id < p_before_id)
    and (m.author_id = v_me.principal_id
         or not coalesce(p_mine, false)
            and (m.visibility = 'tenant' or m.visibility = 'team' and (m.team_id = v_team or v_me.role <> 'agent')))
  order by m.id desc
  limit p_limit;
end;
$$;

comment on function api.list_memories(text[], text[], boolean, integer, bigint) is
'The memories you may see in your repository (yours, your team''s, the tenant''s; p_mine: only yours), newest first, of p_tiers, carrying all p_tags; page with p_before_id. Read-only. Errors: CO442 tier, CO446 tags, CO224 limit, PT403.';
revoke all on function api.list_memories(text[], text[], boolean, integer, bigint) from public;
grant execute on function api.list_memories(text[], text[], boolean, integer, bigint) to coord_agent, coord_operator, coord_auditor;
