-- Every stored spelling of a lock that covers a canonical path: its node and each enclosing
-- directory, each with and without the trailing '/'. A lock covers its node and everything
-- below it however it was spelled (a file and a directory cannot share a name on disk, so
-- `src` and `src/` are one node, and both overlap `src/app.py`); locks below the path are the
-- range [node/, node0) in the C collation of coord.locks.path.
-- a/b.py -> {a, a/, a/b.py, a/b.py/}.
create or replace function coord.covering_paths(p_path text)
returns text[]
language sql
immutable
parallel safe
set search_path = pg_catalog, pg_temp
as $$
  select pg_catalog.array_agg(s.spelling order by n.depth, s.spelling)
  from pg_catalog.string_to_array(pg_catalog.rtrim(p_path, '/'), '/') as parts,
       pg_catalog.generate_series(1, pg_catalog.cardinality(parts)) as n (depth),
       lateral pg_catalog.unnest(array[pg_catalog.array_to_string(parts[1:n.depth], '/'),
                                       pg_catalog.array_to_string(parts[1:n.depth], '/') || '/']) as s (spelling);
$$;

comment on function coord.covering_paths(text) is 'Stored lock paths that cover a canonical path: its node and each enclosing directory, with and without the trailing /. Locks below it are the range [node/, node0).';
revoke all on function coord.covering_paths(text) from public;
