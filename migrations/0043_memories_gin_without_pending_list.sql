-- The memories' GIN indexes (full text and tags) take each new entry into the index at once
-- instead of a pending list. With the list (fastupdate, PostgreSQL's default) every remember and
-- every reinforcing update appended there, and every recall's GIN read scanned the whole list, up
-- to gin_pending_list_limit (4 MB, about 15,000 remembers), until a vacuum or the insert that
-- filled it merged it: at a million memories a full list added about 5 ms of server CPU to each
-- text and hybrid recall (p50 and p95). Without it a remember costs about 0.1 ms more (12
-- words; 0.5 ms for 100), and no remember pays for merging the list (0.4 s at 4 MB).
-- docs/benchmarks.md, "Recall after writes: the GIN pending list".
alter index coord.memories_search_idx set (fastupdate = off);
alter index coord.memories_tags_idx set (fastupdate = off);
-- Turning it off keeps the entries already pending: merge them now.
select pg_catalog.gin_clean_pending_list('coord.memories_search_idx'::pg_catalog.regclass);
select pg_catalog.gin_clean_pending_list('coord.memories_tags_idx'::pg_catalog.regclass);
