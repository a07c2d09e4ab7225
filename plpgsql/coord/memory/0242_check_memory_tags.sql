-- Tags label memories for filtering: short words or paths, at most 32 per memory.
create or replace function coord.check_memory_tags(p_tags text[])
returns text[]
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_bad text;
begin
  if p_tags is null then
    return '{}';
  end if;
  perform coord.check_list(p_tags, 'tags');
  if cardinality(p_tags) > 32 then
    perform coord.fail('CO446', format('%s tags', cardinality(p_tags)));
  end if;
  select t into v_bad from unnest(p_tags) as t where t !~ '^[^[:cntrl:][:space:]]{1,100}$' limit 1;
  if found then
    perform coord.fail('CO446', format('tag %s', pg_catalog.quote_literal(left(v_bad, 100))));
  end if;
  return array(select distinct t from unnest(p_tags) as t order by t);
end;
$$;

comment on function coord.check_memory_tags(text[]) is 'p_tags sorted and without duplicates (empty for null); CO446 unless at most 32 tags of 1-100 characters without spaces or control characters; CO241 unless a flat list.';
revoke all on function coord.check_memory_tags(text[]) from public;
