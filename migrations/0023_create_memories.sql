-- coord:superuser
-- Agents' memory: what an agent (or its team, or its tenant) remembers across sessions, in four
-- tiers (coord.memory_tiers), recalled by text relevance, recency and importance, and by
-- embedding similarity where pgvector is installed.
-- Superuser because of the extensions. pg_trgm (word similarity, part of every recall score)
-- ships with every PostgreSQL build (contrib);
-- pgvector is optional: where the server lacks it (Debian's PostgreSQL 15 without
-- postgresql-15-pgvector) the embedding column and its index are not created and recall ranks
-- by text only, saying so in its rows (api.recall). Each extension lives in a schema of its
-- own, as dblink does, so the product schemas hold only product code.

create schema if not exists trgm;
revoke all on schema trgm from public;
do $trgm$
begin
  if exists (select from pg_catalog.pg_extension as e join pg_catalog.pg_namespace as n on n.oid = e.extnamespace
             where e.extname = 'pg_trgm' and n.nspname <> 'trgm') then
    raise exception 'pg_trgm is installed in another schema of this database'
      using hint = 'move it with: alter extension pg_trgm set schema trgm (create schema trgm first), then migrate again';
  end if;
end
$trgm$;
create extension if not exists pg_trgm schema trgm;
-- Extension functions are executable by PUBLIC (set_limit changes a setting): only the owner roles.
revoke all on all functions in schema trgm from public;
grant usage on schema trgm to coord_owner;
grant execute on all functions in schema trgm to coord_owner;

create table coord.memories (
  tenant_id uuid not null,  -- the author key below cascades from the tenant (no key of its own: test_hot_paths)
  id bigint generated always as identity primary key,
  author_id uuid not null,
  session_id uuid,
  repository text collate "C" not null default 'default',
  tier text not null,
  visibility text not null default 'private',
  team_id uuid,
  content text not null,
  content_hash bytea not null,
  tags text[] not null default '{}',
  importance real not null default 0.5,
  metadata jsonb not null default '{}',
  seen_count integer not null default 1,
  created_at timestamptz not null,
  last_seen_at timestamptz not null,
  expires_at timestamptz,
  -- English words, plus the parts of identifiers and paths (claimTask, claim_task and
  -- src/claim/task.py all give claim and task), so a query naming one finds the others.
  search tsvector generated always as (
    to_tsvector('english'::regconfig, content)
    || to_tsvector('simple'::regconfig, regexp_replace(regexp_replace(content, '([[:lower:]])([[:upper:]])', '\1 \2', 'g'),
                                                       '[/._:-]+', ' ', 'g'))) stored,
  constraint memories_author_fkey foreign key (tenant_id, author_id)
    references coord.principals (tenant_id, id) on delete cascade,
  constraint memories_team_fkey foreign key (tenant_id, team_id)
    references coord.profiles (tenant_id, id) on delete cascade,
  constraint memories_tier_check check (tier in ('episodic', 'working', 'procedural', 'semantic')),
  constraint memories_visibility_check check (
    visibility in ('private', 'tenant') and team_id is null or visibility = 'team' and team_id is not null),
  constraint memories_repository_check check (repository ~ '^[a-z0-9][a-z0-9_.-]{0,62}$'),
  constraint memories_content_check check (char_length(content) between 1 and 10000),
  constraint memories_tags_check check (cardinality(tags) <= 32),
  constraint memories_importance_check check (importance between 0 and 1),
  constraint memories_metadata_check check (jsonb_typeof(metadata) = 'object' and octet_length(metadata::text) <= 16384),
  constraint memories_working_expires_check check (tier <> 'working' or expires_at is not null)
);
comment on table coord.memories is 'What agents remember: a tier (episodic, working, procedural, semantic), content with tags, importance and metadata, visible to its author, its team (the author''s profile) or its tenant. The same content remembered again by its author is reinforced (seen_count, last_seen_at), not stored twice.';
comment on column coord.memories.team_id is 'For visibility team: the profile the author acted under when remembering; agents acting under it recall the memory.';
comment on column coord.memories.content_hash is 'sha256 of the content: remembering the same content again within the dedup window reinforces this row.';
comment on column coord.memories.last_seen_at is 'When the memory was last remembered (created or reinforced): recency decays from here.';
comment on column coord.memories.expires_at is 'When it stops being recalled and coord maintain removes it (working memories always expire).';

create index memories_tenant_id_idx on coord.memories (tenant_id, repository, id desc);
create index memories_dedup_idx on coord.memories (tenant_id, author_id, content_hash);
create index memories_expires_idx on coord.memories (tenant_id, expires_at) where expires_at is not null;
create index memories_tier_seen_idx on coord.memories (tenant_id, tier, last_seen_at);
create index memories_search_idx on coord.memories using gin (search);
create index memories_tags_idx on coord.memories using gin (tags);

-- pgvector where the server has it: a fixed 384 dimensions (small sentence-embedding models;
-- api.remember refuses another size with CO447) and an HNSW index for cosine distance.
create schema if not exists vector;
revoke all on schema vector from public;
grant usage on schema vector to coord_owner, coord_auth;
do $vector$
begin
  if not exists (select from pg_catalog.pg_available_extensions where name = 'vector') then
    raise notice 'pgvector is not available on this server: memories are recalled by text only';
    return;
  end if;
  if exists (select from pg_catalog.pg_extension as e join pg_catalog.pg_namespace as n on n.oid = e.extnamespace
             where e.extname = 'vector' and n.nspname <> 'vector') then
    raise exception 'pgvector is installed in another schema of this database'
      using hint = 'move it with: alter extension vector set schema vector, then migrate again';
  end if;
  create extension if not exists vector schema vector;
  revoke all on all functions in schema vector from public;
  grant execute on all functions in schema vector to coord_owner, coord_auth;
  alter table coord.memories add column embedding vector.vector(384);
  comment on column coord.memories.embedding is 'The caller''s embedding of the content (384 dimensions), for hybrid recall; null when none was given.';
  create index memories_embedding_idx on coord.memories using hnsw (embedding vector.vector_cosine_ops);
end
$vector$;

alter table coord.memories owner to coord_owner;
