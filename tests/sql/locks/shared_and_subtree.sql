-- Shared leases coexist with shared ones only; a directory lease covers its whole subtree.
begin;
set local search_path = tap, public;
select plan(10);

select coord_test.agent('alice');
select coord_test.agent('bob');
select coord_test.agent('carol');

select coord_test.login('alice');
select code as a1 from api.acquire_lock('docs/', p_mode => 'shared') \gset
select code as a2 from api.acquire_lock('lib/deep/', p_mode => 'exclusive') \gset
select coord_test.login('bob');
select code as b1 from api.acquire_lock('docs/', p_mode => 'shared') \gset
select code as b2 from api.acquire_lock('docs/guide.md', p_mode => 'shared') \gset
select code as b3 from api.acquire_lock('docs/guide.md', p_mode => 'exclusive') \gset
select code as b4 from api.acquire_lock('lib/deep/x/y/z.py', p_mode => 'shared') \gset
select code as b5 from api.acquire_lock('lib/', p_mode => 'exclusive') \gset
select code as b6 from api.acquire_lock('lib/shallow.py') \gset
select coord_test.login('carol');
select code as c1 from api.acquire_lock('docs/', p_mode => 'exclusive') \gset
select coord_test.logout();

select is(:'a1'::text, 'granted', 'alice: shared docs/');
select is(:'a2'::text, 'granted', 'alice: exclusive lib/deep/');
select is(:'b1'::text, 'granted', 'bob: shared docs/ beside alice''s shared docs/');
select is(:'b2'::text, 'granted', 'bob: shared file inside a shared directory');
select is(:'b3'::text, 'busy', 'bob cannot upgrade to exclusive inside a directory alice holds shared');
select is(:'b4'::text, 'busy', 'bob: anything deep inside alice''s exclusive lib/deep/ is busy');
select is(:'b5'::text, 'busy', 'bob: lib/ encloses alice''s lib/deep/');
select is(:'b6'::text, 'granted', 'bob: a file beside lib/deep/ is free');
select is(:'c1'::text, 'busy', 'carol: exclusive docs/ conflicts with shared holders');
select is((select count(*)::int from coord.locks l join coord.principals p on p.id = l.holder_id
           where p.id = coord_test.principal_id('bob') and l.path = 'docs/guide.md' and l.mode = 'shared'), 1,
          'the refused upgrade left bob''s shared lease as it was');

select * from finish();
rollback;
