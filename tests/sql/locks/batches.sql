-- acquire_locks and release_locks: all or none, one row per path in the order given, one audit
-- event per path; a malformed batch is an error.
begin;
set local search_path = tap, public;
select plan(11);

select coord_test.agent('alice');
select coord_test.agent('bob');

select coord_test.login('bob');
select fence as bob_fence from api.acquire_lock('b.py') \gset
select coord_test.logout();

select max(id) as mark from audit.events \gset
select coord_test.login('alice');
select array_agg(code order by n) as refused from (select code, row_number() over () as n
  from api.acquire_locks(array['a.py', 'b.py', 'c.py'])) as r \gset
select count(*) as held_after_refusal from api.my_locks() \gset
select array_agg(code order by n) as granted, array_agg(fence order by n) as fences
  from (select code, fence, row_number() over () as n from api.acquire_locks(array['c.py', 'a.py'])) as r \gset
select array_agg(code order by n) as stale from (select code, row_number() over () as n
  from api.release_locks(array['c.py', 'a.py'], array[(:'fences'::bigint[])[1], 1])) as r \gset
select count(*) as held_after_stale from api.my_locks() \gset
select array_agg(code order by n) as released from (select code, row_number() over () as n
  from api.release_locks(array['a.py', 'c.py'], array[(:'fences'::bigint[])[2], (:'fences'::bigint[])[1]])) as r \gset
select coord_test.logout();
select array_agg(decision order by id) as refused_audit from audit.events
  where id > :mark and action = 'lock.acquire' and target_id in ('a.py', 'b.py', 'c.py') and id < (select min(id) from audit.events where id > :mark and decision = 'granted') \gset

select is(:'refused'::text[], array['batch_refused', 'busy', 'batch_refused'], 'one busy path refuses the batch');
select is(:'refused_audit'::text[], array['batch_refused', 'busy', 'batch_refused'], 'each path is audited');
select is(:held_after_refusal::int, 0, 'a refused batch takes nothing');
select is(:'granted'::text[], array['granted', 'granted'], 'a free batch is granted, in input order');
select ok((:'fences'::bigint[])[1] < (:'fences'::bigint[])[2], 'fences grow in input order');
select is(:'stale'::text[], array['batch_refused', 'stale_fence'], 'a stale fence refuses the release batch');
select is(:held_after_stale::int, 2, 'a refused release keeps every lease');
select is(:'released'::text[], array['released', 'released'], 'the live fences release all');

select coord_test.login('alice');
select throws_ok($$select * from api.acquire_locks('{}')$$, 'CO218', null, 'an empty batch is an error');
select throws_ok($$select * from api.acquire_locks(array['src', 'src/'])$$, 'CO218', null, 'one node twice is an error');
select throws_ok($$select * from api.release_locks(array['a.py'], array[1, 2]::bigint[])$$, 'CO218', null,
                 'a fence per path');
select coord_test.logout();

select * from finish();
rollback;
