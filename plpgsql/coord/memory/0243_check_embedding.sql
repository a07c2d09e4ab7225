-- Embeddings are the caller's (no model runs in the database): 384 finite numbers, the size of
-- the small sentence-embedding models, fixed so that one index serves every memory.
create or replace function coord.check_embedding(p_embedding real[])
returns void
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  if p_embedding is null then
    return;
  end if;
  perform coord.check_list(p_embedding, 'embedding');
  if cardinality(p_embedding) <> 384 then
    perform coord.fail('CO447', format('%s dimensions', cardinality(p_embedding)));
  end if;
  if exists (select from unnest(p_embedding) as x where x in ('NaN'::real, 'Infinity'::real, '-Infinity'::real)) then
    perform coord.fail('CO447', 'a dimension is not a finite number');
  end if;
  if not exists (select from unnest(p_embedding) as x where x <> 0) then
    perform coord.fail('CO447', 'the zero vector has no direction');
  end if;
end;
$$;

comment on function coord.check_embedding(real[]) is 'CO447 unless p_embedding is null or 384 finite numbers, not all zero; CO241 unless a flat list.';
revoke all on function coord.check_embedding(real[]) from public;
