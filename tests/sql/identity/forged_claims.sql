-- Claims set by hand never authenticate; only api.authenticate's vouch does.
begin;
set local search_path = tap, public;
select plan(7);

select coord_test.agent('alice');
select coord_test.token('alice') as a_token, coord_test.principal_id('alice') as a_id, coord_test.tenant_id() as tenant_id \gset

set local role coord_agent;
select set_config('request.jwt.claims',
  json_build_object('role', 'coord_agent', 'sub', :'a_id', 'tenant', :'tenant_id', 'principal_role', 'agent',
                    'kind', 'agent', 'name', 'alice', 'scopes', json_build_array('*'))::text, true) is not null as ok \gset
select throws_ok($$select api.acquire_lock('forged.py')$$, 'PT401', null, 'hand-set claims without a token are refused');
select set_config('coord.vouch', repeat('ab', 32), true) is not null as ok \gset
select throws_ok($$select api.acquire_lock('forged.py')$$, 'PT401', null, 'a made-up vouch is refused');
select coord_test.logout();

select api.login(:'a_token') is not null as ok \gset
select current_setting('request.jwt.claims') as claims, current_setting('coord.vouch') as vouch \gset
select set_config('request.jwt.claims', replace(:'claims', '"alice"', '"mallory"'), true) is not null as ok \gset
select throws_ok($$select api.acquire_lock('forged.py')$$, 'PT401', null, 'altering vouched claims is refused');
select set_config('request.jwt.claims', :'claims', true) is not null as ok \gset
select lives_ok($$select api.acquire_lock('ok.py')$$, 'the vouched claims themselves still work');
set local role coord_operator;
select throws_ok($$select api.query_audit()$$, 'PT401', null, 'switching role by hand breaks the vouch');
select coord_test.logout();

select throws_ok(format('select api.login(%L)', :'a_token' || 'x'), 'PT401', null, 'an unknown token is refused');
-- (The refusal tries to record the use over the loopback connection, which cannot see this
-- transaction's revocation and so records nothing.)
update coord.tokens set revoked_at = now() where principal_id = :'a_id';
select throws_ok(format('select api.login(%L)', :'a_token'), 'PT401', null, 'a revoked token is refused');

select * from finish();
rollback;
