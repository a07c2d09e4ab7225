-- Enclosing directories of a canonical path, shallow to deep, each with its trailing '/':
-- a/b/c.py -> {a/, a/b/}; a/b/ -> {a/}. PL/pgSQL, as coord.covering_paths: every lock decision
-- calls it, and a SQL function with a SET clause is planned on every call.
create or replace function coord.path_ancestors(p_path text)
returns text[]
language plpgsql
immutable
parallel safe
set search_path = pg_catalog, pg_temp
as $$
declare
  v_parts text[] := pg_catalog.string_to_array(pg_catalog.rtrim(p_path, '/'), '/');
  v_dir text := '';
  v_paths text[] := '{}';
begin
  for i in 1 .. coalesce(pg_catalog.cardinality(v_parts), 0) - 1 loop
    v_dir := v_dir || v_parts[i] || '/';
    v_paths := v_paths || v_dir;
  end loop;
  return v_paths;
end;
$$;

comment on function coord.path_ancestors(text) is 'Enclosing directory paths of a canonical path (each ending in /), shallow to deep.';
revoke all on function coord.path_ancestors(text) from public;
