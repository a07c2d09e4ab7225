-- Enclosing directories of a canonical path, shallow to deep, each with its trailing '/':
-- a/b/c.py -> {a/, a/b/}; a/b/ -> {a/}.
create or replace function coord.path_ancestors(p_path text)
returns text[]
language sql
immutable
parallel safe
set search_path = pg_catalog, pg_temp
as $$
  select coalesce(array_agg(array_to_string(parts[1:i], '/') || '/' order by i), '{}')
  from string_to_array(rtrim(p_path, '/'), '/') as parts,
       generate_series(1, cardinality(parts) - 1) as i;
$$;

comment on function coord.path_ancestors(text) is 'Enclosing directory paths of a canonical path (each ending in /), shallow to deep.';
revoke all on function coord.path_ancestors(text) from public;
