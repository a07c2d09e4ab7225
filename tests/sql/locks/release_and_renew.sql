-- release_lock and renew_lock: every outcome is a result, and only the live fence acts.
begin;
set local search_path = tap, public;
select plan(12);

select coord_test.agent('alice');
select coord_test.agent('bob');

select coord_test.login('alice');
select fence as f1 from api.acquire_lock('x.py', '1 minute') \gset
select code as r_wrong, ok as r_wrong_ok from api.release_lock('x.py', :f1 + 1000) \gset
select code as n_ok, expires_at as n_exp from api.renew_lock('x.py', :f1, '10 minutes') \gset
select coord_test.logout();
select is(:'r_wrong'::text, 'not_held', 'a fence that was never granted to you does not release');
select is(:'r_wrong_ok'::boolean, false, 'and is not ok');
select is(:'n_ok'::text, 'renewed', 'renew with the live fence');
select ok(:'n_exp'::timestamptz > now() + interval '9 minutes', 'renew sets expiry to now + ttl');

select coord_test.login('bob');
select code as b_rel from api.release_lock('x.py', :f1) \gset
select coord_test.logout();
select is(:'b_rel'::text, 'not_held', 'another agent cannot release your lease even with its fence');

select coord_test.advance_clock('11 minutes');
select coord_test.login('alice');
select code as a_exp, ok as a_exp_ok from api.renew_lock('x.py', :f1) \gset
select coord_test.logout();
select is(:'a_exp'::text, 'expired', 'an expired lease cannot be renewed');
select is(:'a_exp_ok'::boolean, false, 'expired is not ok');
select is((select count(*)::int from coord.locks where tenant_id = coord_test.tenant_id() and path = 'x.py'), 0, 'the expired lease is removed');

select coord_test.login('alice');
select fence as f2 from api.acquire_lock('x.py') \gset
select code as stale from api.release_lock('x.py', :f1) \gset
select code as released, fence as released_fence from api.release_lock('x.py', :f2) \gset
select code as again from api.release_lock('x.py', :f2) \gset
select coord_test.logout();
select is(:'stale'::text, 'stale_fence', 'the old fence is stale once the path was granted again');
select is(:'released'::text, 'released', 'the live fence releases');
select is(:released_fence::bigint, :f2::bigint, 'released reports the fence it ended');
select is(:'again'::text, 'not_held', 'a second release is not_held');

select * from finish();
rollback;
