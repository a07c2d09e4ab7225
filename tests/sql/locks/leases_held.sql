-- my_locks and assert_lease: what you hold, and the check at the resource that you still do
-- (held, expired, stale_fence, not_held, session_ended).
begin;
set local search_path = tap, public;
select plan(13);

select coord_test.agent('alice');
select coord_test.agent('bob');

select coord_test.login('alice');
select fence as f_doc from api.acquire_lock('docs/', p_mode => 'shared', p_reason => 'writing') \gset
select fence as f_app from api.acquire_lock('src/app.py', '1 minute') \gset
select coord_test.login('bob');
select fence as f_bob from api.acquire_lock('lib/', p_mode => 'shared') \gset

select coord_test.login('alice');
select results_eq($$select path, mode, reason from api.my_locks()$$,
                  $$values ('docs/', 'shared', 'writing'), ('src/app.py', 'exclusive', null)$$,
                  'my_locks lists your live leases by path, never another agent''s');
select is((select fence from api.my_locks() where path = 'src/app.py'), :f_app::bigint, 'with their fences');
select results_eq(format('select ok, code, fence from api.assert_lease(%L, %s)', 'src/app.py', :f_app),
                  format('values (true, %L, %s::bigint)', 'held', :f_app), 'assert_lease: held with the live fence');
select is((select code from api.assert_lease('./src/../src/app.py', :f_app)), 'held', 'any spelling of the path');
select is((select code from api.assert_lease('lib/', :f_bob)), 'not_held', 'another agent''s lease is not_held');
select is((select code from api.assert_lease('src/app.py', :f_app + 1000)), 'not_held', 'a fence never granted is not_held');

select coord_test.advance_clock('2 minutes');
select is((select code from api.assert_lease('src/app.py', :f_app)), 'expired', 'after its ttl the lease is expired');
select is((select count(*)::int from api.my_locks()), 1, 'and gone from my_locks');
select fence as f_app2 from api.acquire_lock('src/app.py') \gset
select is((select code from api.assert_lease('src/app.py', :f_app)), 'stale_fence', 'granted again: the old fence is stale');

-- A lease taken in a session lives and dies with it.
select session_id as sid from api.start_session('worker', p_ttl => '10 seconds') \gset
select coord_test.login('alice', p_session => :'sid');
select fence as f_s from api.acquire_lock('sess.py', '1 hour') \gset
select is((select code from api.assert_lease('sess.py', :f_s)), 'held', 'held while the session lives');
select coord_test.advance_clock('11 seconds');
select is((select code from api.assert_lease('sess.py', :f_s)), 'session_ended',
          'once the session missed its heartbeat, its hour-long lease is session_ended');
select coord_test.logout();

select is((select count(*)::int from coord_test.events('lock.assert')), 0, 'assert_lease is a read: it writes no event');
select is((select count(*)::int from coord_test.events('lock.list')), 0, 'my_locks neither');

select * from finish();
rollback;
