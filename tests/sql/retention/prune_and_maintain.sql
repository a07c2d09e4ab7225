-- prune_tasks and maintain: what leaves the hot tables and when. Finished tasks are pruned
-- after their retention (their history stays in the audit log); the eager sweep ends dead
-- sessions, rescues expired claims and removes expired leases of the caller's tenant only.
begin;
set local search_path = tap, public;
select plan(22);

select coord.now() - now() as clock_offset \gset
select coord_test.operator('ops');
select coord_test.operator('narrow', p_scopes => '{tasks:read,tasks:write}');
select coord_test.agent('alice');
select coord_test.operator('ops', 'blue');
select coord_test.agent('bob', 'blue');

-- Tasks in every state.
select coord_test.login('alice');
select task_id as done from api.submit_task('done') \gset
select claim as c from api.claim_task('{done}') \gset
select code from api.complete_task(:done, :c) \gset
select task_id as failed from api.submit_task('failed') \gset
select claim as c from api.claim_task('{failed}') \gset
select code from api.fail_task(:failed, :c, 'broken', false) \gset
select task_id as cancelled from api.submit_task('cancelled') \gset
select code from api.cancel_task(:cancelled) \gset
select task_id as dead from api.submit_task('dead', p_max_attempts => 1) \gset
select claim as c from api.claim_task('{dead}') \gset
select code from api.fail_task(:dead, :c, 'broken') \gset
select task_id as queued from api.submit_task('queued') \gset

-- prune_tasks
select coord_test.login('ops');
select results_eq($$select code, details -> 'pruned' from api.prune_tasks()$$, $$values ('pruned', '{}'::jsonb)$$,
                  'nothing finished more than 7 days ago: nothing pruned');
select coord_test.advance_clock('8 days');
select results_eq($$select code, details -> 'pruned' from api.prune_tasks('30 days')$$, $$values ('pruned', '{}'::jsonb)$$,
                  'a longer retention keeps them');
select results_eq($$select code, details -> 'pruned' from api.prune_tasks()$$,
                  $$values ('pruned', '{"failed": 1, "completed": 1, "cancelled": 1}'::jsonb)$$,
                  'after 7 days completed, failed and cancelled tasks are pruned, counted by state');
select results_eq($$select state from api.list_tasks() order by task_id$$, $$values ('dead'), ('queued')$$,
                  'dead tasks stay until redriven, pending ones until they finish');
select throws_ok(format('select api.get_task(%s)', :done), 'CO410', null, 'a pruned task is gone');
select is((select count(*)::int from api.query_audit(p_action => 'task.*', p_target_id => :'done')), 3,
          'its history stays in the audit log (submitted, claimed, completed)');
select throws_ok($$select api.prune_tasks('-1 day')$$, 'CO420', null, 'a negative retention is CO420');
select throws_ok($$select api.prune_tasks('101 years')$$, 'CO420', null, 'over 100 years is CO420');
select coord_test.login('narrow');
select results_eq($$select ok, code from api.prune_tasks()$$, $$values (false, 'denied')$$, 'without tasks:admin: denied');
select coord_test.login('alice');
select throws_ok($$select api.prune_tasks()$$, '42501', null, 'agents may not prune (42501)');
select coord_test.logout();
select is((select e.details -> 'pruned' from coord_test.events('task.prune') as e where e.decision = 'pruned' order by e.id desc limit 1),
          '{"failed": 1, "completed": 1, "cancelled": 1}'::jsonb, 'pruning is audited with its counts');

select coord_test.cleanup();
select is(coord.now() - now(), :'clock_offset'::interval, 'coord_test.cleanup() put the clock back where the spec found it');

-- maintain: a dead session, an expired claim, an expired lease in each tenant.
select coord_test.login('alice');
select session_id as sid from api.start_session(p_ttl => '5 seconds') \gset
select coord_test.login('alice', p_session => :'sid');
select fence from api.acquire_lock('in-session.py', '5 seconds') \gset
select coord_test.login('alice');
select fence from api.acquire_lock('loose.py', '5 seconds') \gset
select task_id as t1 from api.submit_task('sweep') \gset
select claim from api.claim_task('{sweep}', '5 seconds') \gset
select coord_test.login('bob', 'blue');
select session_id as bob_sid from api.start_session(p_ttl => '5 seconds') \gset
select coord_test.advance_clock('10 seconds');

select coord_test.login('ops');
select results_eq($$select code, (details ->> 'sessions_expired')::int, (details ->> 'tasks_requeued')::int,
                          (details ->> 'locks_expired')::int from api.maintain()$$,
                  $$values ('swept', 1, 1, 1)$$,
                  'maintain ends the dead session (with its lease), requeues the expired claim, removes the loose lease');
select is((select details ? 'audit_sealed' and details ? 'login_drift' from api.maintain()), true,
          'and reports sealing and login drift');
select is((select (details ->> 'sessions_expired')::int from api.maintain()), 0, 'a second sweep finds nothing');
select is((select state from api.get_task(:t1)), 'queued', 'the rescued task is queued again');
select is((select count(*)::int from api.check_locks('{in-session.py,loose.py}') where locked), 0, 'both leases are gone');
select coord_test.login('narrow');
select is((select code from api.maintain()), 'denied', 'without tasks:admin maintain is denied');
select coord_test.login('alice');
select throws_ok($$select api.maintain()$$, '42501', null, 'agents may not call maintain (42501)');
select coord_test.logout();
select is((select array[e.actor_type::text, e.decision] from coord_test.events('session.expire') as e where e.target_id = :'sid'),
          array['system', 'expired'], 'the dead session is ended by the system, on record');
select is((select count(*)::int from coord_test.events('session.expire', 'blue')), 0,
          'the red tenant''s sweep did not touch the blue tenant''s dead session');
select is((select count(*)::int from coord_test.events('queue.maintain') where decision = 'swept'), 3,
          'each sweep is audited as queue.maintain');

select * from finish();
rollback;
