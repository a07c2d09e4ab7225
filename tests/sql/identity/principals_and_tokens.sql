-- create_agent, revoke_token, list_principals, list_tokens: operators manage the principals
-- of their own tenant; nobody mints a token broader than their own; the token text is shown
-- once and never listed.
begin;
set local search_path = tap, public;
select plan(31);

select coord_test.operator('ops');
select coord_test.operator('narrow', p_scopes => '{principals:write,locks:read}');
select coord_test.operator('lister', p_scopes => '{locks:*}');
select coord_test.auditor('audrey');
select coord_test.agent('alice');
select coord_test.operator('other-ops', 'other');
select coord_test.agent('outsider', 'other');

-- create_agent: a new agent and its first token, usable at once.
select coord_test.login('ops');
select ok, code, principal_name, role, token, token_id, scopes from api.create_agent('worker', '{locks:*}', '1 day') \gset
select is(:'code'::text, 'issued', 'create_agent issues the first token');
select is(array[:'principal_name', :'role', :'scopes'], array['worker', 'agent', '{locks:*}'], 'of an agent with the scopes asked for');
select coord_test.login_token(:'token');
select is(current_user::text, 'coord_agent', 'the new token logs in at once');
select coord_test.logout();
select is((select array[e.actor_name, e.decision] from coord_test.events('principal.create') as e where e.target_id = 'worker'),
          array['ops', 'created'], 'principal.create is audited with the operator as actor');
select is((select e.details ->> 'principal_name' from coord_test.events('token.issue') as e where e.target_id = :'token_id'),
          'worker', 'token.issue is audited, without the token');
select is((select count(*)::int from coord_test.events() as e where e::text like '%' || :'token' || '%'), 0,
          'the token text is in no event');

-- Refusals: scope escalation and missing scopes are denials; other roles have no grant.
select coord_test.login('narrow');
select results_eq($$select ok, code from api.create_agent('wide')$$, $$values (false, 'denied')$$,
                  'a token may not mint a token with scopes it lacks ({*} by default)');
select is((select code from api.create_agent('slim', '{locks:read}')), 'issued', 'it may mint its own scopes');
select coord_test.login('lister');
select is((select code from api.create_agent('nope')), 'denied', 'without principals:write create_agent is denied');
select is((select code from api.revoke_token(:'token_id')), 'denied', 'without tokens:write revoke_token is denied');
select throws_ok($$select * from api.list_principals()$$, 'PT403', null, 'without principals:read list_principals is PT403');
select throws_ok($$select * from api.list_tokens()$$, 'PT403', null, 'and list_tokens');
select coord_test.logout();
select is((select array[e.decision, e.rule, e.severity] from coord_test.events('principal.create') as e where e.target_id = 'wide'),
          array['denied', 'scope.escalation', 'warning'], 'the escalation is audited as a denial with its rule');
select is((select rule from coord_test.events('principal.create') as e where e.target_id = 'nope'), 'scope.missing',
          'so is the missing scope');
select coord_test.login('alice');
select throws_ok($$select api.create_agent('x')$$, '42501', null, 'agents may not create agents (42501)');
select throws_ok(format('select api.revoke_token(%L)', coord_test.token_id('alice')), '42501', null,
                 'nor revoke tokens');
select throws_ok($$select * from api.list_principals()$$, '42501', null, 'nor list principals');
select coord_test.login('audrey');
select throws_ok($$select api.create_agent('x')$$, '42501', null, 'auditors neither');

-- Malformed input.
select coord_test.login('ops');
select throws_ok($$select api.create_agent('no spaces')$$, 'CO221', null, 'a bad name is CO221');
select throws_ok($$select api.create_agent('x', '{everything}')$$, 'CO222', null, 'a bad scope is CO222');
select throws_ok($$select api.create_agent('x', '{{locks:*}}')$$, 'CO241', null, 'scopes that are no flat list are CO241');
select throws_ok($$select api.create_agent('x', '{*}', '-1 day')$$, 'CO223', null, 'a negative lifetime is CO223');
select throws_ok($$select api.create_agent('alice')$$, 'CO304', null, 'a name in use is CO304');

-- revoke_token: revoked, then already_revoked; the token stops working.
select is((select code from api.revoke_token(:'token_id')), 'revoked', 'revoke_token revokes');
select is((select code from api.revoke_token(:'token_id')), 'already_revoked', 'a second revoke is already_revoked');
select throws_ok($$select api.revoke_token(gen_random_uuid())$$, 'CO303', null, 'an unknown token is CO303');
select throws_ok(format('select api.revoke_token(%L)', coord_test.token_id('outsider', 'other')), 'CO303', null,
                 'another tenant''s token is unknown here (CO303)');

-- Lists: own tenant only, counts, never the token text.
select is((select array_agg(name order by name) from api.list_principals()),
          array['alice', 'audrey', 'lister', 'narrow', 'ops', 'slim', 'worker'],
          'list_principals: the principals of your own tenant');
select is((select live_tokens from api.list_principals() where name = 'worker'), 0::bigint,
          'a revoked token no longer counts as live');
select coord_test.login('audrey');
select is((select count(*)::int from api.list_tokens() as t
           where t.prefix = left(:'token', 14) and t.revoked_at is not null), 1,
          'list_tokens (auditors too) shows the token by prefix, revoked');
select coord_test.logout();
select is((select count(*)::int from coord_test.events('token.revoke') where decision = 'revoked' and severity = 'notice'), 1,
          'the revocation is audited once, as a notice');

select * from finish();
rollback;
