-- Lock calls refused by the gate: denials are results (audited as warnings), reads refused
-- are PT403, roles without the grant get 42501, callers without a token PT401; profiles cap
-- ttl and lease counts.
begin;
set local search_path = tap, public;
select plan(22);

select coord_test.agent('alice');
select coord_test.agent('tasker', p_scopes => '{tasks:*}');
select coord_test.agent('reader');
select coord_test.set_profile('reader', 1);
select coord_test.agent('suspended');
select coord_test.set_profile('suspended', 0);
select coord_test.agent('capped');
select coord_test.set_profile('capped', 2, '{"max_locks": 1, "max_lock_ttl": "5 minutes"}');
select coord_test.auditor('audrey');

-- Scope: a token without locks:* may neither write nor read leases.
select coord_test.login('alice');
select fence as a_fence from api.acquire_lock('shared.py') \gset
select coord_test.login('tasker');
select results_eq($$select ok, code from api.acquire_lock('t.py')$$, $$values (false, 'denied')$$,
                  'acquire without locks:write is denied, as a result');
select is((select code from api.release_lock('shared.py', :a_fence)), 'denied', 'so is release');
select is((select code from api.renew_lock('shared.py', :a_fence)), 'denied', 'and renew');
select throws_ok($$select * from api.check_locks('{shared.py}')$$, 'PT403', null, 'a read without locks:read is PT403');
select throws_ok($$select * from api.my_locks()$$, 'PT403', null, 'my_locks too');
select throws_ok(format('select * from api.assert_lease(%L, %s)', 'shared.py', :a_fence), 'PT403', null,
                 'assert_lease too');
select coord_test.logout();
select is((select array[e.decision, e.rule, e.severity] from coord_test.events('lock.acquire') as e where e.target_id = 't.py'),
          array['denied', 'scope.missing', 'warning'], 'the denial is audited with the rule, as a warning');
select is((select count(*)::int from coord_test.events('lock.re*') where decision = 'denied'), 2,
          'release and renew denials are audited too');

-- Trust: read-only agents read, suspended ones see only their own leases.
select coord_test.login('reader');
select is((select code from api.acquire_lock('r.py')), 'denied', 'trust 1 may not take leases');
select is((select count(*)::int from api.check_locks('{shared.py}') where locked), 1, 'but may check them');
select coord_test.login('suspended');
select is((select count(*)::int from api.my_locks()), 0, 'trust 0 may still list its own leases');
select throws_ok($$select * from api.check_locks('{shared.py}')$$, 'PT403', null, 'but not check others''');
select coord_test.logout();
select is((select rule from coord_test.events('lock.acquire') as e where e.target_id = 'r.py'), 'trust.too_low',
          'the trust denial names its rule');

-- Profile limits: max_lock_ttl is a denial, max_locks is at_limit.
select coord_test.login('capped');
select is((select code from api.acquire_lock('c1.py', '10 minutes')), 'denied', 'a ttl over max_lock_ttl is denied');
select is((select code from api.acquire_lock('c1.py', '5 minutes')), 'granted', 'one within it is granted');
select results_eq($$select code, details ->> 'held', details ->> 'limit' from api.acquire_lock('c2.py', '1 minute')$$,
                  $$values ('at_limit', '1', '1')$$, 'a lease over max_locks is at_limit with held and limit');
select coord_test.logout();
select is((select rule from coord_test.events('lock.acquire') as e where e.target_id = 'c1.py' and e.decision = 'denied'),
          'profile.max_lock_ttl', 'the ttl denial names its rule');

-- Roles: auditors read but may not take leases; anonymous requests have no principal.
select coord_test.login('audrey');
select throws_ok($$select api.acquire_lock('x.py')$$, '42501', null, 'an auditor may not call acquire_lock (42501)');
select is((select holder_name from api.check_locks('{shared.py}')), 'alice', 'an auditor may check leases');
select coord_test.login_token(null);
select throws_ok($$select api.acquire_lock('x.py')$$, '42501', null, 'the anonymous role is granted no lock call');
select coord_test.logout();
select throws_ok($$select api.acquire_lock('x.py')$$, 'PT401', null, 'without a vouched principal the call is PT401');
select throws_ok($$select * from api.check_locks('{x.py}')$$, 'PT401', null, 'reads too');

select * from finish();
rollback;
