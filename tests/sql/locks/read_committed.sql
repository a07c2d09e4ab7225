-- Lock decisions need READ COMMITTED: an older snapshot could miss a lease granted since, so
-- every lock mutation refuses REPEATABLE READ with CO213 and writes nothing. Reads work.
begin isolation level repeatable read;
set local search_path = tap, public;
select plan(5);

select coord_test.agent('alice');
select coord_test.login('alice');
select throws_ok($$select api.acquire_lock('a.py')$$, 'CO213', null, 'acquire_lock refuses REPEATABLE READ');
select throws_ok($$select api.release_lock('a.py', 1)$$, 'CO213', null, 'release_lock too');
select throws_ok($$select api.renew_lock('a.py', 1)$$, 'CO213', null, 'renew_lock too');
select is((select locked from api.check_locks('{a.py}')), false, 'check_locks still reads');
select coord_test.logout();
select is((select count(*)::int from coord_test.events('lock.*')), 0, 'nothing was audited');

select * from finish();
rollback;
