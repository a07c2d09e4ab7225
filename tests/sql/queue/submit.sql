-- submit_task and submit_tasks: results (submitted, duplicate, denied), the audit record of
-- each submission, and the registered SQLSTATE of each malformed field; a bad batch writes
-- nothing at all.
begin;
set local search_path = tap, public;
select plan(33);

select coord_test.agent('alice');
select coord_test.agent('reader');
select coord_test.set_profile('reader', 1);
select coord_test.agent('locker', p_scopes => '{locks:*}');
select coord_test.operator('ops');
select coord_test.auditor('audrey');

select coord_test.login('alice');
select ok, code, task_id as t1, state from api.submit_task('build', '{"target": "docs"}', p_priority => 5,
                                                          p_unique_key => 'docs', p_locks => '{docs/}') \gset
select is(:'code'::text, 'submitted', 'submit_task submits');
select is(:'state'::text, 'queued', 'the task is queued');
select results_eq(format('select code, task_id from api.submit_task(%L, p_unique_key => %L)', 'build', 'docs'),
                  format('values (%L, %s::bigint)', 'duplicate', :t1), 'the same unique_key is a duplicate of the pending task');
select is((select code from api.submit_task('ship', p_unique_key => 'docs')), 'submitted', 'unique keys are per kind');
select results_eq(format('select kind, priority, payload, locks, submitted_by from api.get_task(%s)', :t1),
                  $$values ('build', 5, '{"target": "docs"}'::jsonb, '{docs/}'::text[], 'alice')$$,
                  'the task holds what was submitted');

-- A batch: one result per item in order; refs let later items depend on earlier ones.
select results_eq($$select code, state from api.submit_tasks('[{"kind": "a", "ref": "first"},
                                                                {"kind": "b", "depends_on": ["first"]}]')$$,
                  $$values ('submitted', 'queued'), ('submitted', 'queued')$$, 'submit_tasks: one result per item');
select is((select depends_on[1] from api.list_tasks(p_kind => 'b')), (select task_id from api.list_tasks(p_kind => 'a')),
          'the ref became the first task''s id');
select coord_test.logout();
select is((select array[e.actor_name, e.details ->> 'kind'] from coord_test.events('task.submit') as e
           where e.target_id = :'t1' and e.decision = 'queued'),
          array['alice', 'build'], 'a submission is audited as task.submit, decision queued, target the task');
select is((select e.reason from coord_test.events('task.submit') as e where e.target_id = :'t1' and e.decision = 'duplicate'),
          format('pending task %s already has unique_key docs', :t1), 'a duplicate is audited as such, naming the pending task');
select is((select count(*)::int from coord.tasks as t where t.tenant_id = coord_test.tenant_id()
           and (select count(*) from coord_test.events('task.submit') as e
                where e.target_id = t.id::text and e.decision = 'queued') = 1), 4,
          'each of the four tasks has its one task.submit event');

-- Refusals.
select coord_test.login('reader');
select results_eq($$select ok, code from api.submit_task('build')$$, $$values (false, 'denied')$$,
                  'trust 1 may not submit (a denial, as a result)');
select coord_test.login('locker');
select is((select code from api.submit_tasks('[{"kind": "x"}]')), 'denied', 'without tasks:write a batch is denied');
select coord_test.login('audrey');
select throws_ok($$select api.submit_task('build')$$, '42501', null, 'auditors may not submit (42501)');
select coord_test.logout();
select is((select array[e.decision, e.rule, e.severity] from coord_test.events('task.submit') as e where e.actor_name = 'reader'),
          array['denied', 'trust.too_low', 'warning'], 'the denial is audited with its rule');

-- Malformed input: registered SQLSTATEs, nothing written.
select coord_test.login('ops');
select count(*) as events_before from coord_test.events() \gset
select throws_ok($$select api.submit_task('bad kind!')$$, 'CO401', null, 'a bad kind is CO401');
select throws_ok($$select api.submit_task('k', p_priority => 1001)$$, 'CO403', null, 'priority over 1000 is CO403');
select throws_ok($$select api.submit_task('k', p_max_attempts => 0)$$, 'CO405', null, 'max_attempts 0 is CO405');
select throws_ok($$select api.submit_task('k', p_required_trust => 5)$$, 'CO409', null, 'required_trust 5 is CO409');
select throws_ok(format('select api.submit_task(%L, p_unique_key => %L)', 'k', repeat('u', 201)), 'CO414', null,
                 'a unique_key over 200 characters is CO414');
select throws_ok(format('select api.submit_task(%L, p_locks => %L::text[])', 'k', array(select 'f' || g from generate_series(1, 65) g)),
                 'CO417', null, 'more than 64 lock paths is CO417');
select throws_ok($$select api.submit_task('k', p_locks => '{../x}')$$, 'CO204', null, 'a bad lock path is CO204');
select throws_ok($$select api.submit_task('k', p_depends_on => '{{1}}')$$, 'CO241', null, 'depends_on not a flat list is CO241');
select throws_ok($$select api.submit_task('k', p_depends_on => '{999999999}')$$, 'CO407', null, 'an unknown dependency is CO407');
select throws_ok($$select api.submit_task('k', p_run_after => 'infinity')$$, 'CO226', null, 'an infinite run_after is CO226');
select throws_ok(format('select api.submit_task(%L, %L::jsonb)', 'k', jsonb_build_object('x', repeat('p', 70000))),
                 'CO404', null, 'a payload over 64 KiB is CO404');
select throws_ok(format('select api.submit_task(%L, %L::jsonb)', 'k', repeat('[', 33) || repeat(']', 33)),
                 'CO242', null, 'a payload nested over 32 levels is CO242');
select throws_ok($$select * from api.submit_tasks('{"kind": "k"}')$$, 'CO415', null, 'a batch that is no array is CO415');
select throws_ok($$select * from api.submit_tasks('[{"kind": "a", "ref": "x", "depends_on": ["y"]},
                                                    {"kind": "b", "ref": "y", "depends_on": ["x"]}]')$$,
                 'CO408', null, 'a dependency cycle in a batch is CO408');
select throws_ok($$select * from api.submit_tasks('[{"kind": "a"}, {"kind": "b", "depends_on": ["nope"]}]')$$,
                 'CO407', null, 'an unknown ref is CO407 (and the valid first item is not written either)');
select task_id as doomed from api.submit_task('doomed') \gset
select claim as doomed_claim from api.claim_task('{doomed}') \gset
select code as failed from api.fail_task(:doomed, :doomed_claim, 'broken', false) \gset
select throws_ok(format('select api.submit_task(%L, p_depends_on => %L::bigint[])', 'k', array[:doomed]), 'CO419', null,
                 'depending on a failed task is CO419');
select coord_test.logout();
select is(:'failed'::text, 'failed', '(the dependency failed for good)');
select is((select count(*)::int from coord_test.events() where action not like 'task.%' or target_id is distinct from :'doomed'),
          :events_before::int, 'the malformed calls wrote nothing');
select is((select count(*)::int from coord.tasks where tenant_id = coord_test.tenant_id() and kind in ('k', 'a', 'b')), 2,
          'no task of the refused calls exists (the two are from the good batch)');

select * from finish();
rollback;
