-- start_session, heartbeat and end_session: one heartbeat keeps a session and all it holds
-- alive; a missed heartbeat or an end releases leases and requeues claims; each step is audited.
begin;
set local search_path = tap, public;
select plan(25);

select coord_test.agent('alice');
select coord_test.agent('bob');
select coord_test.agent('reader');
select coord_test.set_profile('reader', 0);
select coord_test.auditor('audrey');

select coord_test.login('alice');
select ok, code, session_id as sid, expires_at - now() as ttl, details ->> 'header' as header
  from api.start_session('claude-code', '{python,sql,python}', '30 seconds') \gset
select is(array[:'ok', :'code', :'header'], array['t', 'started', 'x-coord-session'], 'start_session starts a session');
select is(:'ttl'::interval, interval '30 seconds', 'that expires after its ttl');
select coord_test.login('alice', p_session => :'sid');
select fence as fence from api.acquire_lock('src/', '10 seconds') \gset
select task_id as task from api.submit_task('build') \gset
select claim as claim from api.claim_task('{build}', '10 seconds') \gset

select coord_test.advance_clock('20 seconds');
select results_eq(format('select code, (details ->> %L)::int, (details ->> %L)::int from api.heartbeat(%L, %s)',
                         'locks_extended', 'claims_extended', 'reviewing', :task),
                  $$values ('alive', 1, 1)$$, 'a heartbeat keeps the session and extends its lease and claim');
select is((select code from api.assert_lease('src/', :fence)), 'held', 'the 10-second lease lives on after 20 seconds');
select is((select code from api.renew_task(:task, :claim, '10 seconds')), 'renewed', 'so does the claim');
select throws_ok($$select api.heartbeat('Not a word')$$, 'CO434', null, 'a status that is no lower-case word is CO434');
select throws_ok($$select api.heartbeat('working', 999999999)$$, 'CO410', null, 'an unknown current task is CO410');

-- Ending the session releases everything it holds.
select results_eq($$select code, details -> 'released_paths', details -> 'requeued_tasks' from api.end_session()$$,
                  format($$values ('ended', '["src/"]'::jsonb, '[%s]'::jsonb)$$, :task),
                  'end_session releases its leases and requeues its claims, and names them');
select is((select code from api.end_session()), 'session_ended', 'ending it again is session_ended');
select is((select code from api.heartbeat()), 'session_ended', 'and a heartbeat after the end too');
select is((select code from api.acquire_lock('late.py')), 'session_ended', 'nothing new is added to an ended session');
select coord_test.login('alice');
select is((select state from api.get_task(:task)), 'queued', 'the claimed task is queued again');
select throws_ok($$select api.heartbeat()$$, 'CO431', null, 'a heartbeat without a session is CO431');
select throws_ok($$select api.end_session()$$, 'CO431', null, 'so is end_session');

-- A missed heartbeat is death: the session never comes back.
select session_id as sid2 from api.start_session(p_ttl => '5 seconds') \gset
select coord_test.login('alice', p_session => :'sid2');
select coord_test.advance_clock('6 seconds');
select results_eq($$select ok, code from api.heartbeat()$$, $$values (false, 'session_ended')$$,
                  'a heartbeat after the ttl is session_ended');

-- Refusals and malformed input.
select coord_test.login('reader');
select results_eq($$select ok, code from api.start_session()$$, $$values (false, 'denied')$$,
                  'a suspended agent (trust 0) may not start a session');
select coord_test.login('audrey');
select throws_ok($$select api.start_session()$$, '42501', null, 'auditors have no sessions (42501)');
select coord_test.login('bob');
select throws_ok($$select api.start_session(p_ttl => '2 hours')$$, 'CO432', null, 'a ttl over an hour is CO432');
select throws_ok($$select api.start_session(p_ttl => '0 seconds')$$, 'CO432', null, 'a ttl under a second is CO432');
select throws_ok($$select api.start_session('bad type!')$$, 'CO436', null, 'a bad agent type is CO436');
select throws_ok($$select api.start_session(p_capabilities => '{"no spaces"}')$$, 'CO433', null, 'a bad capability is CO433');
select throws_ok($$select api.start_session(p_capabilities => '{{a}}')$$, 'CO241', null, 'capabilities not a flat list are CO241');
select coord_test.logout();

select is((select array[e.actor_name, e.details ->> 'agent_type'] from coord_test.events('session.start') as e
           where e.target_id = :'sid'), array['alice', 'claude-code'], 'the start is audited');
select is((select array[e.decision, e.details ->> 'status'] from coord_test.events('session.heartbeat') as e
           where e.target_id = :'sid' and e.decision = 'alive'), array['alive', 'reviewing'], 'so is the heartbeat');
select is((select array[e.actor_name, e.decision] from coord_test.events('session.end') as e where e.target_id = :'sid'),
          array['alice', 'ended'], 'and the end, by the agent');

select * from finish();
rollback;
