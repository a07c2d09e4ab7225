-- The work queue in SQL: priority order, fenced completion, expiry rescue, dependencies and
-- session death, through the api exactly as psql users call it.
begin;
set local search_path = tap, public;
select plan(14);

select coord_test.agent('alice');
select coord_test.agent('bob');

select coord_test.login('alice');
select task_id as low from api.submit_task('build', p_priority => 1) \gset
select task_id as high from api.submit_task('build', p_priority => 9, p_max_attempts => 2) \gset
select task_id as child from api.submit_task('ship', p_depends_on => array[:high]::bigint[]) \gset
select task_id as c_task, claim as c1 from api.claim_task(array['build'], '10 seconds') \gset
select code as ship_empty from api.claim_task(array['ship']) \gset
select coord_test.logout();
select is(:c_task::bigint, :high::bigint, 'the highest priority is claimed first');
select is(:'ship_empty'::text, 'empty', 'a task with an open dependency is not claimable');
select is((select pending_deps from coord.tasks where tenant_id = coord_test.tenant_id() and id = :child), 1, 'the dependent counts its open prerequisite');

select coord_test.advance_clock('11 seconds');
select coord_test.login('alice');
select code as late, state as late_state from api.complete_task(:high, :c1) \gset
select coord_test.logout();
select is(:'late'::text, 'expired', 'completing after the lease ran out is refused as a result');
select is(:'late_state'::text, 'queued', 'and the task is back in the queue');
select is((select attempts from coord.tasks where tenant_id = coord_test.tenant_id() and id = :high), 1, 'the expired attempt counts');

select coord_test.advance_clock('5 seconds');
select coord_test.login('bob');
select claim as c2 from api.claim_task(array['build'], '1 minute') \gset
select coord_test.logout();
select ok(:c2::bigint > :c1::bigint, 'the new claim is a larger fencing token');

select coord_test.login('alice');
select code as stale from api.complete_task(:high, :c1) \gset
select coord_test.logout();
select is(:'stale'::text, 'stale_claim', 'the old claimant cannot complete');

select coord_test.login('bob');
select code as done from api.complete_task(:high, :c2, '{"ok": true}') \gset
select coord_test.logout();
select is(:'done'::text, 'completed', 'the live claimant completes');
select is((select pending_deps from coord.tasks where tenant_id = coord_test.tenant_id() and id = :child), 0, 'completion counts the dependent down');
select is((select count(*)::int from coord_test.events('task.completed') where target_id = :'high'), 1,
          'exactly one completion is audited');

-- A session dies: its claim is requeued, its lease released, by the next caller.
select coord_test.login('alice');
select session_id as sid from api.start_session(p_ttl => '5 seconds') \gset
select coord_test.login('alice', p_session => :'sid');
select task_id as s_task from api.claim_task(array['ship'], '1 hour') \gset
select fence as s_fence from api.acquire_lock('dist/', '1 hour') \gset
select coord_test.logout();
select coord_test.advance_clock('6 seconds');
select coord_test.login('bob');
select code as b_lock from api.acquire_lock('dist/app.js') \gset
select coord_test.logout();
select is(:'b_lock'::text, 'granted', 'a dead session''s hour-long lease does not block');
select is((select state::text from coord.tasks where tenant_id = coord_test.tenant_id() and id = :s_task), 'queued', 'its claim is requeued');
select is((select actor_type::text from coord_test.events('session.expire') where target_id = :'sid'), 'system',
          'the cleanup is a system action');

select * from finish();
rollback;
