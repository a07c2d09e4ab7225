-- Whether this install stores embeddings: the migration adds the column only where pgvector is
-- available (migrations/0023_create_memories.sql).
create or replace function coord.vectors_available()
returns boolean
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  select exists (select from pg_catalog.pg_attribute as a
                 where a.attrelid = 'coord.memories'::pg_catalog.regclass and a.attname = 'embedding'
                   and not a.attisdropped);
$$;

comment on function coord.vectors_available() is 'True when coord.memories has its embedding column (pgvector was available when the memory tables were created).';
revoke all on function coord.vectors_available() from public;
