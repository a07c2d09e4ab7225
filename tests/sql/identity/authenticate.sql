-- api.pre_request (PostgREST's db-pre-request), api.login (psql) and api.authenticate: a
-- token becomes a vouched principal and its request role; everything else is PT401, and
-- malformed request headers are CO225/CO435.
begin;
set local search_path = tap, public;
select plan(22);

select coord_test.agent('alice', p_scopes => '{locks:*,tasks:read}');
select coord_test.operator('ops');
select coord_test.auditor('audrey');
select coord_test.agent('bob');
select coord_test.principal('brief', 'agent', p_expires_in => '1 minute');
select coord_test.agent('gone');
select coord_test.agent('carol', 'elsewhere');

-- pre_request exactly as PostgREST calls it: anonymous role, anonymous claims, the header.
set local role coord_anon;
select set_config('request.jwt.claims', '{"role":"coord_anon"}', true) is not null as ok \gset
select set_config('request.headers', json_build_object('x-coord-token', coord_test.token('alice'))::text, true)
  is not null as ok \gset
select name, role, tenant_name, scopes from api.pre_request() \gset
select is(current_user::text, 'coord_agent', 'pre_request switches to the principal''s request role');
select is(:'name'::text, 'alice', 'and returns the principal');
select is(:'tenant_name'::text, coord_test.tenant_name(), 'of its tenant');
select is(:'scopes'::text[], '{locks:*,tasks:read}', 'with its token''s scopes');
select is((current_setting('request.jwt.claims')::jsonb) ->> 'sub', coord_test.principal_id('alice')::text,
          'the verified claims name it');
select isnt(current_setting('coord.vouch'), '', 'and carry a vouch');
select coord_test.logout();

-- api.login is the same for psql users; the role follows the principal.
select api.login(coord_test.token('ops')) is not null as ok \gset
select is(current_user::text, 'coord_operator', 'an operator''s token makes coord_operator');
select coord_test.logout();
select is((api.login(coord_test.token('audrey'))).role, 'auditor', 'login returns the principal (an auditor)');
select is(current_user::text, 'coord_auditor', 'and switches to coord_auditor');
select coord_test.logout();

-- No token: anonymous, and the api is closed to anonymous requests.
set local role coord_anon;
select set_config('request.headers', '{"user-agent": "curl"}', true) is not null as ok \gset
select ok((api.authenticate()).principal_id is null, 'without a token authenticate returns no principal');
select is(current_setting('request.jwt.claims'), '{"role":"coord_anon"}', 'and leaves anonymous claims');
select throws_ok($$select api.my_locks()$$, '42501', null, 'the anonymous role may call no api function');
select coord_test.logout();

-- Tokens that do not authenticate.
select throws_ok($$select api.login('coord_0000')$$, 'PT401', null, 'an unknown token is PT401');
select throws_ok($$select api.login('')$$, 'PT401', null, 'an empty token is PT401');
select coord_test.advance_clock('2 minutes');
select throws_ok(format('select api.login(%L)', coord_test.token('brief')), 'PT401', null, 'an expired token is PT401');
update coord.principals set disabled_at = now() where id = coord_test.principal_id('gone');
select throws_ok(format('select api.login(%L)', coord_test.token('gone')), 'PT401', null,
                 'the token of a disabled principal is PT401');

-- Sessions and malformed headers.
select coord_test.login('bob');
select session_id as bob_session from api.start_session() \gset
select coord_test.logout();
select throws_ok(format('select coord_test.login(%L, p_session => %L)', 'alice', :'bob_session'), 'PT401', null,
                 'a session of another principal is PT401');
select lives_ok(format('select coord_test.login(%L, p_session => %L)', 'bob', :'bob_session'),
                'one''s own session is accepted');
select is((current_setting('request.jwt.claims')::jsonb) ->> 'session', :'bob_session', 'and vouched for in the claims');
select coord_test.logout();
select set_config('request.headers', json_build_object('x-coord-token', coord_test.token('bob'), 'x-coord-session', 'abc')::text,
                  true) is not null as ok \gset
select throws_ok($$select api.authenticate()$$, 'CO435', null, 'a session header that is no session id is CO435');
select set_config('request.headers', 'x-coord-token: abc', true) is not null as ok \gset
select throws_ok($$select api.pre_request()$$, 'CO225', null, 'request.headers that are not JSON are CO225');
select set_config('request.headers', '["x-coord-token"]', true) is not null as ok \gset
select throws_ok($$select api.pre_request()$$, 'CO225', null, 'request.headers that are no JSON object are CO225');

select * from finish();
rollback;
