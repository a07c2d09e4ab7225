-- A lock covers its node and everything below it, with or without a trailing slash: a file
-- and a directory cannot share a name on disk, so src (no slash) and src/app.py overlap, and
-- no spelling lets two agents write the same file.
begin;
set local search_path = tap, public;
select plan(9);

select coord_test.agent('alice');
select coord_test.agent('bob');

select coord_test.login('alice');
select code as a1 from api.acquire_lock('src') \gset
select code as a2 from api.acquire_lock('lib/util.py') \gset
select code as a3 from api.acquire_lock('docs', p_mode => 'shared') \gset
select coord_test.login('bob');
select code as b1 from api.acquire_lock('src/app.py') \gset
select code as b2 from api.acquire_lock('src/deep/er/') \gset
select code as b3 from api.acquire_lock('lib') \gset
select code as b4 from api.acquire_lock('src.py') \gset
select code as b5 from api.acquire_lock('docs/guide.md', p_mode => 'shared') \gset
select code as b6 from api.acquire_lock('docs/guide.md') \gset
select count(*) filter (where locked) as app_locked, max(lock_path) filter (where path = 'src/app.py') as app_by
from api.check_locks(array['src/app.py', 'lib']) \gset
select coord_test.logout();

select is(:'b1'::text, 'busy', 'bob: src/app.py is inside alice''s src (locked without a slash)');
select is(:'b2'::text, 'busy', 'bob: a directory inside src is busy too');
select is(:'b3'::text, 'busy', 'bob: lib (no slash) encloses alice''s lib/util.py');
select is(:'b4'::text, 'granted', 'bob: src.py is a sibling, not below src');
select is(:'b5'::text, 'granted', 'bob: shared inside a shared docs');
select is(:'b6'::text, 'busy', 'bob: exclusive inside alice''s shared docs is busy');
select is(:'a1'::text || :'a2' || :'a3', 'grantedgrantedgranted', 'alice''s three grants');
select is(:app_locked::int, 2, 'check_locks sees src over src/app.py and lib/util.py under lib');
select is(:'app_by'::text, 'src', 'and names the lease by the path it was taken with');

select * from finish();
rollback;
