-- Queue decisions need READ COMMITTED (an older snapshot could miss claims or dependents
-- committed since): every queue mutation refuses REPEATABLE READ with CO213; reads work.
begin isolation level repeatable read;
set local search_path = tap, public;
select plan(10);

select coord_test.agent('alice');
select coord_test.login('alice');
select throws_ok($$select api.submit_task('build')$$, 'CO213', null, 'submit_task refuses REPEATABLE READ');
select throws_ok($$select * from api.submit_tasks('[{"kind": "build"}]')$$, 'CO213', null, 'submit_tasks too');
select throws_ok($$select api.claim_task('{build}')$$, 'CO213', null, 'claim_task too');
select throws_ok($$select * from api.claim_tasks('{build}')$$, 'CO213', null, 'claim_tasks too');
select throws_ok($$select api.renew_task(1, 1)$$, 'CO213', null, 'renew_task too');
select throws_ok($$select api.complete_task(1, 1)$$, 'CO213', null, 'complete_task too');
select throws_ok($$select api.fail_task(1, 1, 'x')$$, 'CO213', null, 'fail_task too');
select throws_ok($$select api.cancel_task(1)$$, 'CO213', null, 'cancel_task too');
select is((select count(*)::int from api.list_tasks()), 0, 'list_tasks still reads');
select coord_test.logout();
select is((select count(*)::int from coord_test.events('task.*')), 0, 'nothing was audited');

select * from finish();
rollback;
