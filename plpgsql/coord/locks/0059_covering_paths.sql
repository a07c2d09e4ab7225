-- Every stored spelling of a lock that covers a canonical path: its node and each enclosing
-- directory, each with and without the trailing '/'. A lock covers its node and everything
-- below it however it was spelled (a file and a directory cannot share a name on disk, so
-- `src` and `src/` are one node, and both overlap `src/app.py`); locks below the path are the
-- range [node/, node0) in the C collation of coord.locks.path.
-- a/b.py -> {a, a/, a/b.py, a/b.py/}. PL/pgSQL: a SQL function with a SET clause is never
-- inlined and costs ten times as much per call (measured 19 us against 2 us).
create or replace function coord.covering_paths(p_path text)
returns text[]
language plpgsql
immutable
parallel safe
set search_path = pg_catalog, pg_temp
as $$
declare
  v_parts text[] := pg_catalog.string_to_array(pg_catalog.rtrim(p_path, '/'), '/');
  v_node text;
  v_paths text[] := '{}';
begin
  for i in 1 .. pg_catalog.cardinality(v_parts) loop
    v_node := case when i = 1 then v_parts[1] else v_node || '/' || v_parts[i] end;
    v_paths := v_paths || array[v_node, v_node || '/'];
  end loop;
  return v_paths;
end;
$$;

comment on function coord.covering_paths(text) is 'Stored lock paths that cover a canonical path: its node and each enclosing directory, with and without the trailing /. Locks below it are the range [node/, node0).';
revoke all on function coord.covering_paths(text) from public;
