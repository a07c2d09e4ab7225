-- The shape every list argument of the api has: one dimension, indexed from 1, no null
-- elements. JSON [["a"]] and psql '{{a}}' arrive as two-dimensional arrays and '[0:1]={a,b}'
-- starts at 0; functions that search (<@, array_position) or loop over 1..cardinality would
-- fail (0A000) or skip elements on them. Counts and element formats are each argument's own
-- checks; an empty list passes here.
create or replace function coord.check_list(p_value anyarray, p_what text)
returns void
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  if p_value is null or pg_catalog.cardinality(p_value) = 0 then
    return;
  end if;
  if pg_catalog.array_ndims(p_value) > 1 then
    perform coord.fail('CO241', format('%s has %s dimensions', p_what, pg_catalog.array_ndims(p_value)));
  end if;
  if pg_catalog.array_lower(p_value, 1) <> 1 then
    perform coord.fail('CO241', format('%s starts at index %s', p_what, pg_catalog.array_lower(p_value, 1)));
  end if;
  if pg_catalog.array_position(p_value, null) is not null then
    perform coord.fail('CO241', format('%s has a null at position %s', p_what, pg_catalog.array_position(p_value, null)));
  end if;
end;
$$;

comment on function coord.check_list(anyarray, text) is 'CO241 unless the list is null, empty, or one-dimensional, indexed from 1 and free of nulls; p_what names it in the detail.';
revoke all on function coord.check_list(anyarray, text) from public;
