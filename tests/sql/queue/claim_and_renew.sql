-- claim_task, claim_tasks and renew_task: what is claimed and in which order, what a claim
-- that takes nothing says (empty, at_limit, denied), how a claim is renewed, and the errors.
begin;
set local search_path = tap, public;
select plan(26);

select coord_test.agent('alice');
select coord_test.agent('single');
select coord_test.set_profile('single', 2, '{"max_concurrent_tasks": 1, "allowed_task_kinds": ["solo"], "max_task_duration": "10 minutes"}');
select coord_test.operator('ops');

select coord_test.login('ops');
select task_id as low from api.submit_task('build', '{"n": 1}', p_priority => 1) \gset
select task_id as high from api.submit_task('build', '{"n": 2}', p_priority => 9) \gset
select task_id as trusted from api.submit_task('secret', p_required_trust => 3) \gset
select task_id as later from api.submit_task('build', p_run_after => now() + interval '1 hour') \gset
select task_id as b1 from api.submit_task('batch') \gset
select task_id as b2 from api.submit_task('batch') \gset
select task_id as b3 from api.submit_task('batch') \gset
select task_id as solo1 from api.submit_task('solo') \gset
select task_id as solo2 from api.submit_task('solo') \gset

select coord_test.login('alice');
select ok, code, task_id, payload, claim as c1, attempt, max_attempts, lease_expires_at > now() as leased
  from api.claim_task('{build}', '1 minute') \gset
select is(:'code'::text, 'claimed', 'claim_task claims');
select is(:task_id::bigint, :high::bigint, 'the highest priority first');
select is(array[:'payload', :'attempt', :'max_attempts', :'leased'], array['{"n": 2}', '1', '3', 't'],
          'with its payload, attempt 1 of 3 and a lease');
select is((select task_id from api.claim_task('{build}')), :low::bigint, 'then the next one');
select results_eq($$select ok, code from api.claim_task('{build}')$$, $$values (false, 'empty')$$,
                  'a task whose run_after lies ahead is not ready: empty');
select is((select code from api.claim_task('{secret}')), 'empty', 'a task needing trust 3 is not claimable at trust 2');
select is((select count(*)::int from api.claim_tasks('{batch}', p_limit => 2)), 2, 'claim_tasks claims up to its limit');
select coord_test.logout();
select is((select array[decision, severity] from coord_test.events('task.claim') as e where e.target_id = 'build'),
          array['empty', 'debug'], 'a claim that takes nothing is audited, empty as debug');
select is((select array[e.actor_name, e.decision, e.details ->> 'claim']
           from coord_test.events('task.claimed') as e where e.target_id = :'high'),
          array['alice', 'claimed', :'c1'], 'a claim is audited as task.claimed with its claim token');

-- The profile's limits: kinds, concurrency, claim duration.
select coord_test.login('single');
select results_eq($$select code, details from api.claim_task('{batch}')$$,
                  $$values ('denied', '{"rule": "profile.task_kind"}'::jsonb)$$,
                  'a kind the profile does not allow is denied, naming the rule');
select task_id as s_task, claim as s_claim from api.claim_task('{solo}', '5 minutes') \gset
select is((select code from api.claim_task('{solo}')), 'at_limit', 'over max_concurrent_tasks is at_limit');
select is((select code from api.claim_task('{solo}', '11 minutes')), 'denied', 'a lease over max_task_duration is denied');
select coord_test.logout();
select is((select rule from coord_test.events('task.claim') as e where e.actor_name = 'single' and e.target_id = 'batch'),
          'profile.task_kind', 'the kind denial is audited with its rule');

-- renew_task: renewed, and never past the claim's deadline.
select coord_test.login('alice');
select results_eq(format('select code, state from api.renew_task(%s, %s, %L)', :high, :c1, '2 minutes'),
                  $$values ('renewed', 'claimed')$$, 'renew_task renews a live claim');
select ok((select (details ->> 'lease_expires_at')::timestamptz > now() + interval '1 minute'
           from api.renew_task(:high, :c1, '2 minutes')), 'to now + the lease');
select is((select code from api.renew_task(:high, :c1 + 1000)), 'stale_claim', 'another claim token is stale_claim');
select coord_test.login('single');
select is((select code from api.renew_task(:s_task, :s_claim, '9 minutes')), 'renewed', 'within the deadline: renewed');
select coord_test.advance_clock('3 minutes');
select results_eq(format('select code, details ? %L from api.renew_task(%s, %s, %L)', 'deadline', :s_task, :s_claim, '9 minutes'),
                  $$values ('denied', true)$$, 'past claimed_at + max_task_duration: denied, with the deadline');
select coord_test.login('alice');
select is((select code from api.renew_task(:high, :c1)), 'expired', 'a claim whose lease ran out is expired');
select is((select state from api.get_task(:high)), 'queued', 'and the task is back in the queue');

-- Malformed input.
select throws_ok($$select api.claim_task('{}')$$, 'CO402', null, 'no kinds is CO402');
select throws_ok($$select api.claim_task('{"bad kind"}')$$, 'CO401', null, 'a bad kind is CO401');
select throws_ok($$select api.claim_task('{build}', '0 seconds')$$, 'CO406', null, 'a zero lease is CO406');
select throws_ok($$select * from api.claim_tasks('{build}', p_limit => 0)$$, 'CO224', null, 'limit 0 is CO224');
select throws_ok(format('select api.renew_task(%s, 0)', :high), 'CO413', null, 'claim 0 is CO413');
select coord_test.logout();
select is((select array_agg(e.decision order by e.id) from coord_test.events('task.renew') as e where e.target_id = :'high'),
          array['renewed', 'renewed', 'stale_claim', 'expired'], 'each renewal is audited with its code');

select * from finish();
rollback;
