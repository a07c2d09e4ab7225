-- claim_or_wait: the claim of a claimer that waits (it registers the connection as a waiting
-- claimer while it finds nothing, so ready tasks are announced), and its errors.
begin;
set local search_path = tap, public;
select plan(7);

select coord_test.agent('alice');
-- Waiting is holding the tenant's waiting key shared on the connection.
select coord.task_wait_key(coord.task_channel(coord_test.tenant_id()), 'waiting') as waiting_key \gset
select coord_test.login('alice');
select is((select code from api.claim_or_wait('{later}')), 'empty', 'nothing ready: empty, and the connection waits');
select ok((select details ? 'channel' from api.claim_or_wait('{later}')), 'it names the channel the announcements come on');
select coord_test.logout();
select is(coord.holds_advisory_shared(:'waiting_key'), true, 'the connection is a waiting claimer');
select coord_test.login('alice');
select task_id as t from api.submit_task('later') \gset
select is((select array[code, task_id::text] from api.claim_or_wait('{later}')), array['claimed', :'t'],
          'a ready task is claimed as claim_task would');
select coord_test.logout();
select is(coord.holds_advisory_shared(:'waiting_key'), false, 'a claim ends the wait');
select coord_test.login('alice');
select is((select code from api.claim_or_wait('{later}', p_waiting => false)), 'empty',
          'the last look (p_waiting false) claims once more and ends the wait');
select throws_ok($$select api.claim_or_wait('{}')$$, 'CO402', null, 'no kinds is CO402');
select coord_test.logout();

select * from finish();
rollback;
