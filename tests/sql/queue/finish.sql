-- complete_task, fail_task, cancel_task and redrive_task: the ends of a claim and what they
-- do to dependents, the guardrail check of declared operations, who may cancel and redrive,
-- and each transition's audit event.
begin;
set local search_path = tap, public;
select plan(31);

select coord_test.agent('alice');
select coord_test.agent('bob');
select coord_test.agent('boss');
select coord_test.set_profile('boss', 3);
select coord_test.operator('ops');

-- complete_task
select coord_test.login('alice');
select task_id as parent from api.submit_task('build') \gset
select task_id as child from api.submit_task('ship', p_depends_on => array[:parent]::bigint[]) \gset
select claim as c_parent from api.claim_task('{build}') \gset
select results_eq(format($$select code, state from api.complete_task(%s, %s, '{"operations": ["rm -rf /"]}')$$, :parent, :c_parent),
                  $$values ('blocked', 'claimed')$$, 'a declared operation the guardrails block refuses the completion');
select is((select state from api.get_task(:parent)), 'claimed', 'the task stays claimed');
select results_eq(format($$select code, state, details ->> 'dependents_notified' from api.complete_task(%s, %s, '{"pages": 3}')$$,
                         :parent, :c_parent), $$values ('completed', 'completed', '1')$$,
                  'complete_task completes and notifies the dependent');
select is((select result from api.get_task(:parent)), '{"pages": 3}'::jsonb, 'the result is stored');
select is((select pending_deps from api.get_task(:child)), 0, 'the dependent is ready');
select throws_ok(format('select api.complete_task(%s, %s)', :parent, :c_parent), 'CO412', null,
                 'completing twice with the same claim is CO412');
select throws_ok(format($$select api.complete_task(%s, %s, '{"operations": "rm"}')$$, :child, 1), 'CO477', null,
                 'operations that are no list are CO477');
select throws_ok(format('select api.complete_task(%s, %s, %L::jsonb)', :child, 1, jsonb_build_object('x', repeat('r', 70000))),
                 'CO404', null, 'a result over 64 KiB is CO404');
select throws_ok($$select api.complete_task(0, 1)$$, 'CO410', null, 'task id 0 is CO410');
select throws_ok($$select api.complete_task(999999999, 1)$$, 'CO410', null, 'an unknown task is CO410');
select coord_test.logout();
select is((select array[e.decision, e.severity] from coord_test.events('task.complete') as e where e.target_id = :'parent'),
          array['blocked', 'warning'], 'the refused completion is audited as task.complete blocked');
select is((select array[e.actor_name, e.decision] from coord_test.events('task.completed') as e where e.target_id = :'parent'),
          array['alice', 'completed'], 'the completion is audited as task.completed');
select is((select decision from coord_test.events('guardrail.check') as e where e.details ->> 'task_id' = :'parent' limit 1),
          'blocked', 'and the operation''s guardrail check as guardrail.check');

-- fail_task: retry with backoff, dead on the last attempt, failed for good with dependents.
select coord_test.login('alice');
select task_id as flaky from api.submit_task('flaky', p_max_attempts => 2) \gset
select claim as f1 from api.claim_task('{flaky}') \gset
select code as retry_code, state as retry_state, attempt as retry_attempt, run_after > now() as backs_off
  from api.fail_task(:flaky, :f1, 'network down') \gset
select is(array[:'retry_code', :'retry_state', :'retry_attempt', :'backs_off'], array['requeued', 'queued', '1', 't'],
          'a retryable failure requeues after a backoff');
select coord_test.advance_clock('1 hour');
select claim as f2 from api.claim_task('{flaky}') \gset
select is((select code from api.fail_task(:flaky, :f2, 'still down')), 'dead', 'failing the last attempt makes it dead');
select task_id as doomed from api.submit_task('doomed') \gset
select task_id as after from api.submit_task('after', p_depends_on => array[:doomed]::bigint[]) \gset
select claim as d1 from api.claim_task('{doomed}') \gset
select results_eq(format('select code, details ->> %L from api.fail_task(%s, %s, %L, false)', 'dependents_cancelled', :doomed, :d1, 'broken'),
                  $$values ('failed', '1')$$, 'a final failure fails the task and cancels its dependents');
select is((select state from api.get_task(:after)), 'cancelled', 'the dependent is cancelled');
select is((select code from api.fail_task(:doomed, :d1, 'again')), 'stale_claim', 'failing a finished task is stale_claim');
select throws_ok(format('select api.fail_task(%s, %s, %L)', :doomed, :d1, repeat('e', 4001)), 'CO416', null,
                 'an error over 4000 characters is CO416');
select coord_test.logout();
select is((select array[e.actor_type::text, e.decision, e.severity] from coord_test.events('task.dependency_failed') as e
           where e.target_id = :'after'), array['system', 'cancelled', 'info'], 'the cancelled dependent is a system event');

-- cancel_task: agents cancel what they submitted; trust 3 and operators anything.
select coord_test.login('alice');
select task_id as mine from api.submit_task('chore') \gset
select task_id as also_mine from api.submit_task('chore') \gset
select coord_test.login('bob');
select results_eq(format('select ok, code from api.cancel_task(%s)', :mine), $$values (false, 'denied')$$,
                  'an agent below trust 3 may not cancel another''s task');
select coord_test.login('boss');
select is((select code from api.cancel_task(:mine)), 'cancelled', 'a trust-3 agent may');
select is((select code from api.cancel_task(:mine)), 'already_finished', 'cancelling again is already_finished');
select coord_test.login('alice');
select is((select code from api.cancel_task(:also_mine)), 'cancelled', 'the submitter may');
select throws_ok($$select api.cancel_task(999999999)$$, 'CO410', null, 'an unknown task is CO410');
select coord_test.logout();
select is((select rule from coord_test.events('task.cancel') as e where e.actor_name = 'bob'), 'task.not_submitter',
          'the refusal is audited with its rule');

-- redrive_task: operators bring dead and failed tasks back.
select coord_test.login('alice');
select is((select code from api.redrive_task(:flaky)), 'denied', 'agents may not redrive (a denial)');
select coord_test.login('ops');
select results_eq(format('select code, state, attempt from api.redrive_task(%s)', :flaky), $$values ('queued', 'queued', 0)$$,
                  'an operator redrives a dead task with its attempts reset');
select is((select code from api.redrive_task(:flaky)), 'not_redrivable', 'a queued task is not_redrivable');
select throws_ok($$select api.redrive_task(-1)$$, 'CO410', null, 'a bad task id is CO410');
select coord_test.logout();
select is((select array_agg(e.action || ':' || e.decision || ':' || e.actor_name order by e.id) from coord_test.events('task.*') as e
           where e.target_id = :'flaky' and e.decision <> 'denied'),
          array['task.submit:queued:alice', 'task.claimed:claimed:alice', 'task.retry:queued:alice', 'task.claimed:claimed:alice',
                'task.retry:dead:alice', 'task.redriven:queued:ops', 'task.redrive:not_redrivable:ops'],
          'the task''s whole life is in the audit log, one event per transition or refusal');

select * from finish();
rollback;
