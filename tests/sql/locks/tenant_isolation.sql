-- Tenants never meet: the same path is free in another tenant, leases and fences of one
-- tenant are invisible and useless in another, and each tenant's events carry its own id.
begin;
set local search_path = tap, public;
select plan(8);

select coord_test.agent('alice', 'red');
select coord_test.agent('bob', 'blue');

select coord_test.login('alice', 'red');
select fence as red_fence from api.acquire_lock('src/app.py') \gset
select fence as only_fence from api.acquire_lock('red-only.py') \gset
select coord_test.login('bob', 'blue');
select is((select code from api.acquire_lock('src/app.py')), 'granted', 'the same path is free in another tenant');
select is((select count(*)::int from api.check_locks('{src/}') where holder_name = 'alice'), 0,
          'check_locks never shows another tenant''s leases');
select is((select code from api.release_lock('red-only.py', :only_fence)), 'not_held',
          'another tenant''s lease and fence release nothing');
select is((select code from api.assert_lease('red-only.py', :only_fence)), 'not_held', 'nor assert anything');
select is((select count(*)::int from api.my_locks()), 1, 'bob sees his own lease only');
select coord_test.login('alice', 'red');
select results_eq($$select path, fence from api.my_locks()$$,
                  format('values (%L, %s::bigint), (%L, %s)', 'red-only.py', :only_fence, 'src/app.py', :red_fence),
                  'alice''s leases are untouched');
select coord_test.logout();
select is((select count(*)::int from coord_test.events('lock.*', 'red') where actor_name = 'bob'), 0,
          'bob''s calls wrote nothing into the red tenant''s audit');
select is((select count(*)::int from coord_test.events('lock.*', 'blue')), 2, 'his acquire and release are in his own tenant''s');

select * from finish();
rollback;
