-- claim_task_by_id: one named task, through claim_task's gate and checks (what coord git-sync
-- uses to import a claim taken on the git fallback).
begin;
set local search_path = tap, public;
select plan(7);

select coord_test.agent('alice');
select coord_test.agent('bob');
select coord_test.agent('single');
select coord_test.set_profile('single', 2, '{"allowed_task_kinds": ["solo"]}');

select coord_test.login('alice');
select task_id as low from api.submit_task('byid', p_priority => 1) \gset
select task_id as high from api.submit_task('byid', p_priority => 9) \gset
select task_id as later from api.submit_task('byid', p_run_after => now() + interval '1 hour') \gset
select coord_test.logout();

select coord_test.login('bob');
select results_eq(format('select code, task_id from api.claim_task_by_id(%s)', :low),
                  format('values (%L, %s::bigint)', 'claimed', :low),
                  'claims the task named, not the best ready one');
select coord_test.logout();

select coord_test.login('alice');
select is((select code from api.claim_task_by_id(:low)), 'empty', 'a task claimed by another is empty');
select is((select code from api.claim_task_by_id(:later)), 'empty', 'a task whose run_after lies ahead is empty');
select throws_ok('select api.claim_task_by_id(9223372036854775807)', 'CO410', null, 'an unknown task is CO410');
select throws_ok(format('select api.claim_task_by_id(%s, %L)', :high, '0 seconds'), 'CO406', null, 'a zero lease is CO406');
select coord_test.logout();

select coord_test.login('single');
select results_eq(format('select code, details from api.claim_task_by_id(%s)', :high),
                  $$values ('denied', '{"rule": "profile.task_kind"}'::jsonb)$$,
                  'a kind the profile does not allow is denied, naming the rule');
select coord_test.logout();

select is((select array[e.actor_name, e.decision] from coord_test.events('task.claimed') as e where e.target_id = :'low'),
          array['bob', 'claimed'], 'the claim is audited as task.claimed');

select * from finish();
rollback;
