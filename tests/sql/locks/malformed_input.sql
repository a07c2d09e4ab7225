-- Malformed lock calls raise their registered SQLSTATE and write nothing (no lease, no event).
begin;
set local search_path = tap, public;
select plan(18);

select coord_test.agent('alice');
select coord_test.login('alice');
select fence as fence from api.acquire_lock('held.py') \gset
select count(*) as events_before from coord_test.events() \gset

select throws_ok($$select api.acquire_lock('')$$, 'CO201', null, 'acquire: an empty path is CO201');
select throws_ok($$select api.acquire_lock('../x')$$, 'CO204', null, 'acquire: escaping the root is CO204');
select throws_ok($$select api.acquire_lock('/etc/passwd')$$, 'CO206', null, 'acquire: an absolute path is CO206');
select throws_ok($$select api.acquire_lock('a.py', '0 seconds')$$, 'CO211', null, 'acquire: a zero ttl is CO211');
select throws_ok($$select api.acquire_lock('a.py', '25 hours')$$, 'CO211', null, 'acquire: a ttl over 24 h is CO211');
select throws_ok($$select api.acquire_lock('a.py', p_wait => '61 seconds')$$, 'CO212', null, 'acquire: a wait over 60 s is CO212');
select throws_ok($$select api.acquire_lock('a.py', p_mode => 'upgrade')$$, 'CO214', null, 'acquire: an unknown mode is CO214');
select throws_ok(format('select api.acquire_lock(%L, p_reason => %L)', 'a.py', repeat('r', 1001)), 'CO215', null,
                 'acquire: a reason over 1000 characters is CO215');
select throws_ok($$select api.acquire_lock('a.py', 'soon')$$, '22007', null, 'acquire: a ttl that is no interval is 22007');
select throws_ok($$select api.release_lock('held.py', 0)$$, 'CO216', null, 'release: fence 0 is CO216');
select throws_ok($$select api.release_lock('held.py', null)$$, 'CO216', null, 'release: no fence is CO216');
select throws_ok(format('select api.renew_lock(%L, %s, %L)', 'held.py', :fence, '0 seconds'), 'CO211', null,
                 'renew: a zero ttl is CO211');
select throws_ok($$select api.renew_lock('', 1)$$, 'CO201', null, 'renew: an empty path is CO201');
select throws_ok($$select * from api.check_locks('{}')$$, 'CO217', null, 'check: no paths is CO217');
select throws_ok(format('select * from api.check_locks(%L::text[])', array(select 'f' || g from generate_series(1, 1001) g)),
                 'CO217', null, 'check: over 1000 paths is CO217');
select throws_ok($$select * from api.check_locks('{{a,b}}')$$, 'CO241', null, 'check: a two-dimensional list is CO241');
select throws_ok($$select * from api.assert_lease('held.py', -1)$$, 'CO216', null, 'assert: a negative fence is CO216');
select coord_test.logout();

select is((select count(*) from coord_test.events()), :events_before::bigint, 'none of them wrote an audit event');

select * from finish();
rollback;
