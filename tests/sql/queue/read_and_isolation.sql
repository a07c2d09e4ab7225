-- get_task and list_tasks read the caller's tenant only; another tenant's tasks can be neither
-- seen, claimed, renewed, completed, failed nor cancelled.
begin;
set local search_path = tap, public;
select plan(19);

select coord_test.agent('alice', 'red');
select coord_test.agent('lister', 'red', '{locks:*}');
select coord_test.auditor('audrey', 'red');
select coord_test.agent('mallory', 'blue');

select coord_test.login('alice', 'red');
select task_id as t1 from api.submit_task('build', '{"secret": "red"}') \gset
select task_id as t2 from api.submit_task('build') \gset
select task_id as t3 from api.submit_task('test') \gset
select claim as c1 from api.claim_task('{test}') \gset

select coord_test.login('audrey', 'red');
select results_eq(format('select task_id, kind, state, submitted_by from api.get_task(%s)', :t1),
                  format('values (%s::bigint, %L, %L, %L)', :t1, 'build', 'queued', 'alice'),
                  'get_task shows a task of your tenant (auditors too)');
select results_eq($$select task_id from api.list_tasks()$$, format('values (%s::bigint), (%s), (%s)', :t3, :t2, :t1),
                  'list_tasks: newest first');
select results_eq($$select task_id from api.list_tasks(p_state => 'claimed')$$, format('values (%s::bigint)', :t3),
                  'filtered by state');
select results_eq($$select task_id from api.list_tasks(p_kind => 'build', p_limit => 1)$$, format('values (%s::bigint)', :t2),
                  'by kind, with a limit');
select results_eq(format('select task_id from api.list_tasks(p_before_id => %s)', :t2), format('values (%s::bigint)', :t1),
                  'paged with before_id');
select throws_ok($$select * from api.list_tasks(p_state => 'running')$$, 'CO418', null, 'an unknown state is CO418');
select throws_ok($$select * from api.list_tasks(p_limit => 1001)$$, 'CO224', null, 'a limit over 1000 is CO224');
select throws_ok($$select api.get_task(999999999)$$, 'CO410', null, 'an unknown task is CO410');
select coord_test.login('lister', 'red');
select throws_ok(format('select api.get_task(%s)', :t1), 'PT403', null, 'without tasks:read get_task is PT403');
select throws_ok($$select * from api.list_tasks()$$, 'PT403', null, 'and list_tasks');

-- Tenant blue sees none of it and can touch none of it.
select coord_test.login('mallory', 'blue');
select is((select count(*)::int from api.list_tasks()), 0, 'another tenant lists none of these tasks');
select throws_ok(format('select api.get_task(%s)', :t1), 'CO410', null, 'get_task: unknown in another tenant (CO410)');
select is((select code from api.claim_task('{build,test}')), 'empty', 'claim_task finds nothing to claim');
select throws_ok(format('select api.cancel_task(%s)', :t1), 'CO410', null, 'cancel_task: CO410');
select throws_ok(format('select api.complete_task(%s, %s)', :t3, :c1), 'CO410', null, 'complete_task with the real claim: CO410');
select throws_ok(format('select api.fail_task(%s, %s, %L)', :t3, :c1, 'x'), 'CO410', null, 'fail_task: CO410');
select throws_ok(format('select api.renew_task(%s, %s)', :t3, :c1), 'CO410', null, 'renew_task: CO410');
select coord_test.login('alice', 'red');
select is((select state from api.get_task(:t3)), 'claimed', 'alice''s claim is untouched');
select coord_test.logout();
select is((select count(*)::int from coord_test.events('task.*', 'red') where actor_name = 'mallory'), 0,
          'nothing mallory did is in the red tenant''s audit');

select * from finish();
rollback;
