-- How many embeddings a tenant has in a repository, read from an index alone: recall counts
-- them (up to a bound) to choose between an exact nearest-neighbour scan and the HNSW index
-- (coord.memory_candidates). Only where the embedding column exists (pgvector installed).
do $vectors$
begin
  if not exists (select from pg_catalog.pg_attribute as a
                 where a.attrelid = 'coord.memories'::pg_catalog.regclass and a.attname = 'embedding'
                   and not a.attisdropped) then
    return;
  end if;
  create index memories_vectors_idx on coord.memories (tenant_id, repository) where embedding is not null;
  comment on index coord.memories_vectors_idx is 'The memories with an embedding, by tenant and repository: recall counts them to choose an exact scan for a small set (coord.memory_candidates).';
end
$vectors$;
