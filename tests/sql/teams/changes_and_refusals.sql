-- apply_team changes: scope changes swap tokens, declared profiles are assigned, a disabled
-- principal comes back with a new token; refusals are results audited as team.apply denied;
-- every step is audited.
begin;
set local search_path = tap, public;
select plan(23);

select coord_test.operator('ops');
select coord_test.operator('narrow', p_scopes => '{principals:write,locks:*}');
select coord_test.operator('nowrite', p_scopes => '{principals:read}');
select coord_test.agent('alice');
select coord_test.auditor('audrey');

select coord_test.login('ops');
select code from api.create_profile('builders', 2) \gset
select code, details as d1 from api.apply_team(
  '{"version": 1, "agents": [{"name": "alice", "scopes": ["locks:*"]}, {"name": "bob", "profile": "builders"},
                             {"name": "eve", "role": "auditor", "description": "reads the log"}]}') \gset
select is(:'code'::text, 'applied', 'a team with a scope change and two new principals applies');
select is((:'d1'::jsonb) #>> '{change,0,change}', 'scopes', 'alice''s change is her scopes');
select is((select array_agg(k order by k) from jsonb_object_keys((:'d1'::jsonb) -> 'tokens') as k),
          array['alice', 'bob', 'eve'], 'a new token for each of them, shown once');
select is((select count(*)::int from api.list_tokens() where principal_name = 'alice' and revoked_at is null), 1,
          'alice''s old token with other scopes is revoked, one live token left');
select is((select scopes from api.list_tokens() where principal_name = 'alice' and revoked_at is null), '{locks:*}',
          'with the declared scopes');
select is((select role from api.list_principals() where name = 'eve'), 'auditor', 'eve is an auditor');
select coord_test.logout();
select throws_ok(format('select api.login(%L)', coord_test.token('alice')), 'PT401', null, 'alice''s old token no longer works');

-- Refusals: scopes the caller lacks, a token without principals:write, other roles.
select coord_test.login('narrow');
select results_eq($$select ok, code from api.apply_team('{"version": 1, "agents": [{"name": "wide"}]}')$$,
                  $$values (false, 'denied')$$, 'a team granting scopes the caller lacks ({*}) is denied');
select coord_test.login('nowrite');
select is((select code from api.apply_team('{"version": 1, "agents": []}')), 'denied', 'without principals:write: denied');
select coord_test.login('audrey');
select throws_ok($$select api.apply_team('{"version": 1, "agents": []}')$$, '42501', null, 'auditors may not apply teams (42501)');

select coord_test.login('ops');
select is((select code from api.apply_team('{"version": 1, "agents": [{"name": "bob", "profile": null}]}')), 'applied',
          'a declared null profile moves bob back to the tenant default');
select is((select details #>> '{change,0,change}' from api.apply_team(
             '{"version": 1, "agents": [{"name": "bob", "profile": "builders"}]}', true)), 'profile',
          'and declaring builders again plans a profile change (no new token)');
select is((select details #>> '{disable,0,name}' from api.apply_team(
             '{"version": 1, "agents": [{"name": "alice", "scopes": ["locks:*"]}, {"name": "bob"}, {"name": "eve", "role": "auditor"},
                                       {"name": "narrow", "role": "operator", "scopes": ["principals:write", "locks:*"]},
                                       {"name": "nowrite", "role": "operator", "scopes": ["principals:read"]},
                                       {"name": "audrey", "role": "auditor"}], "prune": true}')), null,
          'prune with everyone declared disables nobody');
select is((select details #>> '{disable,0,name}' from api.apply_team('{"version": 1, "agents": [], "prune": true}')), 'alice',
          'prune with nobody declared disables everyone but the caller');
select is((select details #>> '{change,0,change}' from api.apply_team('{"version": 1, "agents": [{"name": "alice", "scopes": ["locks:*"]}]}')),
          'enable', 'declaring a disabled principal enables it');
select throws_ok($$select api.apply_team('{"version": 1, "agents": [{"name": "ops", "role": "operator", "scopes": ["locks:*"]}]}')$$,
                 'CO234', null, 'a file that would change the caller is CO234');
select throws_ok($$select api.apply_team('{"version": 1, "agents": [{"name": "x", "profile": "nope"}]}')$$, 'CO462', null,
                 'an unknown profile is CO462');
select throws_ok($$select api.apply_team('{"version": 1, "agents": [{"name": "bad name"}]}')$$, 'CO221', null, 'a bad name is CO221');
select throws_ok($$select api.apply_team('{"version": 1, "agents": [{"name": "x", "scopes": ["all"]}]}')$$, 'CO222', null,
                 'a bad scope is CO222');
select throws_ok($$select api.apply_team('{"version": 2, "agents": []}')$$, 'CO231', null, 'another version is CO231');

select coord_test.logout();

select is((select array[e.rule, e.severity] from coord_test.events('team.apply') as e where e.actor_name = 'narrow'),
          array['scope.escalation', 'warning'], 'the escalation is audited with its rule');
select is((select array[count(*) filter (where e.action = 'principal.disable'), count(*) filter (where e.action = 'principal.enable')]::int[]
           from coord_test.events('principal.*') as e), array[6, 1], 'each disabled and each enabled principal is audited');
select is((select array_agg(e.decision order by e.id) from coord_test.events('team.apply') as e where e.actor_name = 'ops'),
          array['applied', 'applied', 'no_change', 'applied', 'applied'], 'each apply is audited with its code (dry runs are not)');

select * from finish();
rollback;
