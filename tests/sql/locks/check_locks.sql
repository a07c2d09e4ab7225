-- check_locks: one row per overlapping live lease, fences only for your own.
begin;
set local search_path = tap, public;
select plan(7);

select coord_test.agent('alice');
select coord_test.agent('bob');

select coord_test.login('alice');
select fence as fa from api.acquire_lock('src/a.py') \gset
select coord_test.login('bob');
select fence as fb from api.acquire_lock('src/b.py', p_mode => 'shared') \gset
select count(*) filter (where path = 'src/') as n_src,
       bool_or(locked) filter (where path = 'docs/x.md') as docs_locked,
       count(*) filter (where path = 'docs/x.md') as n_docs,
       max(holder_name) filter (where path = 'src/a.py') as a_holder,
       count(fence) filter (where path = 'src/a.py') as a_fences,
       max(fence) filter (where lock_path = 'src/b.py' and path = 'src/') as b_fence
from api.check_locks(array['src/', 'src/a.py', 'docs/x.md']) \gset
select coord_test.logout();

select is(:n_src::int, 2, 'a directory overlaps both files inside it');
select ok(:n_docs::int = 1 and not :'docs_locked'::boolean, 'a free path gets one row with locked = false');
select is(:'a_holder'::text, 'alice', 'the holder is named');
select is(:a_fences::int, 0, 'another agent''s fence is not shown');
select is(:b_fence::bigint, :fb::bigint, 'your own fence is shown');
select throws_ok($$select * from api.check_locks('{}')$$, 'PT401', null, 'without a principal the call is refused');
select coord_test.login('alice');
select throws_ok($$select * from api.check_locks('{}')$$, 'CO217', null, 'an empty list is CO217');

select * from finish();
rollback;
