-- claim_or_wait: the claim of a claimer that waits (it registers the connection as a waiting
-- claimer while it finds nothing, so ready tasks are announced), and its errors. Only a
-- connection that LISTENs on the tenant's task channel registers, and a LISTEN counts once its
-- transaction commits: this spec is one transaction, so here no connection registers (the
-- registered claimer is tested in tests/test_tasks.py, whose connections LISTEN first).
begin;
set local search_path = tap, public;
select plan(10);

select coord_test.agent('alice');
-- Waiting is holding the tenant's waiting key shared on the connection.
select coord.task_channel(coord_test.tenant_id()) as channel \gset
select coord.task_wait_key(:'channel', 'waiting') as waiting_key \gset
select coord_test.login('alice');
select is((select code from api.claim_or_wait('{later}')), 'empty', 'nothing ready: empty');
select is((select details->>'channel' from api.claim_or_wait('{later}')), :'channel',
          'it names the channel the announcements come on');
select coord_test.logout();
select is(coord.holds_advisory_shared(:'waiting_key'), false,
          'a connection that does not LISTEN on the channel is no waiting claimer');

listen :"channel";
select is(:'channel' in (select pg_listening_channels()), false, 'a LISTEN takes effect at commit');
select coord_test.login('alice');
select is((select code from api.claim_or_wait('{later}')), 'empty', 'claimed with the LISTEN not yet committed');
select coord_test.logout();
select is(coord.holds_advisory_shared(:'waiting_key'), false, 'and so not registered');
unlisten :"channel";

-- A registration the connection holds (taken here by hand: it LISTENed, and UNLISTENed since).
select pg_advisory_lock_shared(:'waiting_key');
select coord_test.login('alice');
select is((select code from api.claim_or_wait('{later}', p_waiting => true)), 'empty', 'still nothing ready');
select coord_test.logout();
select is(coord.holds_advisory_shared(:'waiting_key'), false,
          'the registration of a connection that no longer LISTENs ends, though it asked to wait');
select coord_test.login('alice');
select task_id as t from api.submit_task('later') \gset
select is((select array[code, task_id::text] from api.claim_or_wait('{later}')), array['claimed', :'t'],
          'a ready task is claimed as claim_task would');
select throws_ok($$select api.claim_or_wait('{}')$$, 'CO402', null, 'no kinds is CO402');
select coord_test.logout();

select * from finish();
rollback;
