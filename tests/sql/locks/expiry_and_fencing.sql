-- Expired leases never block; a new grant fences out the old holder; re-acquiring renews.
begin;
set local search_path = tap, public;
select plan(11);

select coord_test.agent('alice');
select coord_test.agent('bob');

select coord_test.login('alice');
select fence as a1_fence, expires_at as a1_exp from api.acquire_lock('cfg/app.toml', '1 minute') \gset
select code as a2_code, fence as a2_fence, expires_at as a2_exp from api.acquire_lock('cfg/app.toml', '5 minutes') \gset
select coord_test.logout();
select is(:'a2_code'::text, 'renewed', 're-acquiring your own lease renews it');
select is(:a2_fence::bigint, :a1_fence::bigint, 'renewal keeps the fence');
select ok(:'a2_exp'::timestamptz > :'a1_exp'::timestamptz, 'renewal moves the expiry');

select coord_test.advance_clock('6 minutes');

select coord_test.login('bob');
select code as b1_code, fence as b1_fence from api.acquire_lock('cfg/', '5 minutes') \gset
select coord_test.logout();
select is(:'b1_code'::text, 'granted', 'an expired lease does not block an enclosing directory');
select cmp_ok(:b1_fence::bigint, '>', :a1_fence::bigint, 'the new grant carries a larger fence');
select is((select count(*)::int from coord.locks where tenant_id = coord_test.tenant_id() and path = 'cfg/app.toml'), 0, 'the expired lease was removed');
select is((select count(*)::int from coord_test.events('lock.expire') where target_id = 'cfg/app.toml'
             and actor_type = 'system'), 1, 'its expiry is audited as a system action');

select coord_test.login('alice');
select code as a3_code from api.release_lock('cfg/app.toml', :a1_fence) \gset
select code as a4_code from api.renew_lock('cfg/app.toml', :a1_fence) \gset
select code as a5_code from api.acquire_lock('cfg/app.toml') \gset
select coord_test.logout();
select is(:'a3_code'::text, 'not_held', 'the old holder cannot release: its lease is gone');
select is(:'a4_code'::text, 'not_held', 'nor renew');
select is(:'a5_code'::text, 'busy', 'and bob''s directory now covers the file');

select coord_test.advance_clock('10 minutes');
select coord_test.login('alice');
select code as a6_code from api.acquire_lock('cfg/app.toml') \gset
select coord_test.logout();
select is(:'a6_code'::text, 'granted', 'once bob''s lease expires too, alice is granted again');

select * from finish();
rollback;
