-- api.begin_request (the Python client's first statement): PostgREST's request context and
-- api.pre_request in one call; READ ONLY for stable functions; the same refusals as pre_request.
begin;
set local search_path = tap, public;
select plan(15);

select coord_test.agent('alice');
select json_build_object('user-agent', 'spec', 'x-coord-token', coord_test.token('alice'))::text as alice_headers \gset

-- From the login role, as the client sends it.
set local role coord_authenticator;
select name, role from api.begin_request('my_locks', :'alice_headers') \gset
select is(:'name'::text, 'alice', 'begin_request returns the principal of the token');
select is(current_user::text, 'coord_agent', 'and switches to its request role');
select is(current_setting('request.path'), '/rpc/my_locks', 'the path names the function called');
select is(current_setting('request.method'), 'POST', 'the method is PostgREST''s for /rpc');
select is(current_setting('request.cookies'), '{}', 'no cookies');
select is((current_setting('request.jwt.claims')::jsonb) ->> 'name', 'alice', 'the verified claims name the principal');
select isnt(current_setting('coord.vouch'), '', 'and carry a vouch');
select is(current_setting('transaction_read_only'), 'off', 'a volatile function''s request stays read-write');
select lives_ok($$select api.acquire_lock('spec/a.py')$$, 'the api call runs as the principal');
select coord_test.logout();

-- The same credential rules as pre_request, because it is pre_request that runs.
set local role coord_authenticator;
select throws_ok($$select api.begin_request('my_locks', '{"x-coord-token": "coord_0000"}')$$, 'PT401', null,
                 'an unknown token is PT401');
select throws_ok($$select api.begin_request('my_locks', '["x-coord-token"]')$$, 'CO225', null,
                 'headers that are no JSON object are CO225');
select ok((api.begin_request('my_locks', '{"user-agent": "curl"}')).principal_id is null,
          'without a token the request is anonymous');
select is(current_user::text, 'coord_anon', 'as coord_anon, which may call no api function');
select coord_test.logout();

-- A stable function's request is read-only for the rest of the transaction (last: it stays so).
set local role coord_authenticator;
select api.begin_request('my_locks', :'alice_headers', true) is not null as ok \gset
select is(current_setting('transaction_read_only'), 'on', 'p_read_only makes the transaction read-only');
select throws_ok($$select api.acquire_lock('spec/b.py')$$, '25006', null, 'so nothing in it can write');

select * from finish();
rollback;
